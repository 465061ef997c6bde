"""The `likert` question type: one statement, answered on an agreement scale.

Authors write a ```quiz likert <id> fence. The scale's points get their labels from, in this
order: an answer list after the statement (one item per point, from the left end to the
right), the `labels` setting, or the standard agreement wording for `scale` points (5 by
default: Strongly disagree ... Strongly agree). An item is unscored (an opinion: its grade has
no score, like a reflection's) unless the author names the acceptable points, with the
`expect` setting (`4-5`) or by marking the list's items `[x]` and `[ ]`.

The answers of a question are its points: ids "1" to "9" from left to right, so a stored
response, and what item analysis counts, is the number of the point chosen.

Pure apart from `field` (WTForms, as the protocol allows): no Flask, no database. Only the
documented protocol of `cocourse.questions.base` is used, not the core's internal helpers.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape
from wtforms import RadioField, SelectChoice

from cocourse.questions.base import Answer, Grade, Question, QuestionDraft, QuestionTypeBase

if TYPE_CHECKING:
    from cocourse.content.model import Problem

NAME = "likert"
TEMPLATE = "cocourse_likert/widget.html"
MIN_POINTS = 2
MAX_POINTS = 9  # one digit per point; more no longer fits a phone's width
DEFAULT_SCALE = 5
# The standard wording of an agreement scale, by its number of points.
AGREEMENT: Mapping[int, tuple[str, ...]] = MappingProxyType(
    {
        2: ("Disagree", "Agree"),
        3: ("Disagree", "Neither agree nor disagree", "Agree"),
        4: ("Strongly disagree", "Disagree", "Agree", "Strongly agree"),
        5: (
            "Strongly disagree",
            "Disagree",
            "Neither agree nor disagree",
            "Agree",
            "Strongly agree",
        ),
        6: (
            "Strongly disagree",
            "Disagree",
            "Somewhat disagree",
            "Somewhat agree",
            "Agree",
            "Strongly agree",
        ),
        7: (
            "Strongly disagree",
            "Disagree",
            "Somewhat disagree",
            "Neither agree nor disagree",
            "Somewhat agree",
            "Agree",
            "Strongly agree",
        ),
    }
)
# A scale whose points do not fit a phone's width side by side becomes a column there: more
# than this many points, or a word in a label wider than this many average letters.
ROW_POINTS = 5
ROW_WORD = 8.0
NARROW_LETTERS = frozenset("fijlrtI.,;:'!()-")
WIDE_LETTERS = frozenset("mwMW")
POINT_ID = re.compile(r"[1-9]")
EXPECT = re.compile(r"(\d+)\s*(?:[-\u2013]\s*(\d+))?")  # 4, 4-5 or 4–5
INCOMPLETE = "Choose a point on the scale before you submit."
SETTINGS: Mapping[str, str] = MappingProxyType(
    {
        "scale": (
            f"how many points the scale has, {MIN_POINTS} to {max(AGREEMENT)} with the standard "
            f"agreement labels (default {DEFAULT_SCALE})"
        ),
        "labels": (
            f"the points' labels from the left end to the right: a list of {MIN_POINTS} to "
            f"{MAX_POINTS} texts"
        ),
        "expect": "the acceptable points, which make the item scored: a point (4) or a range (4-5)",
    }
)
LIST_EXAMPLE = "'- Never', '- Sometimes', '- Often' (or '- [x] Often' to score the item)"


def _key(text: str) -> str:
    """A label as compared for repeats: NFKC, spaces collapsed, case folded."""
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _words(count: int, what: str) -> str:
    return f"{count} {what}" if count == 1 else f"{count} {what}s"


class Likert(QuestionTypeBase):
    """A statement answered on a scale of 2 to 9 points, scored only when the author says so."""

    name = NAME
    settings = SETTINGS
    widget = "radio"  # what the core would show without the template
    template = TEMPLATE
    shuffle_answers = False  # a scale keeps its order

    # Reading a fence.

    def parse(self, draft: QuestionDraft) -> tuple[Question | None, list[Problem]]:
        """Check the fence and build the question; every problem found, with its line.

        First the form of each part (so a typo is reported once, where it is), then how the
        parts fit together (the number of labels, repeats, the acceptable range).
        """
        problems = [*_check_items(draft), *_check_setting_forms(draft)]
        if problems:
            return None, problems
        labels, problems = _labels(draft)
        if labels is None:
            return None, problems
        expected, found = _expected(draft, len(labels))
        problems += found
        if problems:
            return None, problems
        answers = tuple(
            Answer(
                id=str(point),
                text=text,
                html=html,
                correct=point in expected,
                feedback=feedback,
                feedback_html=feedback_html,
            )
            for point, (text, html, feedback, feedback_html) in enumerate(labels, start=1)
        )
        question = Question(
            id=draft.id,
            type=draft.type,
            prompt=draft.prompt,
            prompt_html=draft.prompt_html,
            answers=answers,
            feedback=draft.feedback,
            feedback_html=draft.feedback_html,
            points=float(draft.settings.get("points", 1)),
            tags=tuple(str(tag) for tag in draft.settings.get("tags", ())),
            # "long": shown as a column on narrow screens (a layout hint for the template).
            options={"scored": bool(expected), "long": _long(answers)},
            path=draft.path,
            line=draft.line,
            source_hash=draft.source_hash,
        )
        return question, []

    # Answering and grading.

    def field(self, question: Question, order: Sequence[str]) -> Any:
        """Radio buttons whose values are the points' numbers and whose labels are the
        labels: nothing about which points are acceptable."""
        by_id = {answer.id: answer for answer in question.answers}
        choices = [
            SelectChoice(point, Markup(by_id[point].html))  # noqa: S704 - safe renderer or escaped
            for point in order
            if point in by_id
        ]
        return RadioField("Your answer", choices=choices, validate_choice=False)

    def incomplete(self, question: Question, response: Any) -> str | None:
        """A point must be chosen, on scored and unscored items alike."""
        return None if _chosen(question, response) else INCOMPLETE

    def grade(self, question: Question, response: Any) -> Grade:
        """1 for an acceptable point and 0 for another on a scored item; no score (None) on an
        opinion item. Feedback: the chosen point's own, then the general one. The stored
        response is the point's number as text ("4"), or None."""
        answer = _chosen(question, response)
        score: float | None = None
        if question.scored:
            score = 1.0 if answer is not None and answer.correct else 0.0
        parts = [answer.feedback_html if answer else "", question.feedback_html]
        return Grade(score, tuple(part for part in parts if part), answer.id if answer else None)

    # The result page and reports.

    def response_html(self, question: Question, response: Any) -> str:
        """The chosen point in words: "Agree (point 4 of 5)"; "" for anything else."""
        answer = _chosen(question, response)
        if answer is None:
            return ""
        return Markup("{} (point {} of {})").format(
            Markup(answer.html),  # noqa: S704 - safe renderer or escaped
            answer.id,
            len(question.answers),
        )

    def key_html(self, question: Question) -> str:
        """The acceptable points in words, or "" on an opinion item (nothing is right)."""
        right = [answer for answer in question.answers if answer.correct]
        if not question.scored or not right:
            return ""
        labels = [Markup(answer.html) for answer in right]  # noqa: S704 - as above
        numbers = [int(answer.id) for answer in right]
        total = len(question.answers)
        if len(right) == 1:
            return Markup("{} (point {} of {})").format(labels[0], numbers[0], total)
        if numbers == list(range(numbers[0], numbers[-1] + 1)):
            return Markup("{} to {} (points {}\u2013{} of {})").format(
                labels[0], labels[-1], numbers[0], numbers[-1], total
            )
        words = Markup("{} or {}").format(Markup(", ").join(labels[:-1]), labels[-1])
        return Markup("{} (points {} of {})").format(words, ", ".join(map(str, numbers)), total)

    def tally(self, response: Any) -> Sequence[str] | None:
        """The point chosen, by its number ("4"); nothing for a missing response."""
        if isinstance(response, str) and POINT_ID.fullmatch(response):
            return [response]
        return []

    # Synthetic data.

    def simulate(
        self, question: Question, right: bool, rng: random.Random, weights: Mapping[str, float]
    ) -> Any:
        """An acceptable point, or another one as tempting as `weights` says; on an opinion
        item, any point by those weights."""
        expected = [answer.id for answer in question.answers if answer.correct]
        others = [answer.id for answer in question.answers if not answer.correct]
        if question.scored and expected and (right or not others):
            return rng.choice(expected)
        pool = others or expected
        return rng.choices(pool, [weights.get(point, 1.0) for point in pool])[0]

    def guess_chance(self, question: Question) -> float:
        """A blind pick lands on an acceptable point this often (0 on an opinion item)."""
        if not question.scored or not question.answers:
            return 0.0
        return sum(answer.correct for answer in question.answers) / len(question.answers)


