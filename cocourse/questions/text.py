"""Written answers: short-text (checked against accepted answers) and reflection (not scored)."""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from markupsafe import escape

from ..content.model import Problem
from ..content.words import Text, _, ngettext, say
from .base import Answer, Grade, Question, QuestionDraft, QuestionTypeBase
from .common import (
    bool_setting,
    check_correct_count,
    check_duplicates,
    check_item_count,
    check_no_items,
    check_task_items,
    feedback_for,
    invalid,
    make_answers,
    make_question,
    normalize_text,
    number_setting,
    text_setting,
)

MAX_ANSWER_CHARS = 500  # a longer short-text response is wrong
MAX_PATTERN_CHARS = 200
MAX_REFLECTION_CHARS = 10_000  # a longer reflection is cut to this length
DEFAULT_MIN_WORDS = 20
# What a synthetic learner writes, repeated to the length wanted.
SAMPLE_REFLECTION = (
    "Next week I will open our team meeting with a short check-in round, so that everyone "
    "speaks once before we decide anything, and I will ask the quietest colleague first."
)


def too_long() -> str:
    """The feedback on a short-text response over MAX_ANSWER_CHARS, in the language of the
    moment (the attempt's, while grading)."""
    message = _(
        "Your answer is longer than %(max)d characters, so it is not accepted.",
        max=MAX_ANSWER_CHARS,
    )
    return f"<p>{say(message)}</p>"


def pattern_problem(pattern: str, case_sensitive: bool) -> Text | None:
    """Why a short-text pattern cannot be used, or None when it is fine."""
    if len(pattern) > MAX_PATTERN_CHARS:
        return _(
            "'pattern' is %(length)d characters long: shorten it to %(max)d or fewer, or list "
            "the accepted answers as '- [x]' items instead",
            length=len(pattern),
            max=MAX_PATTERN_CHARS,
        )
    try:
        compiled = re.compile(pattern, _flags(case_sensitive))
    except (re.error, OverflowError, RecursionError) as exc:
        return _(
            "'pattern' is not a valid regular expression (%(error)s): check the brackets, and "
            "write a backslash before a special character you mean literally, as in \\.",
            error=str(exc),
        )
    if _nested_repeat(pattern):
        return _(
            "'pattern' repeats a group that itself repeats, such as (a+)+, which can make "
            "checking one answer take minutes: write the group without its inner + or *"
        )
    if compiled.fullmatch(""):
        return _(
            "'pattern' accepts an empty answer: make sure it needs at least one character "
            "(use + rather than *)"
        )
    return None


def _nested_repeat(pattern: str) -> bool:
    """Whether a repeated group holds a repeat itself, such as (a+)+ or ((b*)c)*: the usual
    cause of catastrophic backtracking, where checking one answer can take minutes."""
    inner = [False]  # per open group: does it contain + * or {n,m}?
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 1  # skip the escaped character
        elif char == "[":
            i = _class_end(pattern, i)
        elif char == "(":
            inner.append(False)
        elif char == ")" and len(inner) > 1:
            had = inner.pop()
            repeated = i + 1 < len(pattern) and pattern[i + 1] in "+*{"
            if had and repeated:
                return True
            inner[-1] = inner[-1] or had
        elif char in "+*{":
            inner[-1] = True
        i += 1
    return False


def _class_end(pattern: str, start: int) -> int:
    """The index of the ] closing the character class opened at `start`."""
    i = start + 1
    if pattern[i : i + 1] == "^":
        i += 1
    if pattern[i : i + 1] == "]":
        i += 1  # a ] right at the start is a literal
    while i < len(pattern) and pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i


def _flags(case_sensitive: bool) -> int:
    return 0 if case_sensitive else re.IGNORECASE


@functools.lru_cache(maxsize=256)
def _compile(pattern: str, case_sensitive: bool) -> re.Pattern[str] | None:
    """The compiled pattern (None when it does not compile); cached across grades."""
    try:
        return re.compile(pattern, _flags(case_sensitive))
    except (re.error, OverflowError, RecursionError):
        return None


