"""A test plugin that implements every hook and records each call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint

from cocourse.hookspecs import hookimpl

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
def register_question_types() -> Any:
    _record("register_question_types")
    return [EchoQuestion()]


@hookimpl
def register_blueprints() -> Any:
    _record("register_blueprints")
    return [bp]


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
