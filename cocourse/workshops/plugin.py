"""Workshops as a built-in plugin: scheduling, seats, guests, calendar invitations, the run
sheet, the reminder the day before; attendance, feedback and the harvest afterwards."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from flask import render_template, url_for
from markupsafe import Markup

from cocourse.hookspecs import hookimpl
from cocourse.plugins import ScheduledJob

SETTINGS = {"timezone": "UTC"}


@hookimpl
def register_settings() -> Any:
    """`timezone`: the zone a new workshop is scheduled in unless the facilitator changes it
    (an IANA name such as Europe/Brussels)."""
    return {"workshops": dict(SETTINGS)}


@hookimpl
def register_blueprints(app: Any) -> Any:
    """/workshops and a guest's /w/<token>."""
    from cocourse.workshops.views import bp

    return [bp]


@hookimpl
def register_template_folders(app: Any) -> Any:
    """workshops/*.html and the workshop emails (mail/workshop_*)."""
    return [Path(__file__).parent / "templates"]


@hookimpl
def register_menu_links(app: Any, user: Any) -> Any:
    """Workshops, for everyone logged in."""
    if not user.is_authenticated:
        return []
    return [{"label": "Workshops", "href": url_for("workshops.workshop_list"), "weight": 12}]


def _remind(session: Any, now: datetime) -> int:
    from cocourse.workshops.services import remind

    return remind(session, now)


def _invite_feedback(session: Any, now: datetime) -> int:
    from cocourse.workshops.feedback import invite

    return invite(session, now)


def _remind_actions(session: Any, now: datetime) -> int:
    from cocourse.workshops.harvest import remind_due

    return remind_due(session, now)


@hookimpl
def register_scheduled_jobs(app: Any) -> Any:
    """The reminder the day before, checked every 15 minutes; after a workshop, the
    invitation to give feedback (every 15 minutes); actions due in two days (hourly)."""
    return [
        ScheduledJob("cocourse.workshops.reminders", _remind),
        ScheduledJob("cocourse.workshops.feedback_invitations", _invite_feedback),
        ScheduledJob("cocourse.workshops.action_reminders", _remind_actions, minute="7"),
    ]


@hookimpl
def page_panels(slot: str, user: Any, context: Any) -> Any:
    """The learner's next workshops and open actions from workshops on the dashboard."""
    if slot != "dashboard" or not user.is_authenticated:
        return None
    from cocourse.db import get_session
    from cocourse.models import utcnow
    from cocourse.web.forms import ActionForm
    from cocourse.workshops import harvest, services

    session = get_session()
    mine = services.mine(session, user.id, utcnow())
    actions = harvest.owned_by(session, user.id)
    if not mine and not actions:
        return None
    html = render_template(
        "workshops/_dashboard_panel.html",
        mine=mine,
        actions=actions,
        when=services.when,
        form=ActionForm(),
    )
    return Markup(html)  # noqa: S704 (autoescaped template output)
