"""The opportunity board as a built-in plugin: step 1 of the programme, where anyone
proposes a situation for co-creation, others support and discuss it, and facilitators
triage it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import render_template, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from cocourse.hookspecs import hookimpl


@hookimpl
def register_blueprints(app: Any) -> Any:
    """The board, an opportunity's page, and the forms that change it."""
    from cocourse.opportunities.views import bp

    return [bp]


@hookimpl
def register_template_folders(app: Any) -> Any:
    """opportunities/*.html."""
    return [Path(__file__).parent / "templates"]


@hookimpl
def register_menu_links(app: Any, user: Any) -> Any:
    """Opportunities, for everyone logged in."""
    if not user.is_authenticated:
        return []
    return [{"label": _l("Opportunities"), "href": url_for("opportunities.board"), "weight": 15}]


@hookimpl
def page_panels(slot: str, user: Any, context: Any) -> Any:
    """After a quiz whose reflection asked for an opportunity: an offer to put it on the
    board (the learner chooses; nothing is posted without them)."""
    if slot != "quiz_result" or not user.is_authenticated:
        return None
    from cocourse.db import get_session
    from cocourse.opportunities.services import from_attempt

    attempt = context["attempt"]
    if from_attempt(get_session(), context["course"], attempt.id, user.id) is None:
        return None
    html = render_template("opportunities/_from_quiz.html", attempt=attempt)
    return Markup(html)  # noqa: S704 (autoescaped template output)
