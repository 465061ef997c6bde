"""Heading anchors (`id` attributes) in linear time.

The ids are those of `mdit_py_plugins.anchors` (GitHub-style slugs; a repeated slug gets
`-1`, `-2`, ... the first free number), so links to existing anchors keep working. That
plugin looks for the first free number from 1 again for every heading, so a lesson of
thousands of headings with one title took seconds per load (quadratic); here each slug
remembers the last number it handed out and continues from there.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore

_NOT_SLUG = re.compile(r"[^\w\u4e00-\u9fff\- ]")


def slugify(title: str) -> str:
    """GitHub-style: lower case, spaces to dashes, punctuation dropped."""
    return _NOT_SLUG.sub("", title.lower().replace(" ", "-"))


class SlugRegistry:
    """Hands out unique slugs; `probes` counts the membership tests, for the tests."""

    def __init__(self, taken: set[str] | None = None) -> None:
        self.taken: set[str] = set(taken or ())
        self._next: dict[str, int] = {}
        self.probes = 0

    def unique(self, slug: str) -> str:
        """`slug` if free, else `slug-N` with the smallest free N (as the upstream plugin)."""
        number = self._next.get(slug, 0)
        candidate = slug if number == 0 else f"{slug}-{number}"
        self.probes += 1
        while candidate in self.taken:
            # Every number below `number` was taken when last tried, and taken slugs stay
            # taken, so continuing from there gives the same result as starting from 1.
            number += 1
            candidate = f"{slug}-{number}"
            self.probes += 1
        self._next[slug] = number
        self.taken.add(candidate)
        return candidate


def anchors_plugin(md: MarkdownIt, min_level: int = 1, max_level: int = 2) -> None:
    """Give headings of the chosen levels an `id` (existing ids are kept and reserved)."""
    levels = {f"h{level}" for level in range(min_level, max_level + 1)}

    def anchor(state: StateCore) -> None:
        tokens = state.tokens
        registry = SlugRegistry(
            {
                str(found)
                for token in tokens
                if token.type == "heading_open" and (found := token.attrGet("id"))
            }
        )
        for idx, token in enumerate(tokens):
            if token.type != "heading_open" or token.tag not in levels or token.attrGet("id"):
                continue
            children = tokens[idx + 1].children or []
            title = "".join(c.content for c in children if c.type in ("text", "code_inline"))
            token.attrSet("id", registry.unique(slugify(title)))
        state.env["anchor_probes"] = state.env.get("anchor_probes", 0) + registry.probes

    md.core.ruler.push("anchor", anchor)
