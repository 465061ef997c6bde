"""Helpers shared by the built-in question types: answer ids, checks of the answer list and
of settings, the question constructor, and the pieces every grade is made of.

Pure: no Flask, no database.
"""

from __future__ import annotations

import math
import random
import string
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from ..content.model import Problem
from ..content.words import Text, _, ngettext
from .base import Answer, DraftItem, Grade, Question, QuestionDraft

NO_SETTINGS: Mapping[str, str] = MappingProxyType({})


def answer_id(index: int) -> str:
    """The id of the answer at a source position: a, b, ..., z, aa, ab, ..."""
    letters = string.ascii_lowercase
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, len(letters))
        name = letters[rest] + name
    return name


def normalize_text(text: str, case_sensitive: bool = False) -> str:
    """Unicode NFKC, no outer whitespace, inner whitespace collapsed, casefolded unless asked."""
    text = " ".join(unicodedata.normalize("NFKC", text).split())
    return text if case_sensitive else text.casefold()


def make_answers(
    items: Iterable[DraftItem], correct: Callable[[DraftItem], bool] | None = None
) -> tuple[Answer, ...]:
    """One answer per item, with ids by source position; `[x]` marks the right ones."""
    is_correct = correct or (lambda item: bool(item.checked))
    return tuple(
        Answer(
            id=answer_id(i),
            text=item.text,
            html=item.html,
            correct=is_correct(item),
            feedback=item.feedback,
            feedback_html=item.feedback_html,
        )
        for i, item in enumerate(items)
    )


def make_question(
    draft: QuestionDraft, answers: tuple[Answer, ...], options: Mapping[str, Any] | None = None
) -> Question:
    """The question built from a checked draft; points (default 1) and tags from its settings."""
    return Question(
        id=draft.id,
        type=draft.type,
        prompt=draft.prompt,
        prompt_html=draft.prompt_html,
        answers=answers,
        feedback=draft.feedback,
        feedback_html=draft.feedback_html,
        points=float(draft.settings.get("points", 1)),
        tags=tuple(str(tag) for tag in draft.settings.get("tags", ())),
        options=dict(options or {}),
        name=str(draft.settings.get("name", "")).strip(),
        category=str(draft.settings.get("category", "")).strip(),
        path=draft.path,
        line=draft.line,
        source_hash=draft.source_hash,
    )


# Checks of the answer list. Each returns the problems found (an empty list when all is well).


def check_task_items(draft: QuestionDraft) -> list[Problem]:
    """Every item carries a [x] or [ ] mark and has text (C174)."""
    problems = []
    for item in draft.items:
        if item.checked is None:
            message = _(
                "%(item)r has no [x] or [ ] mark: write each answer as '- [x] text' for a right "
                "answer or '- [ ] text' for a wrong one",
                item=item.text,
            )
            problems.append(draft.problem("C174", message, item.line))
        elif not item.text:
            message = _("an answer has no text: write it after the mark, or remove the line")
            problems.append(draft.problem("C174", message, item.line))
    return problems


def check_plain_items(draft: QuestionDraft, marked: Text) -> list[Problem]:
    """No item carries a [x] or [ ] mark, and every item has text (C174).

    `marked` is what to say about a marked item: that the type takes no marks, and how to
    write its items instead.
    """
    problems = []
    for item in draft.items:
        if item.checked is not None:
            problems.append(draft.problem("C174", marked, item.line))
        elif not item.text:
            message = _("an item has no text: write it after the list marker, or remove the line")
            problems.append(draft.problem("C174", message, item.line))
    return problems


def check_item_count(
    draft: QuestionDraft, minimum: int, too_few: Callable[[int], Text]
) -> list[Problem]:
    """The answer list has at least `minimum` items (C171); `too_few(found)` says what is
    missing, given how many items there are."""
    if len(draft.items) >= minimum:
        return []
    return [draft.problem("C171", too_few(len(draft.items)))]


def check_correct_count(draft: QuestionDraft, exactly_one: bool) -> list[Problem]:
    """One [x] item (or, unless `exactly_one`, at least one) (C170)."""
    if not draft.items:
        return []  # check_item_count reports the missing list
    checked = [item for item in draft.items if item.checked]
    if not checked:
        if exactly_one:
            message = _("no answer is marked right: mark exactly one with '- [x]'")
        else:
            message = _("no answer is marked right: mark at least one with '- [x]'")
        return [draft.problem("C170", message)]
    if exactly_one and len(checked) > 1:
        message = ngettext(
            "%(num)d answer is marked [x] but exactly one may be right: keep one [x] and change "
            "the others to [ ] (or use a multiple-choice question)",
            "%(num)d answers are marked [x] but exactly one may be right: keep one [x] and "
            "change the others to [ ] (or use a multiple-choice question)",
            len(checked),
        )
        return [draft.problem("C170", message, checked[1].line)]
    return []


