"""How a stored response and a question's correct answer read on the result page.

The question's type says it (`response_html`, `key_html`); the core only adds "no answer".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from cocourse.questions.base import Question, QuestionType, resolve

NO_ANSWER = Markup("<em>no answer</em>")


def answer_text(question: Question, response: Any, types: Mapping[str, QuestionType]) -> Markup:
    """The learner's response in words: chosen answers, typed text, an order, or pairs."""
    if response in (None, "", [], {}):
        return NO_ANSWER
    # The type returns safe HTML: answer HTML from the safe renderer, typed text escaped.
    shown = resolve(types, question.type).response_html(question, response)
    return Markup(shown) if shown else NO_ANSWER  # noqa: S704


def correct_text(question: Question, types: Mapping[str, QuestionType]) -> Markup:
    """The correct answer in words (empty for questions without one, such as a text to write)."""
    return Markup(resolve(types, question.type).key_html(question))  # noqa: S704
