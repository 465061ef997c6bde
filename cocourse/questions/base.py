"""What every question type shares: the parsed draft it starts from, the frozen question it
builds, the grade it returns, the protocol a question-type plugin implements, and defaults.

Pure: no Flask, no database. A question type turns a `QuestionDraft` (the generic structure
of a ```quiz fence) into a `Question`, grades a response against it, and says everything
else the core needs to show, order, review and analyse it (`QuestionType`). The core looks a
type up with `resolve` and never checks a type's name.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

from markupsafe import Markup, escape

from ..content.model import Problem
from ..content.words import _, say


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
        """A problem located at this question (or at a line inside it); `message` is best a
        marked one (content.words), so it can be said in the reader's language."""
        located = _("question %(id)r: %(message)s", id=self.id, message=message)
        return Problem(self.path, line or self.line, code, located)


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
    name: str = ""  # its name in another question bank (GIFT), never shown to learners
    category: str = ""  # its category there, such as "$course$/top/Meetings"
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


@runtime_checkable
class QuestionType(Protocol):
    """A question-type plugin: all the core knows about one kind of question.

    The core (content loading, the attempt form and page, grading, the result page, item
    analysis, synthetic data) reaches a question's behaviour only through these members and
    never asks which type a question is (see docs/plugins.md, `register_question_types`).

    `name`, `settings`, `parse` and `grade` are required (`QuestionTypeBase` has empty
    settings). Every other member has a default in `QuestionTypeBase`: subclass it to get
    them, or leave members out and `resolve` fills them in. Except for `field`, everything
    is pure: no Flask, no database, no request.
    """

    name: str  # what authors write in a ```quiz <name> <id> fence; unique among types
    settings: Mapping[str, str]  # the type's own settings, each with what it means

    @property
    def widget(self) -> str:
        """The core's standard answer field the form uses when `field` returns None: radio,
        checkbox, text, number, textarea, order or match (default "text")."""

    @property
    def template(self) -> str | None:
        """A Jinja template of the type's own (shipped through `register_template_folders`)
        that renders the answer inputs, or None for the core's markup of `widget`.

        It sees `field` (the bound form field, named like `qid`), `qid` (q0, q1 ...: the
        field's name and the prefix of element ids), `question` and `order` (the answer ids
        in the order this attempt shows them).
        """

    def parse(self, draft: QuestionDraft) -> tuple[Question | None, list[Problem]]:
        """Check a draft and build the question, or report why it cannot be built."""

    def grade(self, question: Question, response: Any) -> Grade:
        """Grade a response (as submitted, untrusted) against the question; never raise."""

    def field(self, question: Question, order: Sequence[str]) -> Any:
        """An unbound WTForms field for the question (its `data` is the response `grade`
        gets), or None for the standard field of `widget`. The one member that may use
        WTForms; it must not reveal the answer key."""

    def incomplete(self, question: Question, response: Any) -> str | None:
        """Why a response cannot be submitted yet (the page asks for more), or None."""

    def answer_order(self, question: Question, shuffle: bool, rng: random.Random) -> list[str]:
        """The ids of the question's answers in the order one attempt shows them (stored in
        the attempt's snapshot). `shuffle` is the quiz's `shuffle: [options]`; draw any
        randomness from `rng` alone, so the attempt's seed gives the same order again."""

    def response_html(self, question: Question, response: Any) -> str:
        """A stored response (the `Grade.response` kept) in words, as safe HTML: escape
        anything the learner typed. "" when it shows nothing; the core then says "no answer"
        (as it does, without asking, for None, "", [] and {})."""

    def key_html(self, question: Question) -> str:
        """The right answer in words, as safe HTML, or "" when there is none to show."""

    def tally(self, response: Any) -> Sequence[str] | None:
        """What item analysis counts for one stored response, such as the ids of the options
        chosen (shown as option frequencies), or None when the type's responses are not
        counted."""

    def simulate(
        self, question: Question, right: bool, rng: random.Random, weights: Mapping[str, float]
    ) -> Any:
        """A response as the attempt form would submit it, for synthetic data: a right one,
        or a typical mistake. `weights` say how tempting each wrong answer (by id) is; draw
        randomness from `rng` alone. None: no response (it is graded as such)."""

    def guess_chance(self, question: Question) -> float:
        """The chance that a blind guess is right (1/options for picking one option), 0 when
        guessing hardly helps; synthetic learners get half of it for free."""


def shuffled_ids(
    answers: Sequence[Answer], rng: random.Random, right_side: bool = False
) -> list[str]:
    """The answers' ids in a random order that owes nothing to the written order.

    The shuffle starts from the answers sorted by their text (or right-hand side), not as
    written: where the written order is the key (ordering, matching), the same seed then
    shows the same page whatever the key is, and the page cannot give the key away.
    """

    def by_text(answer: Answer) -> tuple[str, str]:
        return ((answer.match if right_side else answer.text).casefold(), answer.id)

    order = [answer.id for answer in sorted(answers, key=by_text)]
    rng.shuffle(order)
    return order


