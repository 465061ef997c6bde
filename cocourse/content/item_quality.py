"""Item quality: warnings (W210-W215) about questions that a test-wise learner can answer
without knowing the subject, or that are easy to misread, and the `allow:` setting that
silences one of them with a reason.

The checks look at questions through their answer widget, never at a type's name: options
chosen with radio buttons are single-answer questions (true/false when the options are
exactly True and False), options with checkboxes are multiple-answer questions. Lengths
are counted in characters of the options' plain text (Markdown removed). The thresholds
are documented in docs/authoring.md, "Item quality". Pure: no Flask, no database.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from ..questions.base import Grade, Question, QuestionDraft, QuestionType, QuestionTypeBase
from ..questions.base import resolve as resolve_type
from .model import Module, Problem
from .words import Text, _

# Warnings about one question: silenced in the question's settings, or for a whole quiz.
QUESTION_CODES = {
    "W210": "the right option is noticeably longer than the others",
    "W213": "an 'all of the above' or 'none of the above' option",
    "W214": "nearly the same question, with the same answer, elsewhere in the course",
    "W215": "a negative question word (not, except, never, least) without emphasis",
}
# Warnings about a whole quiz: silenced in its `quiz:` settings only.
QUIZ_CODES = {
    "W211": "the right option is the longest one in too many questions",
    "W212": "one of True and False is the right answer too often",
}

LONG_KEY_RATIO = 1.5  # W210: the key is at least this many times the distractors' mean ...
LONG_KEY_EXTRA = 10  # ... and at least this many characters longer
LONGEST_SHARE = 0.5  # W211: warn above this share of single-answer questions ...
LONGEST_AT_LEAST = 6  # ... in a quiz with at least this many of them
TRUE_FALSE_SHARE = 0.75  # W212: warn above this share for one answer ...
TRUE_FALSE_AT_LEAST = 6  # ... in a quiz with at least this many true/false questions
ALIKE = 0.75  # W214: this share of the shorter prompt's words is in the other one ...
ALIKE_WORDS = 4  # ... which has at least this many words (shorter ones must be the same)

ONE, MANY, TRUE_FALSE = "one answer", "several answers", "true or false"
NEGATIVE = re.compile(r"\b(not|except|never|least)\b", re.IGNORECASE)
NOT_NEGATIVE = re.compile(r"\bat least\b|\bnot only\b", re.IGNORECASE)
_RIGHT = r"( (is|are) (correct|right|true)| appl(y|ies))?"
CATCH_ALL = re.compile(
    r"(all|none|any|both|neither) (of )?(the )?(above|these|those|them|previous|preceding)"
    rf"( answers| options| choices| statements)?{_RIGHT}"
    rf"|(all|none|neither|both) of the (answers|options|choices|statements){_RIGHT}"
    r"|(both|neither) [a-z] (and|nor) [a-z]"
)


def allow_problems(value: Any, *, quiz_level: bool) -> list[str]:
    """What is wrong with an `allow:` setting (empty when nothing is)."""
    # Translators: an example of the `allow:` setting; translate only the reason in quotes.
    example = _('allow: {W213: "the options are the four parts of one process"}')
    if not isinstance(value, dict):
        return [_("must map warning codes to reasons, like %(example)s", example=example)]
    known = {**QUESTION_CODES, **QUIZ_CODES} if quiz_level else QUESTION_CODES
    problems: list[str] = []
    for code, reason in value.items():
        if code in QUIZ_CODES and not quiz_level:
            message = _(
                "%(code)s is about a whole quiz: allow it in the quiz's settings", code=code
            )
        elif code not in known:
            codes = ", ".join(sorted(known))
            message = _("unknown code %(code)s (codes: %(codes)s)", code=repr(code), codes=codes)
        elif not isinstance(reason, str) or not reason.strip():
            message = _("%(code)s needs a reason, like %(example)s", code=code, example=example)
        else:
            continue
        problems.append(message)
    return problems


class Allowances:
    """The `allow:` settings of the course being loaded: per question (by file and line)
    and per quiz (by file). Kept for lint alone, never in the course objects."""

    def __init__(self) -> None:
        self.questions: dict[tuple[str, int], Mapping[str, str]] = {}
        self.quizzes: dict[str, Mapping[str, str]] = {}
        self.quiz_lines: dict[str, int] = {}

    def watch(self, types: Mapping[str, Any]) -> dict[str, QuestionType]:
        """The question types, each noting the `allow:` setting of the questions it builds."""
        return {name: _Noting(resolve_type(types, name), self) for name in types}

    def note_quiz(self, path: str, line: int, settings: Mapping[str, Any]) -> None:
        """Remember a quiz's (checked) settings: where they are and what they allow."""
        self.quiz_lines[path] = line
        allow = settings.get("allow")
        if isinstance(allow, dict):
            self.quizzes[path] = allow

    def allows(self, code: str, question: Question | None, quiz_path: str) -> bool:
        """Whether the question (if any) or its quiz silences `code`."""
        mine = self.questions.get((question.path, question.line), {}) if question else {}
        return code in mine or code in self.quizzes.get(quiz_path, {})


