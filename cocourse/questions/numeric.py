"""Numeric questions: the learner types a number, accepted within a value, tolerance or range."""

from __future__ import annotations

import math
import random
import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from ..content.model import Problem
from ..content.words import Text, _, say
from .base import Answer, Grade, Question, QuestionDraft, QuestionTypeBase
from .common import (
    answer_id,
    check_correct_count,
    check_duplicates,
    check_item_count,
    check_task_items,
    feedback_for,
    invalid,
    make_answers,
    make_question,
    number_setting,
)

MAX_NUMBER_CHARS = 50
_NUMBER = r"[+-]?[0-9]+(?:[.,][0-9]+)?"
EXACT = re.compile(_NUMBER)
WITH_TOLERANCE = re.compile(rf"({_NUMBER})\s*(?:±|\+-|\+/-)\s*({_NUMBER})")
RANGE = re.compile(rf"({_NUMBER})\s*\.\.\s*({_NUMBER})")
RESPONSE = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)")

Bounds = tuple[float, float]


def _decimal(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


def _clean(text: str) -> str:
    """NFKC (full-width digits become digits), a real minus sign becomes '-', no outer spaces."""
    return unicodedata.normalize("NFKC", text).replace("\u2212", "-").strip()


def not_a_number() -> str:
    """The feedback on a response that is not a number, in the language of the moment (the
    attempt's, while grading)."""
    note = _("Enter a number, for example 12.5.")
    return f"<p>{say(note)}</p>"


def parse_bounds(text: str, tolerance: Decimal) -> Bounds | Text:
    """The inclusive range an item's text stands for, or why it cannot be read.

    `tolerance` applies to a plain number; `42 ± 0.5` brings its own; `40..45` is a range.
    """
    text = _clean(text)
    if len(text) > MAX_NUMBER_CHARS:
        return _(
            "%(start)r... is too long: write a number (42 or -3.5), a number with a tolerance "
            "(42 ± 0.5 or 42 +- 0.5) or a range (40..45)",
            start=text[:20],
        )
    if exact := EXACT.fullmatch(text):
        value = _decimal(exact[0])
        low, high = value - tolerance, value + tolerance
    elif around := WITH_TOLERANCE.fullmatch(text):
        value, spread = _decimal(around[1]), _decimal(around[2])
        if spread < 0:
            return _(
                "the tolerance in %(text)r is negative: write it without a minus sign", text=text
            )
        low, high = value - spread, value + spread
    elif span := RANGE.fullmatch(text):
        low, high = _decimal(span[1]), _decimal(span[2])
        if low > high:
            return _("the range %(text)r runs backwards: write the smaller number first", text=text)
    else:
        return _(
            "%(text)r is not a number: write a number (42 or -3.5), a number with a tolerance "
            "(42 ± 0.5 or 42 +- 0.5) or a range (40..45)",
            text=text,
        )
    return float(low), float(high)


def parse_response(response: Any) -> float | None:
    """The number a learner typed ('.' or ',' as decimal separator), or None if it is not one.

    A number already parsed (as stored with a graded attempt, and read back by a regrade)
    is taken as it is.
    """
    if isinstance(response, int | float) and not isinstance(response, bool):
        return float(response) if math.isfinite(response) else None
    if not isinstance(response, str) or len(response) > 4 * MAX_NUMBER_CHARS:
        return None
    text = _clean(response)
    if len(text) > MAX_NUMBER_CHARS or not RESPONSE.fullmatch(text):
        return None
    value = float(_decimal(text))
    return value if math.isfinite(value) else None


def _too_few_values(found: int) -> Text:
    return _(
        "needs at least 1 accepted value in a list after the question, found %(found)d: add "
        "the missing accepted value",
        found=found,
    )


def _inside(value: float, bounds: Any) -> bool:
    """Whether a value lies in stored [low, high] bounds (anything else: no)."""
    if not isinstance(bounds, list | tuple) or len(bounds) != 2:
        return False
    low, high = bounds
    return isinstance(low, int | float) and isinstance(high, int | float) and low <= value <= high


class Numeric(QuestionTypeBase):
    """A typed number; [x] items are accepted values, [ ] items anticipated wrong values."""

    name = "numeric"
    widget = "number"
    settings: Mapping[str, str] = MappingProxyType(
        {"tolerance": _("how far a response may be from a plain accepted number (default 0)")}
    )

    def parse(self, draft: QuestionDraft) -> tuple[Question | None, list[Problem]]:
        """Every item a number, number ± tolerance or range; at least one marked [x]."""
        tolerance, problems = number_setting(draft, "tolerance", 0, "0.5")
        problems += check_task_items(draft)
        spread = Decimal(str(tolerance))
        bounds: dict[str, Bounds] = {}
        for i, item in enumerate(draft.items):
            if item.checked is None or not item.text:
                continue  # reported by check_task_items
            parsed = parse_bounds(item.text, spread)
            if isinstance(parsed, str):
                problems.append(draft.problem("C172", parsed, item.line))
            elif not all(math.isfinite(end) for end in parsed):
                message = _(
                    "%(item)r is too large a number: write a number (42 or -3.5), a number with "
                    "a tolerance (42 ± 0.5 or 42 +- 0.5) or a range (40..45)",
                    item=item.text,
                )
                problems.append(draft.problem("C172", message, item.line))
            else:
                bounds[answer_id(i)] = parsed
        if problems:
            return None, problems
        problems = [
            *check_item_count(draft, 1, _too_few_values),
            *check_correct_count(draft, exactly_one=False),
            *check_duplicates(draft, [f"{low!r}..{high!r}" for low, high in bounds.values()]),
        ]
        if problems:
            return None, problems
        ranges = {key: [low, high] for key, (low, high) in bounds.items()}
        options = {"tolerance": float(tolerance), "ranges": ranges}
        return make_question(draft, make_answers(draft.items), options), []

    def incomplete(self, question: Question, response: Any) -> str | None:
        """Text that is not a number ("4 principles") is sent back before grading; an empty
        answer may be submitted (it scores nothing)."""
        if not isinstance(response, str) or not response.strip():
            return None
        if parse_response(response) is None:
            return _("Write a number only, such as 12 or 2.5, without words or units.")
        return None

    def grade(self, question: Question, response: Any) -> Grade:
        """The response is the typed text. An accepted value scores 1; the feedback is that of
        the matching item (accepted items are tried first), then the general feedback."""
        value = parse_response(response)
        if value is None:
            return invalid(question, before=[not_a_number()])
        ranges = question.options.get("ranges")
        ranges = ranges if isinstance(ranges, Mapping) else {}
        hits = [answer for answer in question.answers if _inside(value, ranges.get(answer.id))]
        answer: Answer | None = next((a for a in hits if a.correct), None) or next(iter(hits), None)
        if answer is None:
            return Grade(0.0, feedback_for(question), value)
        return Grade(1.0 if answer.correct else 0.0, feedback_for(question, [answer]), value)

    def simulate(
        self, question: Question, right: bool, rng: random.Random, weights: Mapping[str, float]
    ) -> Any:
        """The middle of an accepted range, or of an anticipated wrong one, or a number off
        every range (when no wrong value is anticipated)."""
        correct = [answer.id for answer in question.answers if answer.correct]
        wrong = [answer.id for answer in question.answers if not answer.correct]
        ranges = question.options.get("ranges", {})
        if right or wrong:
            low, high = ranges[rng.choice(correct if right else wrong)]
            value = (low + high) / 2
        else:
            high = max(ranges[i][1] for i in correct)
            value = high + max(1.0, abs(high) / 2)
        return f"{value:.4f}".rstrip("0").rstrip(".")
