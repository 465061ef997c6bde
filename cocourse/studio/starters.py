"""The first text of a new lesson or module: front matter filled in and a few lines that say
what to write, so that a new file loads without errors from the start."""

from __future__ import annotations

import yaml

from cocourse.questions import starter_question


def _front_matter(values: dict[str, object]) -> str:
    return "---\n" + yaml.safe_dump(values, sort_keys=False, allow_unicode=True) + "---\n"


def reading_lesson(title: str) -> str:
    """A lesson of text."""
    return _front_matter({"title": title}) + (
        "Start with what the learner will be able to do after this lesson, in one or two\n"
        "sentences.\n\n"
        "## First step\n\n"
        "Explain one idea at a time, with an example from the learner's own work.\n"
    )


def quiz_lesson(title: str, quiz_id: str) -> str:
    """A quiz lesson with one question to replace."""
    return (
        _front_matter({"title": title, "quiz": {"id": quiz_id, "pass_mark": 80}})
        + "Say in a sentence what this quiz checks and how long it takes.\n\n"
        + starter_question(f"{quiz_id}-1")
    )


def module(title: str, track: str, order: int, summary: str, minutes: int) -> str:
    """A module's module.md."""
    values = {
        "title": title,
        "track": track,
        "order": order,
        "summary": summary,
        "estimated_minutes": minutes,
    }
    return _front_matter(values) + (
        "Introduce the module in a few sentences: who it is for and what changes in their\n"
        "work once they have done it.\n"
    )
