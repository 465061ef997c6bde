"""Cohorts as a built-in plugin: cohorts, join codes, people imports, assessors' learners."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import url_for
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
    """A way into a cohort, on the dashboard."""
    if slot != "dashboard":
        return None
    href = url_for("cohorts.join_form")
    return Markup(
        '<p class="aside">Got a code from your organization? <a href="{}">Join a cohort</a>.</p>'
    ).format(href)
