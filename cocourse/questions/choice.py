"""Choice questions: single-choice, multiple-choice and true-false.

The answer list is a task list: `- [x]` marks a right option, `- [ ]` a wrong one. The
response is the id of the chosen option (a, b, c ... in source order), or a list of ids.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

from ..content.model import Problem
from ..content.words import Text, _
from .base import Grade, Question, QuestionDraft, QuestionTypeBase
from .common import (
    NO_SETTINGS,
    answers_by_id,
    check_correct_count,
    check_duplicates,
    check_item_count,
    check_task_items,
    feedback_for,
    invalid,
    is_id_list,
    make_answers,
    make_question,
    normalize_text,
    ratio,
    tempting,
)

TRUE_FALSE = ("true", "false")


def _texts(draft: QuestionDraft) -> list[str]:
    """The normalized text of each item, to find options written twice."""
    return [normalize_text(item.text) for item in draft.items]


def _parse_options(
    draft: QuestionDraft, exactly_one: bool
) -> tuple[Question | None, list[Problem]]:
    """The checks single- and multiple-choice share, then the question."""
    problems = check_task_items(draft)
    if problems:
        return None, problems
    problems = [
        *check_item_count(draft, 2, _too_few_options),
        *check_correct_count(draft, exactly_one),
        *check_duplicates(draft, _texts(draft)),
    ]
    if problems:
        return None, problems
    return make_question(draft, make_answers(draft.items)), []


def _too_few_options(found: int) -> Text:
    return _(
        "needs at least 2 options in a list after the question, found %(found)d: add the "
        "missing options",
        found=found,
    )


def _too_few_true_false(found: int) -> Text:
    return _(
        "needs at least 2 answers (True and False) in a list after the question, found "
        "%(found)d: add the missing answers (True and False)",
        found=found,
    )


def grade_one(question: Question, response: Any) -> Grade:
    """One chosen id: 1 for the right option, 0 otherwise (also for anything not an id)."""
    answer = answers_by_id(question).get(response) if isinstance(response, str) else None
    if answer is None:
        return invalid(question)
    return Grade(1.0 if answer.correct else 0.0, feedback_for(question, [answer]), answer.id)


class _Choice(QuestionTypeBase):
    """What the choice types share: item analysis counts the options chosen."""

    settings: Mapping[str, str] = NO_SETTINGS

    def tally(self, response: Any) -> Sequence[str] | None:
        """The chosen option ids (the stored response is one id or a list of them)."""
        chosen = response if isinstance(response, list) else [response]
        return [answer for answer in chosen if isinstance(answer, str)]


class _PickOne(_Choice):
    """One option is chosen, with radio buttons; a blind guess is right 1 time in n."""

    widget = "radio"

    def simulate(
        self, question: Question, right: bool, rng: random.Random, weights: Mapping[str, float]
    ) -> Any:
        """The right option, or a tempting wrong one."""
        correct = [answer.id for answer in question.answers if answer.correct]
        if right or all(answer.correct for answer in question.answers):
            return correct[0]
        return tempting(question, rng, weights)

    def guess_chance(self, question: Question) -> float:
        """One of the options."""
        return 1 / len(question.answers) if question.answers else 0.0


class SingleChoice(_PickOne):
    """Exactly one right option among at least two."""

    name = "single-choice"

    def parse(self, draft: QuestionDraft) -> tuple[Question | None, list[Problem]]:
        """At least two options, exactly one marked [x], no option twice."""
        return _parse_options(draft, exactly_one=True)

    def grade(self, question: Question, response: Any) -> Grade:
        """The response is one answer id."""
        return grade_one(question, response)


class MultipleChoice(_Choice):
    """One or more right options; partial credit, with a penalty for wrong choices."""

    name = "multiple-choice"
    widget = "checkbox"

    def parse(self, draft: QuestionDraft) -> tuple[Question | None, list[Problem]]:
        """At least two options, at least one marked [x], no option twice."""
        return _parse_options(draft, exactly_one=False)

    def grade(self, question: Question, response: Any) -> Grade:
        """The response is a list of answer ids (repeats are ignored).

        With C right options, each right option chosen earns 1/C and each wrong option chosen
        costs 1/C; the score does not go below 0. Choosing every option earns less than 1.
        """
        by_id = answers_by_id(question)
        if not is_id_list(response, by_id):
            return invalid(question)
        picked = set(response)
        chosen = [answer for answer in question.answers if answer.id in picked]
        right = sum(1 for answer in chosen if answer.correct)
        wrong = len(chosen) - right
        total = sum(1 for answer in question.answers if answer.correct)
        score = ratio(right - wrong, total)
        return Grade(score, feedback_for(question, chosen), [answer.id for answer in chosen])

    def simulate(
        self, question: Question, right: bool, rng: random.Random, weights: Mapping[str, float]
    ) -> Any:
        """Every right option; or one right option forgotten and a wrong one chosen."""
        correct = [answer.id for answer in question.answers if answer.correct]
        if right:
            return correct
        picked = list(correct)
        picked.remove(rng.choice(picked))  # forgot a right one
        if not all(answer.correct for answer in question.answers):
            picked.append(tempting(question, rng, weights))  # and fell for a wrong one
        return sorted(picked)


class TrueFalse(_PickOne):
    """A statement that is either true or false; True and False keep their written order."""

    name = "true-false"
    shuffle_answers = False

    def parse(self, draft: QuestionDraft) -> tuple[Question | None, list[Problem]]:
        """Exactly the two answers True and False (any case, either order), one marked [x]."""
        problems = check_task_items(draft)
        if problems:
            return None, problems
        problems = check_item_count(draft, 2, _too_few_true_false)
        if problems:
            return None, problems
        if sorted(_texts(draft)) != sorted(TRUE_FALSE):
            found = ", ".join(repr(item.text) for item in draft.items)
            message = _(
                "the answers must be exactly True and False, found %(found)s: write "
                "'- [x] True' and '- [ ] False' (or the other way round)",
                found=found,
            )
            return None, [draft.problem("C174", message, draft.items[0].line)]
        problems = check_correct_count(draft, exactly_one=True)
        if problems:
            return None, problems
        return make_question(draft, make_answers(draft.items)), []

    def grade(self, question: Question, response: Any) -> Grade:
        """The response is the id of True or of False."""
        return grade_one(question, response)
