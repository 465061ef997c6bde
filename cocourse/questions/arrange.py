"""Questions about arranging items: ordering (put them in sequence) and matching (pair them)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from ..content.model import Problem
from ..content.words import Text, _
from .base import Answer, DraftItem, Grade, Question, QuestionDraft, QuestionTypeBase, html_of
from .common import (
    NO_SETTINGS,
    answer_id,
    answers_by_id,
    check_duplicates,
    check_item_count,
    check_plain_items,
    feedback_for,
    invalid,
    is_id_list,
    make_answers,
    make_question,
    normalize_text,
    ratio,
)

ARROW = Markup(" → ")


class Ordering(QuestionTypeBase):
    """Items written in the right order; the learner puts them back in sequence. The items
    are always shown shuffled: the written order is the answer."""

    name = "ordering"
    widget = "order"
    settings: Mapping[str, str] = NO_SETTINGS
    shuffle_answers = True

    def parse(self, draft: QuestionDraft) -> tuple[Question | None, list[Problem]]:
        """A numbered list of at least two plain items, none written twice."""
        marked = _(
            "%(type)s items take no [x] or [ ] mark: write '1. first step', '2. second step', ...",
            type=draft.type,
        )
        problems = check_plain_items(draft, marked)
        if draft.items and not draft.ordered:
            message = _(
                "the steps must be a numbered list in the right order: write "
                "'1. first step', '2. second step', ... instead of '- ...'"
            )
            problems.append(draft.problem("C174", message, draft.items[0].line))
        if problems:
            return None, problems
        problems = [
            *check_item_count(draft, 2, _too_few_steps),
            *check_duplicates(draft, [normalize_text(item.text) for item in draft.items]),
        ]
        if problems:
            return None, problems
        answers = make_answers(draft.items, correct=lambda item: True)
        return make_question(draft, answers), []

    def grade(self, question: Question, response: Any) -> Grade:
        """The response lists every answer id once, in the learner's order. The score is the
        share of items in their right place; the feedback of misplaced items is shown."""
        by_id = answers_by_id(question)
        ids = [answer.id for answer in question.answers]
        if (
            not is_id_list(response, by_id)
            or len(response) != len(ids)
            or set(response) != set(ids)
        ):
            return invalid(question)
        placed = sum(1 for given, right in zip(response, ids, strict=True) if given == right)
        misplaced = [
            answer
            for given, answer in zip(response, question.answers, strict=True)
            if given != answer.id
        ]
        return Grade(ratio(placed, len(ids)), feedback_for(question, misplaced), list(response))

    def response_html(self, question: Question, response: Any) -> str:
        """The items in the learner's order."""
        by_id = answers_by_id(question)
        if not isinstance(response, list):
            return super().response_html(question, response)
        return ARROW.join(html_of(by_id[r]) for r in response if isinstance(r, str) and r in by_id)

    def key_html(self, question: Question) -> str:
        """The items in their written order."""
        return ARROW.join(html_of(answer) for answer in question.answers)

    def simulate(
        self, question: Question, right: bool, rng: random.Random, weights: Mapping[str, float]
    ) -> Any:
        """The right order; or two neighbouring steps swapped, and half the time the whole
        order moved along by one."""
        order = [answer.id for answer in question.answers]
        if not right and len(order) > 1:
            i = rng.randrange(len(order) - 1)
            order[i], order[i + 1] = order[i + 1], order[i]
            if rng.random() < 0.5:
                order = order[1:] + order[:1]
        return order


class Matching(QuestionTypeBase):
    """Pairs written 'left -> right'; the learner matches each left side to a right side. The
    right sides are always shown shuffled: the written order is the answer."""

    name = "matching"
    widget = "match"
    settings: Mapping[str, str] = NO_SETTINGS
    shuffle_answers = True

    def parse(self, draft: QuestionDraft) -> tuple[Question | None, list[Problem]]:
        """At least two 'left -> right' items with different left sides."""
        marked = _(
            "%(type)s items take no [x] or [ ] mark: write '- left -> right'", type=draft.type
        )
        problems = check_plain_items(draft, marked)
        for item in draft.items:
            if item.checked is None and item.text and item.pair is None:
                message = _(
                    "%(item)r is not a pair: write 'left -> right', with a space on each side "
                    "of the arrow (-> or →)",
                    item=item.text,
                )
                problems.append(draft.problem("C174", message, item.line))
        if problems:
            return None, problems
        problems = [
            *check_item_count(draft, 2, _too_few_pairs),
            *check_duplicates(draft, [normalize_text(_pair(item)[0]) for item in draft.items]),
        ]
        if problems:
            return None, problems
        answers = tuple(
            Answer(
                id=answer_id(i),
                text=left,
                html=left_html,
                correct=True,
                feedback=item.feedback,
                feedback_html=item.feedback_html,
                match=right,
                match_html=right_html,
            )
            for i, item in enumerate(draft.items)
            for left, left_html, right, right_html in [_pair(item)]
        )
        return make_question(draft, answers), []

    def grade(self, question: Question, response: Any) -> Grade:
        """The response maps each left side's id to the id of the right side chosen for it.

        The score is the share of left sides given their own right side (or one with the same
        text); unanswered or unknown choices count as wrong. Keys that are not ids of this
        question make the whole response invalid. The feedback of wrong pairs is shown.
        """
        by_id = answers_by_id(question)
        if not isinstance(response, dict) or not all(
            isinstance(key, str) and key in by_id for key in response
        ):
            return invalid(question)
        chosen: dict[str, str | None] = {}
        wrong: list[Answer] = []
        for answer in question.answers:
            value = response.get(answer.id)
            target = by_id.get(value) if isinstance(value, str) else None
            chosen[answer.id] = target.id if target else None
            if target is None or normalize_text(target.match) != normalize_text(answer.match):
                wrong.append(answer)
        score = ratio(len(question.answers) - len(wrong), len(question.answers))
        return Grade(score, feedback_for(question, wrong), chosen)

    def key_html(self, question: Question) -> str:
        """Each left side with its right side."""
        return Markup("; ").join(
            Markup("{} → {}").format(html_of(answer), html_of(answer, right_side=True))
            for answer in question.answers
        )

    def simulate(
        self, question: Question, right: bool, rng: random.Random, weights: Mapping[str, float]
    ) -> Any:
        """Every pair right; or every pair wrong (half the time), or two pairs swapped."""
        ids = [answer.id for answer in question.answers]
        chosen = {i: i for i in ids}
        if not right and len(ids) > 1:
            if rng.random() < 0.5:
                return dict(zip(ids, ids[1:] + ids[:1], strict=True))
            a, b = rng.sample(ids, 2)
            chosen[a], chosen[b] = b, a
        return chosen


def _too_few_steps(found: int) -> Text:
    return _(
        "needs at least 2 steps in a list after the question, found %(found)d: add the missing "
        "steps",
        found=found,
    )


def _too_few_pairs(found: int) -> Text:
    return _(
        "needs at least 2 pairs in a list after the question, found %(found)d: add the missing "
        "pairs",
        found=found,
    )


def _pair(item: DraftItem) -> tuple[str, str, str, str]:
    """The item's (left, left_html, right, right_html); parse() has checked it is a pair."""
    return item.pair or (item.text, item.html, "", "")
