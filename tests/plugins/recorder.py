"""A test plugin that implements every hook and records each call."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from flask import Blueprint
from markupsafe import Markup

from cocourse.hookspecs import hookimpl
from cocourse.plugins import ScheduledJob

calls: list[tuple[str, dict[str, Any]]] = []

bp = Blueprint("recorder", __name__)


@bp.get("/recorder")
def hello() -> str:
    """A page added by the plugin."""
    return "recorded"


@dataclass(frozen=True)
class EchoQuestion:
    """A question type the core does not know about."""

    name: str = "echo"


def _record(name: str, **kwargs: Any) -> None:
    calls.append((name, kwargs))


def _strikeout(md: Any) -> None:
    """A Markdown rule added by the plugin: ~~text~~ is already handled; add a marker class."""
    md.add_render_rule("s_open", lambda *a, **k: '<s class="recorded">')


@hookimpl
def configure_markdown(md: Any) -> None:
    _record("configure_markdown", md=md)
    _strikeout(md)


@hookimpl
def register_question_types(app: Any) -> Any:
    _record("register_question_types", app=app)
    return [EchoQuestion()]


@hookimpl
def register_blueprints(app: Any) -> Any:
    _record("register_blueprints", app=app)
    return [bp]


@hookimpl
def register_settings() -> Any:
    _record("register_settings")
    return {"recorder": {"greeting": "hello", "retries": 3}}


@hookimpl
def register_template_folders(app: Any) -> Any:
    _record("register_template_folders", app=app)
    return [Path(__file__).parent / "recorder_templates"]


@click.command("recorded")
def recorded_command() -> None:
    """A command added by the plugin."""
    click.echo("recorded command")


@hookimpl
def register_commands(cli: Any) -> None:
    _record("register_commands", cli=cli)
    cli.add_command(recorded_command)


@hookimpl
def register_menu_links(app: Any, user: Any) -> Any:
    _record("register_menu_links", logged_in=user.is_authenticated)
    if user.is_authenticated:
        return [{"label": "Recorder", "href": "/recorder", "weight": 11}]
    return []


def _tick(session: Any, now: Any) -> int:
    _record("recorder.tick", now=now, has_session=session is not None)
    return 1


@hookimpl
def register_scheduled_jobs(app: Any) -> Any:
    _record("register_scheduled_jobs", app=app)
    return [ScheduledJob("recorder.tick", _tick, minute="0", hour="6")]


@hookimpl
def register_template_variables(app: Any, template: str | None, user: Any) -> Any:
    _record("register_template_variables", template=template)
    return {"recorder_note": "noted by the recorder"}


@hookimpl
def page_panels(slot: str, user: Any, context: Any) -> Any:
    _record("page_panels", slot=slot)
    if slot == "dashboard":
        return Markup('<p class="recorder-panel">A panel from the recorder</p>')
    if slot == "quiz_result":
        return "<b>plain text is escaped</b>"
    return None


@hookimpl
def course_loaded(course: Any) -> None:
    _record("course_loaded", course=course)


@hookimpl
def lesson_completed(user_id: int, module_slug: str, lesson_slug: str) -> None:
    _record("lesson_completed", user_id=user_id, module_slug=module_slug, lesson_slug=lesson_slug)


@hookimpl
def module_completed(user_id: int, module_slug: str) -> None:
    _record("module_completed", user_id=user_id, module_slug=module_slug)


@hookimpl
def quiz_graded(user_id: int, quiz_id: str, attempt_id: int, score: float, passed: bool) -> None:
    _record("quiz_graded", user_id=user_id, quiz_id=quiz_id)


@hookimpl
def certificate_issued(user_id: int, program: str, certificate_id: int) -> None:
    _record("certificate_issued", user_id=user_id, program=program, certificate_id=certificate_id)
