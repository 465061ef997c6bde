"""Quizzes as a built-in plugin: the built-in question types, attempt pages and commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cocourse.hookspecs import hookimpl


@hookimpl(tryfirst=True)
def register_question_types(app: Any) -> Any:
    """The eight built-in question types, from single-choice to reflection."""
    from cocourse.questions import BUILTIN_TYPES

    return list(BUILTIN_TYPES)


@hookimpl
def register_blueprints(app: Any) -> Any:
    """Attempt and result pages."""
    from cocourse.quiz.views import bp

    return [bp]


@hookimpl
def register_template_folders(app: Any) -> Any:
    """quiz/*.html."""
    return [Path(__file__).parent / "templates"]


@hookimpl
def register_commands(cli: Any) -> None:
    """regrade, import-gift and export-gift."""
    from cocourse.quiz import commands

    commands.register(cli)
