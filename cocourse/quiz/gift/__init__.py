"""Moodle GIFT import and export for cocourse quizzes (see docs/authoring.md).

`gift_to_markdown` turns a GIFT file into a quiz lesson; `markdown_to_gift` writes the questions
of a loaded quiz lesson as GIFT. Both return warnings for whatever the other side cannot hold.
No database; the warnings are in the language of the page that shows them (English outside a
request: the commands).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from flask_babel import gettext as _

from cocourse.content.loader import ORDER_PREFIX

from .exporter import category_path, markdown_to_gift
from .importer import category_tag, gift_to_markdown, slugify
from .reader import GiftWarning, read_gift

__all__ = [
    "GiftWarning",
    "category_path",
    "category_tag",
    "gift_to_markdown",
    "lesson_file",
    "markdown_to_gift",
    "question_ids",
    "read_gift",
    "slugify",
]

QUESTION_FENCE = re.compile(r"^\s*(?:`{3,}|~{3,})\s*quiz\s+\S+\s+(\S+)", re.MULTILINE)


def question_ids(root: str | os.PathLike[str]) -> set[str]:
    """The question ids written in the Markdown files under `root` (even if they do not load)."""
    found: set[str] = set()
    for file in Path(root).rglob("*.md"):
        try:
            found.update(QUESTION_FENCE.findall(file.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError):
            continue
    return found


def lesson_file(folder: str | os.PathLike[str], slug: str) -> Path:
    """The path for a new lesson `slug`, numbered after the last lesson of a module folder.

    Raises FileExistsError when the module already has a lesson with that slug.
    """
    base = Path(folder)
    for file in base.glob("*.md"):
        if ORDER_PREFIX.sub("", file.stem) == slug:
            raise FileExistsError(
                _("the module already has a lesson %(slug)r: %(file)s", slug=slug, file=file.name)
            )
    numbers = [
        (int(found.group(1)), len(found.group(1)))
        for file in base.glob("*.md")
        if (found := ORDER_PREFIX.match(file.name))
    ]
    last, width = max(numbers, default=(0, 2))
    return base / f"{last + 1:0{max(width, 2)}d}-{slug}.md"