class ShortText(QuestionTypeBase):
    """A short typed answer, compared with the accepted answers after normalization."""

    name = "short-text"
    widget = "text"
    settings: Mapping[str, str] = MappingProxyType(
        {
            "case_sensitive": _("true: upper and lower case must match the answer (default false)"),
            "pattern": _(
                "a regular expression: a response that matches it as a whole is also right"
            ),
        }
    )

    def parse(self, draft: QuestionDraft) -> tuple[Question | None, list[Problem]]:
        """[x] items are accepted answers (at least one), [ ] items anticipated wrong ones."""
        problems = check_task_items(draft)
        case_sensitive, found = bool_setting(draft, "case_sensitive", False)
        problems += found
        pattern, found = text_setting(draft, "pattern", "'^co-?creation$'")
        problems += found
        if pattern is not None:
            reason = pattern_problem(pattern, case_sensitive)
            if reason:
                problems.append(draft.problem("C173", reason, draft.settings_lines.get("pattern")))
        if problems:
            return None, problems
        problems = [
            *check_item_count(draft, 1, _too_few_accepted),
            *check_correct_count(draft, exactly_one=False),
            *check_duplicates(draft, [normalize_text(i.text, case_sensitive) for i in draft.items]),
        ]
        if problems:
            return None, problems
        options = {"case_sensitive": case_sensitive, "pattern": pattern}
        return make_question(draft, make_answers(draft.items), options), []

    def grade(self, question: Question, response: Any) -> Grade:
        """The response is the typed text. A listed answer decides (with its feedback); else
        the pattern, if any, may accept it; anything else is wrong."""
        if not isinstance(response, str):
            return invalid(question)
        case_sensitive = bool(question.options.get("case_sensitive", False))
        text = response.strip()
        if len(text) > MAX_ANSWER_CHARS:
            cut = normalize_text(text[:MAX_ANSWER_CHARS], case_sensitive)
            return Grade(0.0, feedback_for(question, before=[too_long()]), cut)
        typed = normalize_text(text, case_sensitive)
        answer = _listed(question.answers, typed, case_sensitive)
        if answer is not None:
            return Grade(1.0 if answer.correct else 0.0, feedback_for(question, [answer]), typed)
        pattern = question.options.get("pattern")
        compiled = _compile(pattern, case_sensitive) if isinstance(pattern, str) else None
        right = bool(typed) and compiled is not None and compiled.fullmatch(typed) is not None
        return Grade(1.0 if right else 0.0, feedback_for(question), typed)

    def response_html(self, question: Question, response: Any) -> str:
        """The typed text (even when it looks like an answer id)."""
        return escape(str(response))

    def simulate(
        self, question: Question, right: bool, rng: random.Random, weights: Mapping[str, float]
    ) -> Any:
        """An accepted answer, or an anticipated wrong one, or a wrong guess."""
        texts = [answer.text for answer in question.answers if answer.correct == right]
        return rng.choice(texts) if texts else "I am not sure"


def _too_few_accepted(found: int) -> Text:
    return _(
        "needs at least 1 accepted answer in a list after the question, found %(found)d: add "
        "the missing accepted answer",
        found=found,
    )


def _listed(answers: tuple[Answer, ...], typed: str, case_sensitive: bool) -> Answer | None:
    """The listed answer (accepted or anticipated wrong) that the typed text is, if any."""
    return next(
        (answer for answer in answers if normalize_text(answer.text, case_sensitive) == typed),
        None,
    )


def word_count(text: str) -> int:
    """The words in a text: runs without spaces that hold at least one letter or digit."""
    return sum(1 for word in text.split() if any(char.isalnum() for char in word))


def enough_words(question: Question, response: Any) -> bool:
    """Whether a reflection response reaches the question's `min_words` (for the attempt)."""
    text = response.strip() if isinstance(response, str) else ""
    minimum = int(question.options.get("min_words", DEFAULT_MIN_WORDS))
    return word_count(text[:MAX_REFLECTION_CHARS]) >= minimum


class Reflection(QuestionTypeBase):
    """A written reflection: no answer list, not scored, with a minimum length."""

    name = "reflection"
    widget = "textarea"
    settings: Mapping[str, str] = MappingProxyType(
        {
            "min_words": _(
                "the fewest words a learner must write (default %(num)d)", num=DEFAULT_MIN_WORDS
            )
        }
    )

    def parse(self, draft: QuestionDraft) -> tuple[Question | None, list[Problem]]:
        """Only a prompt (and optional feedback); `min_words` a whole number of 0 or more."""
        minimum, problems = number_setting(
            draft, "min_words", DEFAULT_MIN_WORDS, str(DEFAULT_MIN_WORDS), whole=True
        )
        problems += check_no_items(draft)
        if problems:
            return None, problems
        options = {"scored": False, "min_words": int(minimum)}
        return make_question(draft, (), options), []

    def grade(self, question: Question, response: Any) -> Grade:
        """No score; the feedback counts the words and asks for more below the minimum."""
        text = response.strip() if isinstance(response, str) else ""
        text = text[:MAX_REFLECTION_CHARS]
        count = word_count(text)
        minimum = int(question.options.get("min_words", DEFAULT_MIN_WORDS))
        # Two sentences, each with its own plural: said now, in the attempt's language.
        wrote = say(ngettext("You wrote %(num)d word.", "You wrote %(num)d words.", count))
        note = f"<p>{wrote}</p>"
        if count < minimum:
            more = ngettext(
                "Write at least %(num)d word: %(more)d more.",
                "Write at least %(num)d words: %(more)d more.",
                minimum,
                more=minimum - count,
            )
            note = f"<p>{wrote} {say(more)}</p>"
        return Grade(None, feedback_for(question, before=[note]), text)

    def incomplete(self, question: Question, response: Any) -> str | None:
        """Why a response cannot be submitted yet (too short), or None when it can."""
        if enough_words(question, response):
            return None
        minimum = int(question.options.get("min_words", DEFAULT_MIN_WORDS))
        return ngettext(
            "Write at least %(num)d word before you submit.",
            "Write at least %(num)d words before you submit.",
            minimum,
        )

    def simulate(
        self, question: Question, right: bool, rng: random.Random, weights: Mapping[str, float]
    ) -> Any:
        """Enough words, and up to 24 more."""
        minimum = int(question.options.get("min_words", DEFAULT_MIN_WORDS))
        count = minimum + rng.randrange(0, 25)
        words = SAMPLE_REFLECTION.split()
        return " ".join(words[i % len(words)] for i in range(count))
