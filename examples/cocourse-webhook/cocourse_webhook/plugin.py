"""The cocourse plugin: declares the settings and forwards events to the app's dispatcher.

Registered through the `cocourse` entry-point group as `webhook`. One module serves every app
in the process: each app gets its own `Dispatcher` (in `app.extensions`) when it is built,
and an event goes to the dispatcher of the app handling the request (`current_app`; events
fire inside the request or command that caused them).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, has_app_context

import cocourse
from cocourse.hookspecs import hookimpl
from cocourse.plugins import plugin_settings
from cocourse_webhook.delivery import DEFAULTS, EVENTS, Dispatcher, Settings

_major, _minor = (int(part) for part in cocourse.PLUGIN_API_VERSION.split(".")[:2])
if _major != 1 or _minor < 1:
    raise RuntimeError(
        "cocourse-webhook needs cocourse plugin API 1.1 or a later 1.x, "
        f"not {cocourse.PLUGIN_API_VERSION}"
    )

NAME = "webhook"  # the entry-point name, and the key of PLUGIN_SETTINGS
EXTENSION = "cocourse_webhook"  # where an app keeps its dispatcher

log = logging.getLogger("cocourse_webhook")


def dispatcher(app: Any) -> Dispatcher | None:
    """The app's dispatcher, or None when no URL is configured."""
    found: Dispatcher | None = app.extensions.get(EXTENSION)
    return found


@hookimpl
def register_settings() -> dict[str, dict[str, Any]]:
    """The settings this plugin reads, with their defaults (see the README)."""
    return {NAME: {**DEFAULTS, "events": list(EVENTS)}}


@hookimpl
def register_template_folders(app: Any) -> list[Any]:
    """Read this app's settings and give it a dispatcher; no templates to add.

    Any `register_*` hook that receives the app would do: this one is called once per app
    while the app is built, after the settings are loaded, so a bad setting stops the app.
    """
    settings = Settings.from_mapping(plugin_settings(app, NAME))
    if settings is not None:
        app.extensions[EXTENSION] = Dispatcher(settings)
    return []


def _post(event: str, user_id: int, **data: Any) -> None:
    if not has_app_context():
        log.debug("webhook: %s outside an app context is not posted", event)
        return
    found = dispatcher(current_app)
    if found is None or event not in found.settings.events:
        return
    found.submit(event, user_id, data, public_url=current_app.config.get("PUBLIC_URL"))


@hookimpl
def quiz_graded(user_id: int, quiz_id: str, attempt_id: int, score: float, passed: bool) -> None:
    _post(
        "quiz_graded", user_id, quiz_id=quiz_id, attempt_id=attempt_id, score=score, passed=passed
    )


@hookimpl
def lesson_completed(user_id: int, module_slug: str, lesson_slug: str) -> None:
    _post("lesson_completed", user_id, module_slug=module_slug, lesson_slug=lesson_slug)


@hookimpl
def module_completed(user_id: int, module_slug: str) -> None:
    _post("module_completed", user_id, module_slug=module_slug)


@hookimpl
def certificate_issued(user_id: int, program: str, certificate_id: int) -> None:
    _post("certificate_issued", user_id, program=program, certificate_id=certificate_id)
