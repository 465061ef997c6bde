"""Quizzes as a built-in plugin: the built-in question types, attempt pages and commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import render_template
from markupsafe import Markup

from cocourse.hookspecs import hookimpl

RECENT_ATTEMPTS = 20  # on a person's People page


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


@hookimpl
def page_panels(slot: str, user: Any, context: Any) -> Any:
    """A person's latest graded quiz attempts, on their People page."""
    if slot != "person" or not (user.is_authenticated and user.is_admin):
        return None
    from cocourse.db import get_session
    from cocourse.quiz import engine

    person, course = context["person"], context["course"]
    rows = []
    for attempt in engine.recent_results(get_session(), person.id, RECENT_ATTEMPTS):
        found = course.quiz(attempt.quiz_id)
        rows.append((attempt, found[1].title if found else attempt.quiz_id))
    html = render_template("quiz/_person_panel.html", person=person, attempts=rows)
    return Markup(html)  # noqa: S704 (autoescaped template output)
