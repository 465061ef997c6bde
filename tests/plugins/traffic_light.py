"""A third-party question type with a widget of its own: "traffic-light".

The learner answers a situation with a light: red (stop), amber (wait) or green (go). Content
writes it as a ```quiz traffic-light <id> fence with a `light` setting. The type subclasses
`QuestionTypeBase` and brings its own WTForms field and its own template (shipped through
`register_template_folders`), says when an answer is incomplete, how answers read on the result
page and what item analysis counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

from markupsafe import Markup
from wtforms import RadioField, SelectChoice

from cocourse.content.model import Problem
from cocourse.hookspecs import hookimpl
from cocourse.questions.base import Grade, Question, QuestionDraft, QuestionTypeBase

LIGHTS = {"red": "Stop", "amber": "Wait", "green": "Go"}


def _label(light: str) -> Markup:
    return Markup('<span class="light light-{}">{}</span>').format(light, LIGHTS[light])


class TrafficLight(QuestionTypeBase):
    """A situation answered with stop, wait or go."""

    name = "traffic-light"
    settings: Mapping[str, str] = MappingProxyType(
        {"light": "the right light: red, amber or green"}
    )
    template = "traffic_light/widget.html"

    def parse(self, draft: QuestionDraft) -> tuple[Question | None, list[Problem]]:
        light = draft.settings.get("light")
        if light not in LIGHTS:
            line = draft.settings_lines.get("light")
            return None, [draft.problem("C168", "'light' must be red, amber or green", line)]
        if draft.items:
            return None, [draft.problem("C174", "a traffic-light question has no answer list")]
        question = Question(
            id=draft.id,
            type=draft.type,
            prompt=draft.prompt,
            prompt_html=draft.prompt_html,
            answers=(),
            feedback=draft.feedback,
            feedback_html=draft.feedback_html,
            points=float(draft.settings.get("points", 1)),
            options={"light": light},
            path=draft.path,
            line=draft.line,
            source_hash=draft.source_hash,
        )
        return question, []

    def grade(self, question: Question, response: Any) -> Grade:
        given = response if isinstance(response, str) and response in LIGHTS else None
        right = given is not None and given == question.options["light"]
        feedback = (question.feedback_html,) if question.feedback_html else ()
        return Grade(1.0 if right else 0.0, feedback, given)

    def field(self, question: Question, order: Sequence[str]) -> Any:
        choices = [SelectChoice(light, label) for light, label in LIGHTS.items()]
        return RadioField("Light", choices=choices, validate_choice=False)

    def incomplete(self, question: Question, response: Any) -> str | None:
        return None if response in LIGHTS else "Choose a light before you submit."

    def response_html(self, question: Question, response: Any) -> str:
        return _label(response) if response in LIGHTS else ""

    def key_html(self, question: Question) -> str:
        return _label(question.options["light"])

    def tally(self, response: Any) -> Sequence[str] | None:
        return [response] if response in LIGHTS else []


@hookimpl
def register_question_types(app: Any) -> Any:
    return [TrafficLight()]


@hookimpl
def register_template_folders(app: Any) -> Any:
    return [Path(__file__).parent / "traffic_light_templates"]
