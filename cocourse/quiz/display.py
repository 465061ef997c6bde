"""How a stored response and a question's correct answer read on the result page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup, escape

from cocourse.questions.base import Answer, Question

NO_ANSWER = Markup("<em>no answer</em>")


def _html(answer: Answer, right_side: bool = False) -> Markup:
    # Answer HTML comes from the safe Markdown renderer.
    return Markup(answer.match_html if right_side else answer.html)  # noqa: S704


def answer_text(question: Question, response: Any) -> Markup:
    """The learner's response in words: chosen answers, typed text, an order, or pairs."""
    by_id = {a.id: a for a in question.answers}
    if response in (None, "", [], {}):
        return NO_ANSWER
    if isinstance(response, str) and response in by_id and question.type != "short-text":
        return _html(by_id[response])
    if isinstance(response, list):
        chosen = [_html(by_id[r]) for r in response if isinstance(r, str) and r in by_id]
        glue = Markup(" → ") if question.type == "ordering" else Markup("; ")
        return glue.join(chosen) if chosen else NO_ANSWER
    if isinstance(response, Mapping):
        pairs = [
            Markup("{} → {}").format(_html(by_id[left]), _html(by_id[right], right_side=True))
            for left, right in response.items()
            if left in by_id and right in by_id
        ]
        return Markup("; ").join(pairs) if pairs else NO_ANSWER
    return escape(str(response))


def correct_text(question: Question) -> Markup:
    """The correct answer in words (empty for questions without one, such as reflections)."""
    if question.type == "ordering":
        return Markup(" → ").join(_html(a) for a in question.answers)
    if question.type == "matching":
        return Markup("; ").join(
            Markup("{} → {}").format(_html(a), _html(a, right_side=True)) for a in question.answers
        )
    return Markup("; ").join(_html(a) for a in question.answers if a.correct)