def _long(answers: Sequence[Answer]) -> bool:
    """Whether a scale is too long for one row on a phone: many points, or a wide word."""
    labels = Markup(" ").join(Markup(answer.html) for answer in answers)  # noqa: S704
    words = labels.striptags().split()
    return len(answers) > ROW_POINTS or any(_width(word) > ROW_WORD for word in words)


def _width(word: str) -> float:
    """A word's rough width in average letters (an "i" is narrow, a capital or "m" wide)."""
    return sum(_letter_width(char) for char in word)


def _letter_width(char: str) -> float:
    if char in NARROW_LETTERS:
        return 0.6
    if char in WIDE_LETTERS:
        return 1.5
    return 1.2 if char.isupper() else 1.0


def _chosen(question: Question, response: Any) -> Answer | None:
    """The point a response names (its number as text, as the form sends it), or None."""
    if isinstance(response, int) and not isinstance(response, bool):
        response = str(response)
    if not isinstance(response, str):
        return None
    wanted = response.strip()
    return next((answer for answer in question.answers if answer.id == wanted), None)


# The checks of `parse`. Each returns the problems it found (none when all is well).

Label = tuple[str, str, str, str]  # text, html, feedback, feedback_html


def _check_items(draft: QuestionDraft) -> list[Problem]:
    """Every item has text, and either all items carry an [x]/[ ] mark or none does (C174)."""
    problems = []
    marked = [item.checked is not None for item in draft.items]
    mixed = any(marked) and not all(marked)
    for item, has_mark in zip(draft.items, marked, strict=True):
        if not item.text:
            message = "a point has no label: write it after the list marker, or remove the line"
            problems.append(draft.problem("C174", message, item.line))
        elif mixed and not has_mark:
            message = (
                f"{item.text!r} has no [x] or [ ] mark but other points have one: mark every "
                "point ('- [x]' acceptable, '- [ ]' not) to score the item, or none of them"
            )
            problems.append(draft.problem("C174", message, item.line))
    return problems


