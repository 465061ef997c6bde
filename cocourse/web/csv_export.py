"""Streamed CSV downloads for the blueprints: a line at a time, memory flat however many rows.

The read transaction ends with the last row, not when the server gets round to closing the
response: on PostgreSQL an open transaction would hold locks that others wait for.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Response, stream_with_context
from sqlalchemy.orm import Session


def line(values: Iterable[Any]) -> str:
    """One CSV line, quoted as needed, with its line ending."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(values)
    return buffer.getvalue()


def download(
    header: Iterable[str], rows: Iterable[Iterable[Any]], filename: str, session: Session
) -> Response:
    """A CSV attachment streamed from `rows`, which may query lazily through `session`."""

    def lines() -> Iterator[str]:
        try:
            yield line(header)
            for row in rows:
                yield line(row)
        finally:
            session.rollback()

    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(stream_with_context(lines()), mimetype="text/csv", headers=headers)