def check_duplicates(draft: QuestionDraft, keys: Sequence[str]) -> list[Problem]:
    """No two items with the same key, such as their normalized text (C175).

    `keys` holds one key per item of the answer list, in order.
    """
    problems = []
    seen: dict[str, int] = {}
    for item, key in zip(draft.items, keys, strict=True):
        if key in seen:
            message = _(
                "%(item)r repeats the answer on line %(line)d: remove one of them or make them "
                "differ",
                item=item.text,
                line=seen[key],
            )
            problems.append(draft.problem("C175", message, item.line))
        else:
            seen[key] = item.line
    return problems


def check_no_items(draft: QuestionDraft) -> list[Problem]:
    """A question without an answer list (C174)."""
    if not draft.items:
        return []
    message = _(
        "a %(type)s question takes no answer list, and any list in the question counts as "
        "one: remove the list, or write its points as sentences",
        type=draft.type,
    )
    return [draft.problem("C174", message, draft.items[0].line)]


# Checks of the type's own settings (C168). Each returns (value, problems).


def bool_setting(draft: QuestionDraft, key: str, default: bool) -> tuple[bool, list[Problem]]:
    """A yes/no setting written as true or false."""
    value = draft.settings.get(key, default)
    if isinstance(value, bool):
        return value, []
    message = _(
        "'%(key)s' must be true or false, not %(value)r: write %(key)s: true or %(key)s: false",
        key=key,
        value=value,
    )
    return default, [draft.problem("C168", message, draft.settings_lines.get(key))]


def number_setting(
    draft: QuestionDraft, key: str, default: float, example: str, whole: bool = False
) -> tuple[float, list[Problem]]:
    """A number of at least zero (a whole number when `whole`)."""
    value = draft.settings.get(key, default)
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and not (whole and isinstance(value, float))
        and math.isfinite(value)
        and value >= 0
    ):
        return value, []
    if whole:
        message = _(
            "'%(key)s' must be a whole number of 0 or more, not %(value)r: write, say, "
            "%(key)s: %(example)s",
            key=key,
            value=value,
            example=example,
        )
    else:
        message = _(
            "'%(key)s' must be a number of 0 or more, not %(value)r: write, say, %(key)s: "
            "%(example)s",
            key=key,
            value=value,
            example=example,
        )
    return default, [draft.problem("C168", message, draft.settings_lines.get(key))]


def text_setting(draft: QuestionDraft, key: str, example: str) -> tuple[str | None, list[Problem]]:
    """An optional text setting (None when absent)."""
    value = draft.settings.get(key)
    if value is None or isinstance(value, str):
        return value, []
    message = _(
        "'%(key)s' must be text, not %(value)r: write, say, %(key)s: %(example)s",
        key=key,
        value=value,
        example=example,
    )
    return None, [draft.problem("C168", message, draft.settings_lines.get(key))]


# Grading helpers.


def answers_by_id(question: Question) -> dict[str, Answer]:
    """The question's answers keyed by id."""
    return {answer.id: answer for answer in question.answers}


def feedback_for(
    question: Question, answers: Iterable[Answer] = (), before: Iterable[str] = ()
) -> tuple[str, ...]:
    """Notes from the grader, then the feedback of the given answers, then the general one."""
    parts = [*before, *(answer.feedback_html for answer in answers)]
    parts.append(question.feedback_html)
    return tuple(part for part in parts if part)


def invalid(question: Question, before: Iterable[str] = ()) -> Grade:
    """The grade of a response that is missing, malformed or tampered with."""
    return Grade(0.0, feedback_for(question, before=before), None)


def is_id_list(response: Any, ids: Mapping[str, Answer]) -> bool:
    """Whether a response is a list of strings, each the id of an answer of this question."""
    return isinstance(response, list | tuple) and all(
        isinstance(value, str) and value in ids for value in response
    )


def ratio(part: int, whole: int) -> float:
    """part / whole kept within 0 and 1 (0 when there is nothing to count)."""
    if whole <= 0:
        return 0.0
    return min(1.0, max(0.0, part / whole))


# Simulated responses (for synthetic data).


def tempting(question: Question, rng: random.Random, weights: Mapping[str, float]) -> str:
    """A wrong answer's id, picked as often as its weight says (the question has one)."""
    wrong = [answer.id for answer in question.answers if not answer.correct]
    return rng.choices(wrong, [weights[i] for i in wrong])[0]
