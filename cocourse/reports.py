"""Blueprint: quiz reports for admins (item analysis, with a CSV download)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, abort, render_template, stream_with_context
from sqlalchemy import func, select

from . import quizzes
from .admin import admin_required
from .db import get_session
from .item_analysis import ItemStats, QuizStats, analyse
from .learn import course
from .models import QuizAttempt

bp = Blueprint("reports", __name__, url_prefix="/reports")
CSV_COLUMNS = (
    "question_id",
    "version",
    "type",
    "current",
    "attempts",
    "facility",
    "discrimination",
    "options",
    "flags",
)


def _quiz_or_404(quiz_id: str) -> Any:
    found = course().quiz(quiz_id)
    if found is None:
        abort(404)
    return found


def _stats(quiz_id: str) -> QuizStats:
    return analyse(quizzes.item_records(get_session(), quiz_id))


@bp.get("/quizzes")
@admin_required
def quiz_list() -> str:
    """Every quiz of the course with its number of graded attempts."""
    counts = dict(
        get_session()
        .execute(
            select(QuizAttempt.quiz_id, func.count())
            .where(QuizAttempt.submitted_at.is_not(None))
            .group_by(QuizAttempt.quiz_id)
        )
        .all()
    )
    rows = [
        (module, lesson, counts.get(lesson.quiz.id, 0))
        for module in course().modules
        for lesson in module.lessons
        if lesson.quiz is not None
    ]
    return render_template("reports/quizzes.html", rows=rows)


@bp.get("/quizzes/<quiz_id>")
@admin_required
def item_analysis(quiz_id: str) -> str:
    """Facility, discrimination, option choices and reliability for one quiz."""
    module, lesson = _quiz_or_404(quiz_id)
    current = {(q.id, q.source_hash): q for q in lesson.questions}
    return render_template(
        "reports/item_analysis.html",
        module=module,
        lesson=lesson,
        stats=_stats(quiz_id),
        current=current,
    )


@bp.get("/quizzes/<quiz_id>.csv")
@admin_required
def item_analysis_csv(quiz_id: str) -> Response:
    """The item analysis as CSV (columns documented in docs/operations.md)."""
    _module, lesson = _quiz_or_404(quiz_id)
    current = {(q.id, q.source_hash) for q in lesson.questions}
    stats = _stats(quiz_id)

    def rows() -> Iterator[str]:
        yield _line(CSV_COLUMNS)
        for item in stats.items:
            yield _line(_csv_row(item, (item.question_id, item.version) in current))

    headers = {"Content-Disposition": f'attachment; filename="{quiz_id}-items.csv"'}
    return Response(stream_with_context(rows()), mimetype="text/csv", headers=headers)


def _csv_row(item: ItemStats, is_current: bool) -> tuple[Any, ...]:
    options = ";".join(f"{answer}={count}" for answer, count in item.options.items())
    discrimination = "" if item.discrimination is None else f"{item.discrimination:.4f}"
    return (
        item.question_id,
        item.version[:12],
        item.type,
        "yes" if is_current else "no",
        item.attempts,
        f"{item.facility:.4f}",
        discrimination,
        options,
        "; ".join(item.flags),
    )


def _line(values: tuple[Any, ...]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(values)
    return buffer.getvalue()
