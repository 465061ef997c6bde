"""Numbers from URLs, bounded before they reach the database.

Ids are PostgreSQL `integer` columns (SQLite stores them in 64 bits): a larger number in a
route or a query string cannot name a row, and would make the database driver fail. The
`int` route converter is replaced app-wide, so every route, a plugin's included, answers 404
for such numbers; `page_number` answers 400 for a `?page=` beyond the same bound.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter, Map

MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:...>` limited to 0..MAX_ID unless a route asks for other bounds."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def query_int(name: str, default: int) -> int:
    """A non-negative whole number from the query string; `default` when it is missing or
    not a number, 400 when it is beyond MAX_ID."""
    raw = request.args.get(name, "")
    if not raw.isascii() or not raw.isdigit():
        return default
    if len(raw) > 10 or int(raw) > MAX_ID:
        abort(400, _("The number given for “%(name)s” is too large.", name=name))
    return int(raw)


def init_app(app: Flask) -> None:
    """Replace the `int` converter before any blueprint adds its routes."""
    app.url_map.converters["int"] = IdConverter
