"""What every question type shares: the parsed draft it starts from, the frozen question it
builds, the grade it returns, and the protocol a question-type plugin implements.

Pure: no Flask, no database. A question type turns a `QuestionDraft` (the generic structure
of a ```quiz fence) into a `Question`, and grades a response against it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..content.model import Problem


@dataclass(frozen=True)
class DraftItem:
    """One item of the answer list, as written."""

    text: str  # the item's Markdown source, without the "- [x] " marker
    html: str  # rendered inline HTML of `text`
    checked: bool | None  # [x] True, [ ] False, a plain list item None
    feedback: str = ""  # Markdown source of a "> ..." line under the item
    feedback_html: str = ""
    # "left -> right" items (matching): (left, left_html, right, right_html)
    pair: tuple[str, str, str, str] | None = None
    line: int = 0  # file line of the item


@dataclass(frozen=True)
class QuestionDraft:
    """The generic parse of one ```quiz <type> <id> fence, before its type checks it."""

    id: str
    type: str
    settings: Mapping[str, Any]
    settings_lines: Mapping[str, int]
    prompt: str
    prompt_html: str
    items: tuple[DraftItem, ...]
    ordered: bool  # the answer list is numbered (1. 2. 3.)
    feedback: str  # general feedback: a "> ..." block after the answer list
    feedback_html: str
    path: str
    line: int  # file line of the opening fence
    source_hash: str

    def problem(self, code: str, message: str, line: int | None = None) -> Problem:
        """A problem located at this question (or at a line inside it)."""
        return Problem(self.path, line or self.line, code, f"question {self.id!r}: {message}")


@dataclass(frozen=True)
class Answer:
    """One answer of a question: an option, an accepted text, a number, an item or a pair."""

    id: str  # stable within the question: a, b, c ... in source order
    text: str
    html: str
    correct: bool = False
    feedback: str = ""
    feedback_html: str = ""
    match: str = ""  # matching: the right-hand side
    match_html: str = ""


@dataclass(frozen=True)
class Question:
    """A checked question, ready to show and grade; stored as a snapshot with each attempt."""

    id: str
    type: str
    prompt: str
    prompt_html: str
    answers: tuple[Answer, ...]
    feedback: str = ""
    feedback_html: str = ""
    points: float = 1.0
    tags: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)  # type-specific settings
    path: str = ""
    line: int = 0
    source_hash: str = ""
    kind: str = "question"

    @property
    def scored(self) -> bool:
        """Whether the question counts towards the score (reflections do not)."""
        return bool(self.options.get("scored", True))


@dataclass(frozen=True)
class Grade:
    """The result of grading one response: a score from 0 to 1 (None: not auto-scored)."""

    score: float | None
    feedback_html: tuple[str, ...] = ()
    response: Any = None  # the normalized response, as stored


class QuestionType(Protocol):
    """A question-type plugin (see docs/plugins.md, register_question_types)."""

    name: str
    settings: Mapping[str, str]  # the type's own settings and what each means

    def parse(self, draft: QuestionDraft) -> tuple[Question | None, list[Problem]]:
        """Check a draft and build the question, or report why it cannot be built."""

    def grade(self, question: Question, response: Any) -> Grade:
        """Grade a response (as submitted, untrusted) against the question."""
