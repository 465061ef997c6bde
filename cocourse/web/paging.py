"""Paged lists in the blueprints: which page was asked for, and how many there are."""

from __future__ import annotations

from flask import request


def requested_page() -> int:
    """The `?page=` number: 1 when it is missing, not a number, or below 1."""
    return max(request.args.get("page", 1, type=int) or 1, 1)


def page_count(total: int, per_page: int) -> int:
    """Pages needed for `total` rows, at least one (an empty list still has a page)."""
    return max(1, -(-total // per_page))
