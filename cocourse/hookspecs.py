"""Every extension point of cocourse, in one place (documented in docs/plugins.md).

`register_*` hooks return things to add, `configure_*` hooks change what they are given,
and past-tense names are events fired after something happened.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("cocourse")
hookimpl = pluggy.HookimplMarker("cocourse")


@hookspec
def configure_markdown(md: Any) -> None:
    """Change the MarkdownIt parser (add plugins, rules, options) before content is loaded."""


@hookspec
def register_question_types() -> Any:
    """Return an iterable of question types (objects with a unique `name`) for the quiz engine."""


@hookspec
def register_blueprints() -> Any:
    """Return an iterable of Flask blueprints to register on the app."""


@hookspec
def course_loaded(course: Any) -> None:
    """The course was loaded or reloaded without errors and is now being served."""


@hookspec
def lesson_completed(user_id: int, module_slug: str, lesson_slug: str) -> None:
    """A learner completed a lesson for the first time."""


@hookspec
def module_completed(user_id: int, module_slug: str) -> None:
    """A learner completed the last outstanding lesson of a module."""


@hookspec
def quiz_graded(user_id: int, quiz_id: str, attempt_id: int, score: float, passed: bool) -> None:
    """A quiz attempt was graded and stored (fired once per attempt)."""


@hookspec
def certificate_issued(user_id: int, program: str, certificate_id: int) -> None:
    """A certificate was issued on an approved portfolio (fired once per certificate)."""
