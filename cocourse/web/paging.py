"""Paged lists in the blueprints: which page was asked for, and how many there are."""

from __future__ import annotations

from cocourse.web.ids import query_int


def requested_page() -> int:
    """The `?page=` number: 1 when it is missing, not a number, or below 1; 400 when it is
    too large for the database."""
    return max(query_int("page", 1), 1)


def page_count(total: int, per_page: int) -> int:
    """Pages needed for `total` rows, at least one (an empty list still has a page)."""
    return max(1, -(-total // per_page))
