"""Blueprint: reports. Module funnels, quiz item analysis and cohort progress.

Admins see every learner; assessors see the learners of the cohorts they are assigned to;
learners get 403. The funnel and quiz reports take `?cohort=<id>`: without it they cover
everyone the viewer may see (for an assessor, all their cohorts together); a cohort that is
not the viewer's to see is 404.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Select, func, select

from cocourse.cohorts import due_dates
from cocourse.cohorts import services as cohorts
from cocourse.db import get_session
from cocourse.models import Cohort, CohortAssessor, CohortMember, QuizAttempt, Role, utcnow
from cocourse.reports import cohort_matrix as cohort_report
from cocourse.reports import funnel, item_store
from cocourse.reports import item_analysis as items
from cocourse.reports.item_analysis import ItemStats, QuizStats
from cocourse.web import csv_export
from cocourse.web.course import course
from cocourse.web.paging import page_count, requested_page
from cocourse.web.roles import role_required
from cocourse.web.security_log import denied

bp = Blueprint("reports", __name__, url_prefix="/reports")
# Every report is for assessors (their cohorts) and admins (everyone); learners get 403.
assessors_and_admins = role_required(Role.ASSESSOR, Role.ADMIN)
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
FUNNEL_COLUMNS = (
    "step",
    "kind",
    "key",
    "label",
    "optional",
    "learners",
    "share",
    "median_seconds",
)
# The item analysis's flags and reliability names as the page shows them (the CSV keeps them
# in English).
TERMS = {
    items.NOBODY_RIGHT: _l("nobody answered it correctly"),
    items.NEGATIVE_DISCRIMINATION: _l(
        "negative discrimination: weaker learners do better than stronger ones"
    ),
    items.CRONBACH: _l("Cronbach's alpha"),
}


@dataclass(frozen=True)
class Scope:
    """Whose figures a report shows: one cohort, the viewer's cohorts together, or everyone."""

    cohort: Cohort | None  # chosen with ?cohort=
    learners: Select[Any] | None  # a query of the user ids counted; None: everyone
    cohorts: list[Cohort]  # the cohorts the viewer may choose from

    @property
    def args(self) -> dict[str, int]:
        """The query arguments that keep this scope in links."""
        return {"cohort": self.cohort.id} if self.cohort else {}


def _scope() -> Scope:
    """The scope asked for with ?cohort=<id>: a cohort not the viewer's is 404.

    Without a cohort, admins see everyone and assessors the members of all their cohorts.
    """
    query = select(Cohort).order_by(func.lower(Cohort.name), Cohort.id)
    if not current_user.is_admin:
        query = query.join(CohortAssessor, CohortAssessor.cohort_id == Cohort.id).where(
            CohortAssessor.user_id == current_user.id
        )
    choices = list(get_session().scalars(query))
    wanted = request.args.get("cohort", "")
    if not wanted:
        return Scope(None, cohorts.learner_scope(current_user), choices)
    # Compared as text: an id that is not a number, or too large for the database, is 404.
    chosen = next((cohort for cohort in choices if str(cohort.id) == wanted), None)
    if chosen is None:
        denied("cohort not the viewer's", cohort=wanted[:20])
        abort(404)
    members = select(CohortMember.user_id).where(CohortMember.cohort_id == chosen.id)
    return Scope(chosen, members, choices)


def _quiz_or_404(quiz_id: str) -> Any:
    found = course().quiz(quiz_id)
    if found is None:
        abort(404)
    return found


def _stats(quiz_id: str, scope: Scope) -> QuizStats:
    types = current_app.extensions["cocourse.question_types"]
    return item_store.quiz_stats(get_session(), quiz_id, scope.learners, types)


def _csv_name(name: str, scope: Scope) -> str:
    return f"{name}-cohort-{scope.cohort.id}.csv" if scope.cohort else f"{name}.csv"


@bp.get("/quizzes")
@assessors_and_admins
def quiz_list() -> str:
    """Every quiz of the course with its number of graded attempts in the scope."""
    scope = _scope()
    query = (
        select(QuizAttempt.quiz_id, func.count())
        .where(QuizAttempt.submitted_at.is_not(None))
        .group_by(QuizAttempt.quiz_id)
    )
    if scope.learners is not None:
        query = query.where(QuizAttempt.user_id.in_(scope.learners))
    counts = dict(get_session().execute(query).all())
    rows = [
        (module, lesson, counts.get(lesson.quiz.id, 0))
        for module in course().modules
        for lesson in module.lessons
        if lesson.quiz is not None
    ]
    return render_template("reports/quizzes.html", rows=rows, scope=scope)


@bp.get("/quizzes/<quiz_id>")
@assessors_and_admins
def item_analysis(quiz_id: str) -> str:
    """Facility, discrimination, option choices and reliability for one quiz."""
    scope = _scope()
    module, lesson = _quiz_or_404(quiz_id)
    current = {(q.id, q.source_hash): q for q in lesson.questions}
    return render_template(
        "reports/item_analysis.html",
        module=module,
        lesson=lesson,
        stats=_stats(quiz_id, scope),
        current=current,
        scope=scope,
        terms=TERMS,
    )


@bp.get("/quizzes/<quiz_id>.csv")
@assessors_and_admins
def item_analysis_csv(quiz_id: str) -> Response:
    """The item analysis as CSV (columns documented in docs/operations.md)."""
    scope = _scope()
    _module, lesson = _quiz_or_404(quiz_id)
    current = {(q.id, q.source_hash) for q in lesson.questions}
    stats = _stats(quiz_id, scope)
    rows = (_csv_row(item, (item.question_id, item.version) in current) for item in stats.items)
    name = _csv_name(f"{quiz_id}-items", scope)
    return csv_export.download(CSV_COLUMNS, rows, name, get_session())


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


