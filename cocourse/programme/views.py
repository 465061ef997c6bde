"""Blueprint: programme. The sponsor's view of the four steps, month by month.

Admins and sponsors see it; everyone else gets 403. `?cohort=<id>` restricts the
people-based figures to a cohort's members (an unknown cohort is 404). The CSV has the
same figures: one row per month ("YYYY-MM", oldest first), then a row "total" (over the 12
months; in training and certificates valid: now); the columns are `month` and the names in
`figures.FIGURES`, and `certificates_valid` is only in the total row.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, select

from cocourse.db import get_session
from cocourse.models import Cohort, CohortMember, Role, utcnow
from cocourse.plugins import plugin_settings
from cocourse.programme import charts
from cocourse.programme import figures as programme
from cocourse.web import csv_export
from cocourse.web.roles import role_required
from cocourse.web.security_log import denied

bp = Blueprint("programme", __name__)
sponsors_and_admins = role_required(Role.ADMIN, Role.SPONSOR)


@dataclass(frozen=True)
class Scope:
    """Whose figures the page shows: one cohort's members, or everyone."""

    cohort: Cohort | None
    cohorts: list[Cohort]  # the cohorts to choose from

    @property
    def args(self) -> dict[str, int]:
        """The query arguments that keep this scope in links."""
        return {"cohort": self.cohort.id} if self.cohort else {}


def _scope() -> Scope:
    """The cohort asked for with ?cohort=<id>; one that does not exist is 404."""
    query = select(Cohort).order_by(func.lower(Cohort.name), Cohort.id)
    choices = list(get_session().scalars(query))
    wanted = request.args.get("cohort", "")
    if not wanted:
        return Scope(None, choices)
    # Compared as text: an id that is not a number, or too large for the database, is 404.
    chosen = next((cohort for cohort in choices if str(cohort.id) == wanted), None)
    if chosen is None:
        denied("unknown cohort", cohort=wanted[:20])
        abort(404)
    return Scope(chosen, choices)


def _consultants() -> list[str]:
    """The consultants' emails from the settings (a single address is accepted too)."""
    configured = plugin_settings(current_app, "programme")["consultants"]
    if isinstance(configured, str):
        configured = [configured]
    return [str(email) for email in configured or ()]


def _figures(scope: Scope) -> programme.Programme:
    members = None
    if scope.cohort is not None:
        members = select(CohortMember.user_id).where(CohortMember.cohort_id == scope.cohort.id)
    return programme.figures(get_session(), utcnow(), members, _consultants())


def _charts(found: programme.Programme) -> dict[str, charts.Chart]:
    def chart(chart_id: str, title: str, *series: tuple[str, str]) -> charts.Chart:
        values = [(label, found[name].months) for name, label in series]
        return charts.bar_chart(chart_id, title, found.months, values)

    return {
        "opportunities": chart(
            "chart-opportunities",
            _("Opportunities raised and acted on per month"),
            (programme.RAISED, _("Raised")),
            (programme.ACTED, _("Acted on")),
        ),
        "tastings": chart(
            "chart-tastings",
            _("People reached by tasting workshops per month"),
            (programme.REACHED, _("People reached")),
        ),
        "training": chart(
            "chart-training",
            _("Facilitators in training at each month's end, and certificates issued per month"),
            (programme.TRAINING, _("In training")),
            (programme.CERTIFIED, _("Certified")),
        ),
        "workshops": chart(
            "chart-workshops",
            _("Workshops run by internal facilitators per month, and those without a consultant"),
            (programme.RUN, _("Workshops run")),
            (programme.WITHOUT_CONSULTANT, _("Without a consultant")),
        ),
        "actions": chart(
            "chart-actions",
            _("Actions agreed and actions done per month"),
            (programme.AGREED, _("Agreed")),
            (programme.DONE, _("Done")),
        ),
    }


@bp.get("/programme")
@sponsors_and_admins
def overview() -> str:
    """The four steps at a glance over the last 12 months, with a chart and a table each."""
    scope = _scope()
    found = _figures(scope)
    return render_template(
        "programme/overview.html",
        scope=scope,
        programme=found,
        charts=_charts(found),
        consultants=_consultants(),
        month_name=_month_name,
        share=found.share_without_consultant(),
    )


@bp.get("/programme.csv")
@sponsors_and_admins
def overview_csv() -> Response:
    """The same figures as CSV: a row per month and a total row (see the module's doc)."""
    scope = _scope()
    found = _figures(scope)

    def rows() -> Iterator[list[Any]]:
        for index, month in enumerate(found.months):
            yield [month, *(_blank(found[name].months[index]) for name in programme.FIGURES)]
        yield [programme.TOTAL, *(found[name].total for name in programme.FIGURES)]

    name = f"programme-cohort-{scope.cohort.id}.csv" if scope.cohort else "programme.csv"
    return csv_export.download(("month", *programme.FIGURES), rows(), name, get_session())


def _blank(value: int | None) -> int | str:
    return "" if value is None else value


def _month_name(key: str, short: bool = False) -> str:
    """ "2025-03" as "March 2025" (short: "Mar 2025")."""
    year, month = key.split("-")
    # In the reader's language: "March 2025" (short: "Mar 2025"), "maart 2025", "mars 2025".
    return str(format_date(date(int(year), int(month), 1), "MMM y" if short else "MMMM y"))