def _check_setting_forms(draft: QuestionDraft) -> list[Problem]:
    """Each of the type's settings has a value of the right kind, and no two ways of saying
    the same thing are used at once (C168)."""
    settings, lines = draft.settings, draft.settings_lines
    problems = []
    if "scale" in settings:
        scale = settings["scale"]
        if not _whole(scale) or not MIN_POINTS <= scale <= MAX_POINTS:
            message = (
                f"'scale' must be a whole number from {MIN_POINTS} to {MAX_POINTS}, not "
                f"{scale!r}: write, say, scale: 7"
            )
            problems.append(draft.problem("C168", message, lines.get("scale")))
    if "labels" in settings:
        if draft.items:
            message = (
                "the labels are given twice, in 'labels' and as an answer list: keep one "
                "(the list also takes [x] marks and feedback for each point)"
            )
            problems.append(draft.problem("C168", message, lines.get("labels")))
        elif _label_texts(settings["labels"]) is None:
            message = (
                f"'labels' must be a list of texts, not {settings['labels']!r}: write, say, "
                "labels: [Never, Sometimes, Often]"
            )
            problems.append(draft.problem("C168", message, lines.get("labels")))
    if "expect" in settings:
        if any(item.checked is not None for item in draft.items):
            message = (
                "the acceptable points are given twice, in 'expect' and with [x] marks: keep one"
            )
            problems.append(draft.problem("C168", message, lines.get("expect")))
        elif _expect_range(settings["expect"]) is None:
            message = (
                f"'expect' must be a point or a range of points, not {settings['expect']!r}: "
                "write, say, expect: 4 or expect: 4-5"
            )
            problems.append(draft.problem("C168", message, lines.get("expect")))
    return problems


