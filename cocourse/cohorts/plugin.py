"""Cohorts as a built-in plugin: cohorts, join codes, people imports, assessors' learners,
due dates (on the dashboard) and their reminders (a scheduled job)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from flask import render_template, url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape

from cocourse.hookspecs import hookimpl


@hookimpl
def register_blueprints(app: Any) -> Any:
    """Cohort administration, joining a cohort, and the assessors' learner pages."""
    from cocourse.cohorts.views import bp

    return [bp]


@hookimpl
def register_template_folders(app: Any) -> Any:
    """cohorts/*.html."""
    return [Path(__file__).parent / "templates"]


@hookimpl
def register_menu_links(app: Any, user: Any) -> Any:
    """Learners for assessors and admins; Cohorts for admins."""
    links = []
    if user.is_authenticated and user.can_bypass_locks:
        links.append({"label": _("Learners"), "href": url_for("cohorts.learners"), "weight": 30})
    if user.is_authenticated and user.is_admin:
        links.append({"label": _("Cohorts"), "href": url_for("cohorts.cohort_list"), "weight": 41})
    return links


@hookimpl
def page_panels(slot: str, user: Any, context: Any) -> Any:
    """The learner's due dates and a way into a cohort, on the dashboard; the cohort a join
    link waits to put the person in, on the login and sign-up pages; a person's cohorts, on
    their People page."""
    if slot == "dashboard":
        href = url_for("cohorts.join_form")
        sentence = _(
            'Got a code from your organization? <a href="%(href)s">Join a cohort</a>.',
            href=escape(href),
        )
        join = Markup('<p class="aside">{}</p>').format(Markup(sentence))  # noqa: S704
        if user.is_authenticated:
            return _due_panel(user, context["course"]) + join
        return join
    if slot in ("login", "register"):
        return _waiting_join()
    if slot == "person" and user.is_authenticated and user.is_admin:
        return _person_panel(context["person"])
    return None


def _waiting_join() -> Markup | None:
    from cocourse.cohorts import services as cohorts
    from cocourse.db import get_session
    from cocourse.web import pending_join

    code = pending_join.held()
    cohort = cohorts.find_by_code(get_session(), code) if code else None
    if cohort is None:
        return None
    # Rendered by Jinja with autoescaping: safe to pass on as HTML.
    return Markup(render_template("cohorts/_waiting_join.html", cohort=cohort))  # noqa: S704


def _person_panel(person: Any) -> Markup:
    from cocourse.cohorts import services as cohorts
    from cocourse.db import get_session

    db = get_session()
    html = render_template(
        "cohorts/_person_panel.html",
        person=person,
        memberships=cohorts.memberships(db, person.id),
        assessing=cohorts.assessed_by(db, person.id),
    )
    return Markup(html)  # noqa: S704 (autoescaped template output)


def _due_panel(user: Any, course: Any) -> Markup:
    """The due dates of the learner's cohorts (nothing when there are none)."""
    from cocourse.cohorts import due_dates
    from cocourse.db import get_session
    from cocourse.models import utcnow

    found = due_dates.for_learner(get_session(), course, user.id)
    if not found:
        return Markup("")
    html = render_template(
        "cohorts/_due_dates_panel.html",
        dues=found,
        today=utcnow().date(),
        target_href=_target_href,
    )
    return Markup(html)  # noqa: S704 (autoescaped template output)


def _target_href(target: Any) -> str:
    """A track's place in the catalog, or a module's page."""
    if target.kind == "track":
        return url_for("learning.catalog", _anchor=f"track-{target.slug}")
    return url_for("learning.module_page", slug=target.slug)


@hookimpl
def register_scheduled_jobs(app: Any) -> Any:
    """Reminders of cohort due dates, 7 days and 1 day before, every hour."""
    from cocourse.plugins import ScheduledJob

    return [ScheduledJob("cocourse.cohorts.due-date-reminders", _send_reminders, minute="7")]


def _send_reminders(session: Any, now: datetime) -> int:
    from cocourse.cohorts import due_dates
    from cocourse.web.course import course

    return due_dates.send_reminders(session, course(), now, _target_href)