def html_of(answer: Answer, right_side: bool = False) -> Markup:
    """An answer's HTML (its right-hand side for a matching pair); made by the safe renderer."""
    return Markup(answer.match_html if right_side else answer.html)  # noqa: S704


class QuestionTypeBase:
    """Defaults for every optional member of `QuestionType`, and empty settings; a subclass
    adds `name`, `parse` and `grade`, and overrides what it does differently."""

    settings: Mapping[str, str] = MappingProxyType({})
    widget: str = "text"
    template: str | None = None
    # Whether answer_order shuffles: True always (the written order would give the answer
    # away), False never, None as the quiz's `shuffle: [options]` says.
    shuffle_answers: bool | None = None

    def field(self, question: Question, order: Sequence[str]) -> Any:
        """The standard field of `widget`."""
        return None

    def incomplete(self, question: Question, response: Any) -> str | None:
        """Any response may be submitted."""
        return None

    def answer_order(self, question: Question, shuffle: bool, rng: random.Random) -> list[str]:
        """The written order, or shuffled as `shuffle_answers` (or else the quiz) says."""
        shuffled = shuffle if self.shuffle_answers is None else self.shuffle_answers
        if not shuffled:
            return [answer.id for answer in question.answers]
        return shuffled_ids(question.answers, rng)

    def response_html(self, question: Question, response: Any) -> str:
        """Chosen answers by id (one, a list, or left -> right pairs), else the escaped text."""
        by_id = {answer.id: answer for answer in question.answers}
        if isinstance(response, str) and response in by_id:
            return html_of(by_id[response])
        if isinstance(response, list):
            chosen = [html_of(by_id[r]) for r in response if isinstance(r, str) and r in by_id]
            return Markup("; ").join(chosen)
        if isinstance(response, Mapping):
            return Markup("; ").join(
                Markup("{} → {}").format(html_of(by_id[left]), html_of(by_id[right], True))
                for left, right in response.items()
                if left in by_id and right in by_id
            )
        return escape(str(response))

    def key_html(self, question: Question) -> str:
        """The answers marked right, one after the other."""
        return Markup("; ").join(html_of(answer) for answer in question.answers if answer.correct)

    def tally(self, response: Any) -> Sequence[str] | None:
        """Nothing is counted."""
        return None

    def simulate(
        self, question: Question, right: bool, rng: random.Random, weights: Mapping[str, float]
    ) -> Any:
        """No response: grading decides what that is worth."""
        return None

    def guess_chance(self, question: Question) -> float:
        """Guessing does not help."""
        return 0.0


REQUIRED_MEMBERS = ("name", "settings", "parse", "grade")
# The members `resolve` may have to fill in, from QuestionTypeBase, for a plugin without them.
OPTIONAL_MEMBERS = (
    "widget",
    "template",
    "field",
    "incomplete",
    "answer_order",
    "response_html",
    "key_html",
    "tally",
    "simulate",
    "guess_chance",
)


def not_installed() -> str:
    """The feedback of a question whose type is not installed, in the language of the moment."""
    note = _("This question could not be graded: its type is not installed.")
    return f"<p>{say(note)}</p>"


class _Completed(QuestionTypeBase):
    """A plugin's type with the members it leaves out taken from QuestionTypeBase."""

    def __init__(self, plugin: Any) -> None:
        self.plugin = plugin
        self.name: str = plugin.name
        self.settings = getattr(plugin, "settings", self.settings)
        for member in OPTIONAL_MEMBERS:
            if hasattr(plugin, member):
                setattr(self, member, getattr(plugin, member))

    def parse(self, draft: QuestionDraft) -> tuple[Question | None, list[Problem]]:
        return self.plugin.parse(draft)  # type: ignore[no-any-return]

    def grade(self, question: Question, response: Any) -> Grade:
        return self.plugin.grade(question, response)  # type: ignore[no-any-return]


class _Missing(QuestionTypeBase):
    """Stands in for a type whose plugin is not installed (any more): defaults, scores 0."""

    def __init__(self, name: str) -> None:
        self.name = name

    def parse(self, draft: QuestionDraft) -> tuple[Question | None, list[Problem]]:
        message = _("unknown question type %(name)r", name=self.name)
        return None, [draft.problem("C161", message)]

    def grade(self, question: Question, response: Any) -> Grade:
        return Grade(0.0, (not_installed(),))


def resolve(types: Mapping[str, Any], name: str) -> QuestionType:
    """The registered type `name` with every member of the protocol: the plugin itself when
    it has them all, else the plugin with QuestionTypeBase's defaults for what it leaves out;
    a stand-in with the defaults (scoring 0) when no plugin registers the name."""
    found = types.get(name)
    if found is None:
        return _Missing(name)
    if isinstance(found, QuestionType):
        return found
    return _Completed(found)
