"""Prometheus metrics as a built-in plugin, on once `PLUGIN_SETTINGS["metrics"]["token"]` is set."""

from __future__ import annotations

from typing import Any

from cocourse.hookspecs import hookimpl
from cocourse.metrics.settings import DEFAULTS, NAME, token_of

# Set when the app has metrics on; hooks are process-wide, so they look before counting.
ON = "cocourse.metrics"


@hookimpl
def register_settings() -> Any:
    """The scrape token."""
    return {NAME: dict(DEFAULTS)}


@hookimpl
def register_blueprints(app: Any) -> Any:
    """/metrics and the request timing, when a token is set."""
    if not token_of(app):
        return []
    from cocourse.metrics.views import bp

    app.extensions[ON] = True
    return [bp]


@hookimpl
def quiz_graded(user_id: int, quiz_id: str, attempt_id: int, score: float, passed: bool) -> None:
    """Count the submission."""
    from flask import current_app, has_app_context

    if has_app_context() and current_app.extensions.get(ON):
        from cocourse.metrics.registry import QUIZ_SUBMISSIONS

        QUIZ_SUBMISSIONS.labels("yes" if passed else "no").inc()
