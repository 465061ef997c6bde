"""Forwarding to a learning record store as a built-in plugin: a job every minute, and the
forwarding state on the admin People page, once `PLUGIN_SETTINGS["lrs"]["endpoint"]` is set."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app, render_template
from markupsafe import Markup

from cocourse.hookspecs import hookimpl
from cocourse.lrs.settings import DEFAULTS, NAME, batch_size_of, store_of

JOB = "lrs.forward"


@hookimpl
def register_settings() -> Any:
    """The store's endpoint and credentials, and the batch size."""
    return {NAME: dict(DEFAULTS)}


@hookimpl
def register_blueprints(app: Any) -> Any:
    """ "Send now", when a store is configured."""
    if store_of(app) is None:
        return []
    from cocourse.lrs.views import bp

    return [bp]


@hookimpl
def register_template_folders(app: Any) -> Any:
    """lrs/*.html."""
    return [Path(__file__).parent / "templates"]


@hookimpl
def register_scheduled_jobs(app: Any) -> Any:
    """Send pending statements every minute (a failed batch is sent again the next minute)."""
    from cocourse.plugins import ScheduledJob

    if store_of(app) is None:
        return []
    return [ScheduledJob(JOB, _forward, minute="*")]


def _forward(session: Any, now: datetime) -> int:
    """The job: forward what is pending, for the course being served."""
    from cocourse.lrs.forwarding import forward
    from cocourse.web.course import course
    from cocourse.web.urls import site_root

    store = store_of(current_app)
    assert store is not None  # the job exists only with a store
    return forward(session, course(), site_root(), store, batch_size_of(current_app), now)


@hookimpl
def page_panels(slot: str, user: Any, context: Any) -> Any:
    """On the admin People page: how far the log has been forwarded, and the last problem."""
    store = store_of(current_app)
    if slot != "people" or store is None:
        return None
    from cocourse.db import get_session
    from cocourse.lrs.forwarding import pending_count, state
    from cocourse.web.forms import ActionForm

    session = get_session()
    found = state(session, store.endpoint)
    html = render_template(
        "lrs/_status.html",
        state=found,
        pending=pending_count(session, found.last_event_id),
        action=ActionForm(),
    )
    return Markup(html)  # noqa: S704 (autoescaped template output)
