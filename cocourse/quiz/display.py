"""How a stored response and a question's correct answer read on the result page.

The question's type says it (`response_html`, `key_html`); the core only adds "no answer",
and says True and False in the reader's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup

from cocourse.questions.base import Answer, Question, QuestionType, resolve


def no_answer() -> Markup:
    """What the result page shows for a question left without an answer."""
    return Markup("<em>%s</em>") % _("no answer")


def truth_word(question: Question, answer: Answer) -> str | None:
    """True or False in the reader's language, for an answer of a question whose two answers
    are the words True and False (any case).

    A true-false question's answers are those English words in every language of the course
    (its type reads them), so the interface says them; None for any other answer."""
    words = sorted(a.text.strip().casefold() for a in question.answers)
    if words != ["false", "true"]:
        return None
    return _("True") if answer.text.strip().casefold() == "true" else _("False")


def _truth_of(question: Question, answer_id: Any) -> str | None:
    found = next((a for a in question.answers if a.id == answer_id), None)
    return truth_word(question, found) if found is not None else None


def answer_text(question: Question, response: Any, types: Mapping[str, QuestionType]) -> Markup:
    """The learner's response in words: chosen answers, typed text, an order, or pairs."""
    if response in (None, "", [], {}):
        return no_answer()
    if (word := _truth_of(question, response)) is not None:
        return Markup.escape(word)
    # The type returns safe HTML: answer HTML from the safe renderer, typed text escaped.
    shown = resolve(types, question.type).response_html(question, response)
    return Markup(shown) if shown else no_answer()  # noqa: S704


def correct_text(question: Question, types: Mapping[str, QuestionType]) -> Markup:
    """The correct answer in words (empty for questions without one, such as a text to write)."""
    right = [a.id for a in question.answers if a.correct]
    if len(right) == 1 and (word := _truth_of(question, right[0])) is not None:
        return Markup.escape(word)
    return Markup(resolve(types, question.type).key_html(question))  # noqa: S704