class _Noting(QuestionTypeBase):
    """A question type that notes each built question's `allow:` setting, then steps aside."""

    def __init__(self, qtype: QuestionType, notes: Allowances) -> None:
        self.qtype, self.notes = qtype, notes
        self.name, self.settings, self.widget = qtype.name, qtype.settings, qtype.widget

    def parse(self, draft: QuestionDraft) -> tuple[Question | None, list[Problem]]:
        question, problems = self.qtype.parse(draft)
        allow = draft.settings.get("allow")
        if question is not None and isinstance(allow, dict):
            self.notes.questions[(question.path, question.line)] = allow
        return question, problems

    def grade(self, question: Question, response: Any) -> Grade:
        return self.qtype.grade(question, response)


def check_course(
    modules: Sequence[Module], types: Mapping[str, Any], notes: Allowances
) -> list[Problem]:
    """Every item-quality warning of the course that no `allow:` silences.

    `modules` come in course order (tracks, then modules): a repeated question is reported
    where it comes later, naming the earlier one.
    """
    found: list[tuple[Problem, Question | None, str]] = []
    everyone: list[tuple[Question, str]] = []
    for lesson in (lesson for module in modules for lesson in module.lessons):
        if lesson.quiz is None:
            continue
        kinds = [(q, _kind(q, types)) for q in lesson.questions]
        for question, kind in kinds:
            found.extend((p, question, lesson.path) for p in _question_warnings(question, kind))
            everyone.append((question, lesson.path))
        line = notes.quiz_lines.get(lesson.path, 1)
        found.extend((p, None, lesson.path) for p in _quiz_warnings(lesson.path, line, kinds))
    problems = [p for p, q, path in found if not notes.allows(p.code, q, path)]
    for (first, first_quiz), (second, second_quiz) in _near_duplicates(everyone):
        if not notes.allows("W214", first, first_quiz) and not notes.allows(
            "W214", second, second_quiz
        ):
            problems.append(_duplicate(second, first))
    return problems


def _kind(question: Question, types: Mapping[str, Any]) -> str | None:
    """ONE, MANY or TRUE_FALSE for questions whose options are chosen; None otherwise."""
    widget = resolve_type(types, question.type).widget
    if widget == "checkbox":
        return MANY
    if widget != "radio":
        return None
    texts = sorted(_plain(answer.html).casefold() for answer in question.answers)
    return TRUE_FALSE if texts == ["false", "true"] else ONE


def _plain(fragment: str) -> str:
    """The text of an HTML fragment, tags removed and spaces folded."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _warn(question: Question, code: str, message: str) -> Problem:
    """A warning located at the question's first line."""
    text = _("question %(id)s: %(warning)s", id=repr(question.id), warning=message)
    return Problem(question.path, question.line, code, text, "warning")


def _question_warnings(question: Question, kind: str | None) -> list[Problem]:
    """W210, W213 and W215 for one question."""
    if kind is None:
        return []
    problems = []
    long_key = _long_key(question, kind)
    if long_key:
        problems.append(_warn(question, "W210", long_key))
    for answer in question.answers if kind != TRUE_FALSE else ():
        if CATCH_ALL.fullmatch(_folded(_plain(answer.html))):
            message = _(
                "the option %(option)s lets learners answer by elimination "
                "(spotting two right options is enough): write a specific option instead",
                option=repr(_plain(answer.html)),
            )
            problems.append(_warn(question, "W213", message))
    word = _unemphasized_negative(question.prompt_html)
    if word:
        # Translators: %(word)s is the negative word as written (not, except, never, least),
        # %(capitals)s the same word in capitals; **bold** is Markdown.
        message = _(
            "the question asks with %(word)s, which readers easily skip: write it in "
            "**bold** or as %(capitals)s, or ask the question positively",
            word=repr(word),
            capitals=word.upper(),
        )
        problems.append(_warn(question, "W215", message))
    return problems


def _lengths(question: Question) -> tuple[list[int], list[int]]:
    """The plain-text lengths of the right options and of the others."""
    right = [len(_plain(a.html)) for a in question.answers if a.correct]
    wrong = [len(_plain(a.html)) for a in question.answers if not a.correct]
    return right, wrong


def _long_key(question: Question, kind: str) -> Text | None:
    """Why the right option(s) stand out by length (W210), or None."""
    right, wrong = _lengths(question)
    if kind == TRUE_FALSE or not right or not wrong:
        return None
    key, others = sum(right) / len(right), sum(wrong) / len(wrong)
    if min(right) <= max(wrong) or key < LONG_KEY_RATIO * others or key - others < LONG_KEY_EXTRA:
        return None
    if kind == ONE:
        return _(
            "the right option has %(right)d characters, the others %(others)d on average: "
            "picking the longest option scores without knowing why; shorten what is right, or "
            "make the others as complete",
            right=round(key),
            others=round(others),
        )
    return _(
        "the right options have %(right)d characters, the others %(others)d on average: "
        "ticking the longer options scores without knowing why; shorten what is right, or "
        "make the others as complete",
        right=round(key),
        others=round(others),
    )


