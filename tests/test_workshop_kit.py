"""The workshop kit in workshops.yml: templates whose blocks add up, a feedback form, and a
clear problem with its line for each mistake."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cocourse.content.lint import lint_path
from cocourse.content.loader import default_markdown, load_course
from cocourse.content.workshop_kit import parse_kit

from .conftest import COURSE

ROOT = Path(__file__).resolve().parents[1]
KIT = """\
templates:
  - id: tasting-short
    title: A short tasting
    kind: tasting
    minutes: 60
    blocks:
      - title: Check-in
        minutes: 15
      - title: 1-2-4-All
        minutes: 30
      - title: Check-out
        minutes: 15
  - id: tasting-long
    title: A long tasting
    kind: tasting
    default: true
    minutes: 30
    blocks:
      - title: All of it
        minutes: 30
feedback:
  - id: useful
    ask: How useful was it?
    scale: 5
    required: true
  - id: next
    ask: What will you try?
"""


def parse(text, modules=("intro",)):
    return parse_kit(text, "workshops.yml", default_markdown(), modules)


def test_a_kit_is_read_with_its_templates_and_questions():
    kit, problems = parse(KIT)
    assert problems == []
    assert [t.id for t in kit.templates] == ["tasting-short", "tasting-long"]
    short = kit.template("tasting-short")
    assert [(b.title, b.minutes) for b in short.blocks][1] == ("1-2-4-All", 30)
    assert kit.default_for("tasting").id == "tasting-long"
    assert kit.default_for("solution") is None
    assert [(q.id, q.scale, q.required) for q in kit.feedback] == [
        ("useful", 5, True),
        ("next", 0, False),
    ]


@pytest.mark.parametrize(
    ("old", "new", "code", "line", "words"),
    [
        ("minutes: 60", "minutes: 70", "C191", 6, "add up to 60 minutes, not the 70"),
        ("kind: tasting\n    minutes: 60", "kind: party\n    minutes: 60", "C192", 4, "party"),
        ("    minutes: 60\n", "    taught_in: nowhere\n    minutes: 60\n", "C193", 5, "nowhere"),
        (
            "kind: tasting\n    minutes: 60",
            "kind: tasting\n    default: true\n    minutes: 60",
            "C194",
            1,
            "more than one default",
        ),
        ("id: tasting-long", "id: tasting-short", "C185", 13, "already declared on line 2"),
        ("    scale: 5\n", "    scale: 50\n", "C183", 24, "from 2 to 10"),
        ("  - id: next\n", "  - id: next\n    colour: red\n", "C181", 27, "unknown key 'colour'"),
        ("    title: A short tasting\n", "", "C182", 2, "needs 'title'"),
        ("templates:", "templates: [", "C191", 2, "not valid YAML"),
    ],
)
def test_each_mistake_names_its_line(old, new, code, line, words):
    assert old in KIT
    kit, problems = parse(KIT.replace(old, new, 1))
    assert kit.templates == () and kit.feedback == ()
    assert [(p.code, p.line) for p in problems] == [(code, line)], problems
    assert words in problems[0].message


def test_the_bundled_kit_lints_clean_and_its_blocks_add_up():
    result = load_course(ROOT / "content" / "modules")
    assert result.course is not None
    kit = result.course.kit
    assert {t.kind for t in kit.templates} == {"tasting", "solution", "exchange"}
    for template in kit.templates:
        assert sum(block.minutes for block in template.blocks) == template.minutes
    assert kit.default_for("tasting").minutes == 95


def test_a_broken_kit_stops_the_course_and_lint_names_the_file(tmp_path):
    root = tmp_path / "course"
    shutil.copytree(COURSE, root)
    (root / "workshops.yml").write_text(KIT.replace("minutes: 60", "minutes: 70", 1))
    result = load_course(root)
    assert result.course is None
    report = lint_path(root)
    assert any(str(p).startswith(str(root / "workshops.yml") + ":6: C191") for p in report), report


def test_a_course_without_a_kit_has_an_empty_one():
    result = load_course(COURSE)
    assert result.course.kit.templates == () and result.course.kit.feedback == ()
