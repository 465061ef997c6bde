"""Workshops as a built-in plugin: scheduling, seats, guests, calendar invitations, the run
sheet, the reminder the day before; attendance, feedback and the harvest afterwards."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from flask import render_template, url_for
from flask_babel import lazy_gettext as _l
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
    return [{"label": _l("Workshops"), "href": url_for("workshops.workshop_list"), "weight": 12}]


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
    """On the dashboard: the workshops that tracks require (attended, or the next dates),
    the learner's next workshops and open actions from workshops."""
    if slot != "dashboard" or not user.is_authenticated:
        return None
    from cocourse.db import get_session
    from cocourse.models import utcnow
    from cocourse.web.forms import ActionForm
    from cocourse.workshops import harvest, services

    session, now = get_session(), utcnow()
    required = _required_workshops(session, context["course"], user.id, now)
    mine = services.mine(session, user.id, now)
    actions = harvest.owned_by(session, user.id)
    if not required and not mine and not actions:
        return None
    html = ""
    if required:
        html += render_template(
            "workshops/_required_panel.html", required=required, when=services.when, day=_day
        )
    if mine or actions:
        html += render_template(
            "workshops/_dashboard_panel.html",
            mine=mine,
            actions=actions,
            when=services.when,
            form=ActionForm(),
        )
    return Markup(html)  # noqa: S704 (autoescaped template output)


NEXT_DATES = 3  # upcoming workshops shown for a track's required workshop


def _required_workshops(
    session: Any, course: Any, user_id: int, now: datetime
) -> list[dict[str, Any]]:
    """Per track requiring a workshop (tracks.yml `requires_workshop`): the workshop of that
    kind the learner attended, or else the next ones of that kind."""
    from cocourse.learning import progress

    tracks = [track for track in course.tracks if track.requires_workshop]
    if not tracks:
        return []
    attended = progress.attended_workshops(session, user_id)
    found = []
    for track in tracks:
        kind = track.requires_workshop
        went = attended.get(kind)
        found.append(
            {
                "track": track,
                "label": progress.workshop_label(kind),
                "attended": went,
                "upcoming": [] if went else _next_of_kind(session, kind, now),
            }
        )
    return found


def _next_of_kind(session: Any, kind: str, now: datetime) -> list[Any]:
    """The next scheduled workshops of a kind that have not ended, soonest first."""
    from datetime import timedelta

    from sqlalchemy import select

    from cocourse.models import Workshop
    from cocourse.workshops.services import MAX_MINUTES, SCHEDULED, ends_at

    query = (
        select(Workshop)
        .where(
            Workshop.kind == kind,
            Workshop.status == SCHEDULED,
            # Started up to the longest length ago: it may still be on (ends_at decides).
            Workshop.starts_at > now - timedelta(minutes=MAX_MINUTES),
        )
        .order_by(Workshop.starts_at, Workshop.id)
        .limit(NEXT_DATES + 20)
    )
    return [w for w in session.scalars(query) if ends_at(w) > now][:NEXT_DATES]


def _day(workshop: Any) -> str:
    """The day a workshop was held, in words, in its own zone."""
    from cocourse.workshops.services import in_words, local_start

    return in_words(local_start(workshop).date(), "EEEE dd MMMM y")
