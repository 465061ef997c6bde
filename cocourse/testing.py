"""Helpers for tests of cocourse and of its plugins (not used by the app itself).

The question-type contract says that nothing in an attempt page gives the key away: two
attempts drawn with the same seed from quizzes that differ only in their keys must show the
same page, apart from the random values each attempt's form uses. `without_random_values`
takes those values out so that the two pages can be compared as text; see docs/plugins.md,
"Keeping the key out of the page", for a whole test.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["without_random_values"]


def without_random_values(html: str, snapshots: Iterable[Mapping[str, Any]]) -> str:
    """The page with every random value of the attempt (from its question snapshots)
    replaced by `v1`, `v2`, ... in order of first appearance, and the CSRF token removed."""
    html = re.sub(r'(name="csrf_token"[^>]*value=")[^"]+"', r'\1"', html)
    values = {
        token
        for snapshot in snapshots
        for key in ("tokens", "right_tokens")
        for token in dict(snapshot.get(key) or {}).values()
    }
    if not values:
        return html
    pattern = re.compile("|".join(re.escape(value) for value in sorted(values, key=len)[::-1]))
    names: dict[str, str] = {}

    def name(match: re.Match[str]) -> str:
        return names.setdefault(match.group(0), f"v{len(names) + 1}")

    return pattern.sub(name, html)
