"""LTI 1.3 as a built-in plugin: the tool's endpoints, the platforms' registration page
for admins, and the scores and rosters that go between cocourse and the platforms."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app, has_app_context, url_for
from flask_babel import gettext as _

from cocourse.hookspecs import hookimpl


@hookimpl
def register_blueprints(app: Any) -> Any:
    """/lti/* for platforms and /admin/lti for admins."""
    from cocourse.lti.admin import bp as admin
    from cocourse.lti.views import bp

    return [bp, admin]


@hookimpl
def register_template_folders(app: Any) -> Any:
    """lti/*.html."""
    return [Path(__file__).parent / "templates"]


@hookimpl
def register_menu_links(app: Any, user: Any) -> Any:
    """Learning platforms, for admins."""
    if user.is_authenticated and user.is_admin:
        return [{"label": _("Platforms"), "href": url_for("lti_admin.platforms"), "weight": 46}]
    return []


@hookimpl
def register_scheduled_jobs(app: Any) -> Any:
    """Scores every minute (what could not go at once), rosters every hour."""
    from cocourse.plugins import ScheduledJob

    return [
        ScheduledJob("lti.scores", _send_scores, minute="*"),
        ScheduledJob("lti.rosters", _sync_rosters, minute="17"),
    ]


def _send_scores(session: Any, now: datetime) -> int:
    from cocourse.lti import grades

    return grades.send_pending(session, now).sent


def _sync_rosters(session: Any, now: datetime) -> int:
    from sqlalchemy import select

    from cocourse.lti import roster
    from cocourse.models import LtiContext

    contexts = session.scalars(select(LtiContext).where(LtiContext.memberships_url.is_not(None)))
    return sum(roster.sync(session, context).members for context in list(contexts))


def _scores_for(user_id: int, queue: Any) -> None:
    """Queue a person's scores with `queue(session, course)` and try to send them at once,
    in a session of its own (the grade job sends what fails here)."""
    if not has_app_context():
        return
    from sqlalchemy.orm import Session

    from cocourse.lti import grades

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    session: Session
    with app.extensions["cocourse.sessionmaker"]() as session:
        if queue(session, app.extensions["cocourse.course"].course):
            grades.send_pending(session, only_user=user_id)


@hookimpl
def quiz_graded(user_id: int, quiz_id: str, attempt_id: int, score: float, passed: bool) -> None:
    """The person's best score on the quiz goes to the links that open it."""
    from cocourse.lti import grades

    _scores_for(user_id, lambda s, course: grades.queue_quiz(s, course, user_id, quiz_id))


@hookimpl
def module_completed(user_id: int, module_slug: str) -> None:
    """Full marks to the links that open the module."""
    from cocourse.lti import grades

    _scores_for(user_id, lambda s, _: grades.queue_completion(s, user_id, f"module:{module_slug}"))


@hookimpl
def lesson_completed(user_id: int, module_slug: str, lesson_slug: str) -> None:
    """Full marks to the links that open a lesson without a quiz (a quiz sends its score)."""
    from cocourse.lti import grades

    target = f"lesson:{module_slug}/{lesson_slug}"

    def queue(session: Any, course: Any) -> int:
        module = course.module(module_slug)
        index = module.lesson_index(lesson_slug) if module else None
        if index is None or module.lessons[index].quiz is not None:
            return 0
        return grades.queue_completion(session, user_id, target)

    _scores_for(user_id, queue)
