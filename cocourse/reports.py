"""Blueprint: reports. Quiz item analysis (admins); cohort progress (admins, their assessors)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, abort, render_template, request, stream_with_context
from flask_login import current_user, login_required
from sqlalchemy import func, select

from . import cohort_report, cohorts, quizzes
from .admin import admin_required
from .db import get_session
from .item_analysis import ItemStats, QuizStats, analyse
from .learn import course
from .models import QuizAttempt

bp = Blueprint("reports", __name__, url_prefix="/reports")
PER_PAGE = 50
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


def _cohort_or_404(cohort_id: int) -> Any:
    """The cohort, if the viewer may see it: learners 403, others' cohorts 404."""
    if not current_user.can_bypass_locks:
        abort(403)
    session = get_session()
    cohort = cohorts.get_cohort(session, cohort_id)
    if cohort is None or not cohort_report.may_view(session, current_user, cohort_id):
        abort(404)
    return cohort


def _matrix_modules(track_slug: str | None) -> tuple[Any, list[Any]]:
    track = course().track(track_slug) if track_slug else None
    return track, list(track.modules if track else course().modules)


@bp.get("/cohorts")
@login_required
def cohort_list() -> str:
    """The cohorts whose progress the viewer may follow."""
    if not current_user.can_bypass_locks:
        abort(403)
    session = get_session()
    visible = [
        summary
        for summary in cohorts.list_cohorts(session)
        if cohort_report.may_view(session, current_user, summary.cohort.id)
    ]
    return render_template("reports/cohorts.html", cohorts=visible)


@bp.get("/cohorts/<int:cohort_id>")
@login_required
def cohort_matrix(cohort_id: int) -> str:
    """Learners by modules: status and best quiz score, by track, sortable, a page at a time."""
    cohort = _cohort_or_404(cohort_id)
    track, modules = _matrix_modules(request.args.get("track"))
    sort = request.args.get("sort", "name")
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    rows, total = cohort_report.matrix(
        get_session(), course(), cohort_id, modules, sort=sort, page=page, per_page=PER_PAGE
    )
    return render_template(
        "reports/cohort_matrix.html",
        cohort=cohort,
        track=track,
        modules=modules,
        rows=rows,
        total=total,
        sort=sort,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        tracks=course().tracks,
    )


@bp.get("/cohorts/<int:cohort_id>.csv")
@login_required
def cohort_matrix_csv(cohort_id: int) -> Response:
    """Every learner of the cohort, one row each, streamed (columns in docs/operations.md)."""
    cohort = _cohort_or_404(cohort_id)
    _track, modules = _matrix_modules(request.args.get("track"))
    sort = request.args.get("sort", "name")
    session = get_session()

    def rows() -> Iterator[str]:
        header = ["name", "email"]
        for module in modules:
            header += [f"{module.slug}:status", f"{module.slug}:lessons", f"{module.slug}:best"]
        yield _line(tuple(header))
        try:
            for row in cohort_report.all_rows(session, course(), cohort_id, modules, sort):
                values: list[Any] = [row.user.name, row.user.email]
                for cell in row.cells:
                    best = "" if cell.best_score is None else f"{cell.best_score:g}"
                    values += [cell.status, f"{cell.done}/{cell.total}", best]
                yield _line(tuple(values))
        finally:
            # End the read transaction as soon as the last row is out, not when the
            # server gets round to closing the response.
            session.rollback()

    name = f"cohort-{cohort.id}-progress.csv"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(stream_with_context(rows()), mimetype="text/csv", headers=headers)