def _labels(draft: QuestionDraft) -> tuple[list[Label] | None, list[Problem]]:
    """The points' labels (from the list, `labels` or the standard wording) and the problems
    with them: too few or too many, a repeat, or a `scale` that disagrees."""
    lines = draft.settings_lines
    scale = draft.settings.get("scale")
    if draft.items:
        labels = [(i.text, i.html, i.feedback, i.feedback_html) for i in draft.items]
        where, what = "the answer list", "item"
    elif "labels" in draft.settings:
        texts = _label_texts(draft.settings["labels"]) or []
        labels = [(text, str(escape(text)), "", "") for text in texts]
        where, what = "'labels'", "label"
    else:
        count = DEFAULT_SCALE if scale is None else scale
        if count not in AGREEMENT:
            message = (
                f"the standard agreement labels go up to {max(AGREEMENT)} points, not "
                f"{count}: write the labels of a longer scale in 'labels' or as a list"
            )
            return None, [draft.problem("C168", message, lines.get("scale"))]
        return [(text, str(escape(text)), "", "") for text in AGREEMENT[count]], []

    problems = []
    line = lines.get("labels") if where == "'labels'" else None
    if len(labels) < MIN_POINTS:
        message = (
            f"a scale needs at least {MIN_POINTS} points, {where} has "
            f"{_words(len(labels), what)}: add the missing points"
        )
        code = "C171" if draft.items else "C168"
        problems.append(draft.problem(code, message, line))
    elif len(labels) > MAX_POINTS:
        message = (
            f"a scale has at most {MAX_POINTS} points, {where} has {len(labels)}: "
            "merge some points, or split the statement in two"
        )
        code = "C174" if draft.items else "C168"
        at = draft.items[MAX_POINTS].line if draft.items else line
        problems.append(draft.problem(code, message, at))
    elif scale is not None and scale != len(labels):
        message = (
            f"'scale' says {scale} points but {where} has {_words(len(labels), what)}: "
            "remove 'scale' (the labels set it) or make them agree"
        )
        problems.append(draft.problem("C168", message, lines.get("scale")))
    seen: dict[str, int] = {}
    for index, (text, *_rest) in enumerate(labels):
        key = _key(text)
        if key not in seen:
            seen[key] = index
            continue
        message = (
            f"{text!r} labels two points ({seen[key] + 1} and {index + 1}): "
            "give each point its own label"
        )
        if draft.items:
            problems.append(draft.problem("C175", message, draft.items[index].line))
        else:
            problems.append(draft.problem("C168", message, line))
    if draft.items and not problems:
        problems += _check_marks(draft)
    return (None if problems else labels), problems


def _check_marks(draft: QuestionDraft) -> list[Problem]:
    """Marked items: some, but not all, are acceptable (C170)."""
    if not all(item.checked is not None for item in draft.items):
        return []  # a plain list: an opinion item, or one scored with `expect`
    right = sum(1 for item in draft.items if item.checked)
    if right == 0:
        message = (
            "the points are marked but none with [x]: mark the acceptable points '- [x]', "
            "or remove every mark to leave the item unscored"
        )
        return [draft.problem("C170", message, draft.items[0].line)]
    if right == len(draft.items):
        message = (
            "every point is marked [x], so any answer would be right: mark the points that "
            "are not acceptable '- [ ]', or remove every mark to leave the item unscored"
        )
        return [draft.problem("C170", message, draft.items[0].line)]
    return []


def _expected(draft: QuestionDraft, count: int) -> tuple[frozenset[int], list[Problem]]:
    """The acceptable points (none: an opinion item), from `expect` or the [x] marks."""
    if draft.items and draft.items[0].checked is not None:
        return frozenset(i for i, item in enumerate(draft.items, start=1) if item.checked), []
    if "expect" not in draft.settings:
        return frozenset(), []
    low, high = _expect_range(draft.settings["expect"]) or (0, 0)
    line = draft.settings_lines.get("expect")
    message = ""
    if low > high:
        message = (
            f"'expect: {low}-{high}' runs backwards: write the lower point first, {high}-{low}"
        )
    elif low < 1 or high > count:
        message = (
            f"'expect' names point {high if high > count else low}, but the scale has points "
            f"1 to {count}"
        )
    elif low == 1 and high == count:
        message = (
            f"'expect: 1-{count}' accepts every point, so any answer would be right: narrow "
            "the range, or remove 'expect' to leave the item unscored"
        )
    if message:
        return frozenset(), [draft.problem("C168", message, line)]
    return frozenset(range(low, high + 1)), []


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _label_texts(value: Any) -> list[str] | None:
    """The texts of a `labels` list (numbers read as text), or None when it is not one."""
    if not isinstance(value, list):
        return None
    texts = []
    for label in value:
        if isinstance(label, bool) or not isinstance(label, str | int | float):
            return None
        text = " ".join(str(label).split())
        if not text:
            return None
        texts.append(text)
    return texts


def _expect_range(value: Any) -> tuple[int, int] | None:
    """(lowest, highest) point of an `expect` value such as 4, "4-5" or "4–5", or None."""
    if _whole(value):
        return value, value
    if not isinstance(value, str):
        return None
    found = EXPECT.fullmatch(value.strip())
    if found is None:
        return None
    low = int(found.group(1))
    return low, int(found.group(2) or low)
