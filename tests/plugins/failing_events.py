"""A test plugin whose event hooks all raise, as a buggy third-party plugin might."""

from __future__ import annotations

from cocourse.hookspecs import hookimpl


class EventPluginBroken(RuntimeError):
    """Raised by every event hook of this plugin."""


@hookimpl
def quiz_graded(user_id: int, quiz_id: str, attempt_id: int, score: float, passed: bool) -> None:
    raise EventPluginBroken(f"quiz_graded broke on attempt {attempt_id}")


@hookimpl
def lesson_completed(user_id: int, module_slug: str, lesson_slug: str) -> None:
    raise EventPluginBroken(f"lesson_completed broke on {module_slug}/{lesson_slug}")


@hookimpl
def module_completed(user_id: int, module_slug: str) -> None:
    raise EventPluginBroken(f"module_completed broke on {module_slug}")


@hookimpl
def certificate_issued(user_id: int, program: str, certificate_id: int) -> None:
    raise EventPluginBroken(f"certificate_issued broke on certificate {certificate_id}")
