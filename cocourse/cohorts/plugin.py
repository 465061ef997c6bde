"""Cohorts as a built-in plugin: cohorts, join codes, people imports, assessors' learners."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import render_template, url_for
from markupsafe import Markup

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
        links.append({"label": "Learners", "href": url_for("cohorts.learners"), "weight": 30})
    if user.is_authenticated and user.is_admin:
        links.append({"label": "Cohorts", "href": url_for("cohorts.cohort_list"), "weight": 41})
    return links


@hookimpl
def page_panels(slot: str, user: Any, context: Any) -> Any:
    """A way into a cohort, on the dashboard; the cohort a join link waits to put the person
    in, on the login and sign-up pages; a person's cohorts, on their People page."""
    if slot == "dashboard":
        href = url_for("cohorts.join_form")
        return Markup(
            '<p class="aside">Got a code from your organization? <a href="{}">'
            "Join a cohort</a>.</p>"
        ).format(href)
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