def _cohort_or_404(cohort_id: int) -> Any:
    """The cohort, if the viewer may see it: others' cohorts are 404."""
    session = get_session()
    cohort = cohorts.get_cohort(session, cohort_id)
    if cohort is None:
        abort(404)
    if not cohort_report.may_view(session, current_user, cohort_id):
        denied("cohort not the viewer's", cohort_id=cohort_id)
        abort(404)
    return cohort


def _matrix_modules(track_slug: str | None) -> tuple[Any, list[Any]]:
    track = course().track(track_slug) if track_slug else None
    return track, list(track.modules if track else course().modules)


@bp.get("/cohorts")
@assessors_and_admins
def cohort_list() -> str:
    """The cohorts whose progress the viewer may follow."""
    session = get_session()
    visible = [
        summary
        for summary in cohorts.list_cohorts(session)
        if cohort_report.may_view(session, current_user, summary.cohort.id)
    ]
    return render_template("reports/cohorts.html", cohorts=visible)


@bp.get("/cohorts/<int:cohort_id>")
@assessors_and_admins
def cohort_matrix(cohort_id: int) -> str:
    """Learners by modules: status and best quiz score, by track, sortable, a page at a time;
    above it, for each due date that has passed, who has not finished."""
    cohort = _cohort_or_404(cohort_id)
    track, modules = _matrix_modules(request.args.get("track"))
    sort = request.args.get("sort", "name")
    page = requested_page()
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
        pages=page_count(total, PER_PAGE),
        tracks=course().tracks,
        overdue=due_dates.overdue(get_session(), course(), cohort_id, utcnow().date()),
    )


@bp.get("/cohorts/<int:cohort_id>.csv")
@assessors_and_admins
def cohort_matrix_csv(cohort_id: int) -> Response:
    """Every learner of the cohort, one row each, streamed (columns in docs/operations.md)."""
    cohort = _cohort_or_404(cohort_id)
    _track, modules = _matrix_modules(request.args.get("track"))
    sort = request.args.get("sort", "name")
    session = get_session()
    header = ["name", "email"]
    for module in modules:
        header += [f"{module.slug}:status", f"{module.slug}:lessons", f"{module.slug}:best"]

    def rows() -> Iterator[list[Any]]:
        for row in cohort_report.all_rows(session, course(), cohort_id, modules, sort):
            values: list[Any] = [row.user.name, row.user.email]
            for cell in row.cells:
                best = "" if cell.best_score is None else f"{cell.best_score:g}"
                values += [cell.status, f"{cell.done} of {cell.total}", best]
            yield values

    return csv_export.download(header, rows(), f"cohort-{cohort.id}-progress.csv", session)


@bp.get("/modules")
@assessors_and_admins
def module_list() -> str:
    """Every module with how many learners in the scope started and completed it."""
    scope = _scope()
    rows = funnel.headlines(get_session(), course(), scope.learners)
    return render_template("reports/modules.html", rows=rows, scope=scope, bar_width=_percent)


def _module_or_404(slug: str) -> Any:
    found = course().module(slug)
    if found is None:
        abort(404)
    return found


@bp.get("/modules/<slug>")
@assessors_and_admins
def module_funnel(slug: str) -> str:
    """How far learners in the scope got through one module, step by step."""
    scope = _scope()
    found = funnel.funnel(get_session(), _module_or_404(slug), scope.learners)
    return render_template(
        "reports/funnel.html", funnel=found, scope=scope, duration=duration, bar_width=_percent
    )


@bp.get("/modules/<slug>.csv")
@assessors_and_admins
def module_funnel_csv(slug: str) -> Response:
    """The funnel as CSV, one row per step (columns documented in docs/operations.md)."""
    scope = _scope()
    found = funnel.funnel(get_session(), _module_or_404(slug), scope.learners)
    rows = (
        _funnel_row(number, step, found.share(step))
        for number, step in enumerate(found.steps, start=1)
    )
    name = _csv_name(f"{slug}-funnel", scope)
    return csv_export.download(FUNNEL_COLUMNS, rows, name, get_session())


def _funnel_row(number: int, step: funnel.Step, share: float) -> tuple[Any, ...]:
    median = "" if step.median_seconds is None else round(step.median_seconds)
    optional = "yes" if step.optional else "no"
    return (
        number,
        step.kind,
        step.key,
        step.label,
        optional,
        step.learners,
        f"{share:.4f}",
        median,
    )


def _percent(share: float) -> int:
    """A share as a whole percentage, the width of a bar (the text says `percent`)."""
    return round(100 * share)


def duration(seconds: float | None) -> str:
    """A duration in words a reader takes in at a glance: "3 h 20 min", "2 d 5 h"."""
    if seconds is None:
        return "–"
    minutes = round(seconds / 60)
    if minutes < 1:
        return str(_("under a minute"))
    if minutes < 60:
        return str(_("%(minutes)d min", minutes=minutes))
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        if minutes:
            return str(_("%(hours)d h %(minutes)d min", hours=hours, minutes=minutes))
        return str(_("%(hours)d h", hours=hours))
    days, hours = divmod(hours, 24)
    if hours:
        return str(_("%(days)d d %(hours)d h", days=days, hours=hours))
    return str(_("%(days)d d", days=days))
