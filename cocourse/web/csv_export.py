"""Streamed CSV downloads for the blueprints: a line at a time, memory flat however many rows.

Every cell is written so that a spreadsheet shows it as text and never runs it as a formula
(see `cell`); numbers stay numbers. With `?excel=1` the download starts with a UTF-8
byte-order mark, which Excel needs to read accented names right (other programs do not).

The read transaction ends with the last row, not when the server gets round to closing the
response: on PostgreSQL an open transaction would hold locks that others wait for.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Response, request, stream_with_context
from sqlalchemy.orm import Session

# Text that spreadsheets read as a formula (or as the start of one) begins with one of these;
# OWASP's advice on CSV injection is to make such cells start with an apostrophe instead.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
# A plain number written as text ("-2", "0.5"): safe, and it should stay a number.
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?\Z")
BOM = "\ufeff"


def cell(value: Any) -> Any:
    """A value as spreadsheets should read it: numbers as numbers, text as text. Text that a
    spreadsheet would evaluate (`=HYPERLINK(...)`, `+cmd|...`, `-2+3`, `@SUM(...)`) gets a
    leading apostrophe, which shows it as typed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    text = str(value)
    if text.startswith(FORMULA_START) and not PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def lines(rows: Iterable[Iterable[Any]]) -> str:
    """CSV lines for `rows`, each cell made safe by `cell`, quoted as needed."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows([cell(value) for value in row] for row in rows)
    return buffer.getvalue()


def line(values: Iterable[Any]) -> str:
    """One CSV line (see `lines`), with its line ending."""
    return lines([values])


def start() -> str:
    """What a download starts with: the byte-order mark when the request asks for Excel."""
    return BOM if request.args.get("excel") == "1" else ""


def download(
    header: Iterable[str], rows: Iterable[Iterable[Any]], filename: str, session: Session
) -> Response:
    """A CSV attachment streamed from `rows`, which may query lazily through `session`."""
    first = start() + line(header)

    def chunks() -> Iterator[str]:
        try:
            yield first
            for row in rows:
                yield line(row)
        finally:
            session.rollback()

    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(stream_with_context(chunks()), mimetype="text/csv", headers=headers)