def _unemphasized_negative(prompt_html: str) -> str | None:
    """The first negative word of the question's asking sentences that is not in bold,
    italics or capitals. The asking sentences are those ending in '?', and the last one: a
    scenario told before the question may say "not" without the question being negative."""
    text = re.sub(r"<(pre|code)\b.*?</\1>", " ", prompt_html, flags=re.DOTALL)
    text = re.sub(
        r"<(strong|em)>(.*?)</\1>",
        lambda m: html.escape(_plain(m.group(2)).upper()),
        text,
        flags=re.DOTALL,
    )
    sentences = [s for s in re.split(r"(?<=[.?!])\s+", _plain(text)) if s.strip()]
    asking = [s for s in sentences[:-1] if s.endswith("?")] + sentences[-1:]
    for sentence in asking:
        sentence = NOT_NEGATIVE.sub(" ", sentence)
        for match in NEGATIVE.finditer(sentence):
            if not match.group().isupper():
                return match.group()
    return None


def _quiz_warnings(
    path: str, line: int, kinds: Sequence[tuple[Question, str | None]]
) -> list[Problem]:
    """W211 and W212 for one quiz (its whole pool)."""
    problems = []
    single = [q for q, kind in kinds if kind == ONE]
    longest = sum(1 for q in single if _key_is_longest(q))
    if len(single) >= LONGEST_AT_LEAST and longest > LONGEST_SHARE * len(single):
        message = _(
            "in %(longest)d of %(questions)d single-answer questions the right option is the "
            "longest: always picking the longest option scores %(share)d%% on them; vary which "
            "option is longest",
            longest=longest,
            questions=len(single),
            share=round(longest / len(single) * 100),
        )
        problems.append(Problem(path, line, "W211", message, "warning"))
    right = [
        _plain(a.html).capitalize()
        for q, kind in kinds
        if kind == TRUE_FALSE
        for a in q.answers
        if a.correct
    ]
    if len(right) >= TRUE_FALSE_AT_LEAST:
        top = max(("True", "False"), key=right.count)
        if right.count(top) > TRUE_FALSE_SHARE * len(right):
            # Translators: %(answer)s is True or False, as the options say it.
            message = _(
                "%(answer)s is the right answer in %(times)d of %(questions)d true/false "
                "questions: always answering %(answer)s scores %(share)d%% on them; turn some "
                "statements around",
                answer=top,
                times=right.count(top),
                questions=len(right),
                share=round(right.count(top) / len(right) * 100),
            )
            problems.append(Problem(path, line, "W212", message, "warning"))
    return problems


def _key_is_longest(question: Question) -> bool:
    """Whether the right option is longer than every other option."""
    right, wrong = _lengths(question)
    return bool(right and wrong) and min(right) > max(wrong)


def _words(html_text: str) -> frozenset[str]:
    """The prompt's words of four letters or more, lowercase, punctuation and variants folded,
    without a final "s" (keeps, keep): short words (the, of, is) say little about what a
    question asks."""
    text = unicodedata.normalize("NFKC", _plain(html_text)).casefold()
    words = (word for word in re.split(r"[\W_]+", text) if len(word) >= 4)
    return frozenset(word[:-1] if word.endswith("s") else word for word in words)


def _near_duplicates(
    questions: Sequence[tuple[Question, str]],
) -> list[tuple[tuple[Question, str], tuple[Question, str]]]:
    """Pairs (earlier, later) of questions with the same right answers whose prompts are
    alike: at least ALIKE of the shorter prompt's words are in the other one (the overlap
    coefficient; a reworded or lengthened copy keeps most of the original's words).

    Only questions with the same key are compared, so the course takes a few milliseconds.
    """
    by_key: dict[frozenset[tuple[str, str]], list[tuple[int, frozenset[str]]]] = {}
    for index, (question, _quiz) in enumerate(questions):
        key = frozenset((_folded(a.text), _folded(a.match)) for a in question.answers if a.correct)
        words = _words(question.prompt_html)
        if key and words:
            by_key.setdefault(key, []).append((index, words))
    pairs = []
    for group in by_key.values():
        for at, (first, mine) in enumerate(group):
            for second, theirs in group[at + 1 :]:
                fewer = min(len(mine), len(theirs))
                shared = len(mine & theirs)
                if mine == theirs or (fewer >= ALIKE_WORDS and shared >= ALIKE * fewer):
                    pairs.append((questions[first], questions[second]))
    return pairs


def _folded(text: str) -> str:
    """Text compared without regard to case, punctuation, spacing or typographic variants."""
    return " ".join(re.split(r"[\W_]+", unicodedata.normalize("NFKC", text).casefold())).strip()


def _duplicate(question: Question, other: Question) -> Problem:
    """The W214 warning at `question`, naming where `other` is."""
    message = _(
        "nearly the same question with the same right answer as %(other)s at "
        "%(path)s:%(line)d: a learner who has seen one knows the other; reword one "
        "of them or test something else",
        other=repr(other.id),
        path=other.path,
        line=other.line,
    )
    return _warn(question, "W214", message)
