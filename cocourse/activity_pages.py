"""Blueprint: a learner's activity log and its CSV download; the admins' xAPI export."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Blueprint, abort, render_template, request, stream_with_context
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from . import activity
from .admin import admin_required
from .content.loader import lesson_url, module_url
from .content.model import Course
from .db import get_session
from .learn import course
from .models import ActivityEvent
from .paging import requested_page

bp = Blueprint("activity", __name__)
PER_PAGE = 50
CSV_COLUMNS = (
    "occurred_at",
    "verb",
    "object_type",
    "object_id",
    "object_title",
    "score",
    "passed",
)
# Personal data: never kept by browsers or proxies.
PRIVATE = {"Cache-Control": "no-store"}


@bp.get("/activity")
@login_required
def log() -> str:
    """The learner's own events, newest first, a page at a time."""
    page = requested_page()
    events, more = activity.recent(get_session(), current_user.id, page, PER_PAGE)
    rows = [(event, *_describe(course(), event)) for event in events]
    return render_template("activity/log.html", rows=rows, page=page, more=more)


def _describe(current: Course, event: ActivityEvent) -> tuple[str, str | None]:
    """An event's object title (its id if the course no longer has it) and page, if any."""
    found = activity.title(current, event.object_type, event.object_id)
    if found is None:
        return event.object_id, None
    if event.object_type == activity.LESSON:
        module_slug, _, lesson_slug = event.object_id.partition("/")
        return found, request.script_root + lesson_url(module_slug, lesson_slug)
    if event.object_type == activity.MODULE:
        return found, request.script_root + module_url(event.object_id)
    return found, None


@bp.get("/activity.csv")
@login_required
def log_csv() -> Response:
    """The learner's own events as CSV, oldest first (columns in docs/operations.md)."""
    rows = activity.learner_events(get_session(), current_user.id)
    current = course()

    def lines() -> Iterator[str]:
        yield _csv_lines([CSV_COLUMNS])
        chunk = []
        try:
            for row in rows:
                chunk.append(_csv_row(current, row))
                if len(chunk) == activity.CHUNK:
                    yield _csv_lines(chunk)
                    chunk = []
        finally:
            get_session().rollback()  # end the read transaction with the last row
        if chunk:
            yield _csv_lines(chunk)

    headers = {"Content-Disposition": 'attachment; filename="activity.csv"', **PRIVATE}
    return Response(stream_with_context(lines()), mimetype="text/csv", headers=headers)


def _csv_row(current: Course, row: Any) -> tuple[Any, ...]:
    """One event: occurred_at, verb, object type, id and title, score and passed."""
    result = row.result or {}
    score = result.get("score")
    passed = result.get("passed")
    return (
        activity.iso(row.occurred_at),
        row.verb,
        row.object_type,
        row.object_id,
        activity.title(current, row.object_type, row.object_id) or "",
        "" if score is None else f"{score:g}",
        "" if passed is None else ("true" if passed else "false"),
    )


def _csv_lines(rows: Iterable[Iterable[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


@bp.get("/admin/activity.jsonl")
@admin_required
def export() -> Response:
    """Every event as an xAPI 1.0.3 statement, one JSON object a line; `?since=` filters."""
    since = None
    text = request.args.get("since", "")
    if text.strip():
        try:
            since = activity.parse_since(text)
        except ValueError as exc:
            abort(400, str(exc))
    rows = activity.all_events(get_session(), since)
    current, base_url = course(), request.url_root

    def lines() -> Iterator[str]:
        chunk = []
        try:
            for row in rows:
                statement = activity.statement(row, current, base_url)
                chunk.append(
                    json.dumps(statement, ensure_ascii=False, separators=(",", ":")) + "\n"
                )
                if len(chunk) == activity.CHUNK:
                    yield "".join(chunk)
                    chunk = []
        finally:
            get_session().rollback()  # end the read transaction with the last row
        if chunk:
            yield "".join(chunk)

    headers = {"Content-Disposition": 'attachment; filename="activity.jsonl"', **PRIVATE}
    return Response(stream_with_context(lines()), mimetype="application/jsonl", headers=headers)
