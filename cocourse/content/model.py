"""Immutable course objects built once at load time and shared by every request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from .words import say

if TYPE_CHECKING:
    from ..questions.base import Question
    from .program import Program
    from .quiz import QuizSettings
    from .workshop_kit import WorkshopKit

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One content problem, printed as `file:line: CODE message`."""

    path: str
    line: int
    code: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.code} {self.message}"

    def said(self) -> str:
        """As `str()`, with the message in the language of the moment (see content.words)."""
        return f"{self.path}:{self.line}: {self.code} {say(self.message)}"


@dataclass(frozen=True)
class Heading:
    """A heading inside a lesson, for its table of contents."""

    level: int
    anchor: str
    text: str


@dataclass(frozen=True)
class Prose:
    """A chunk of rendered, sanitized HTML."""

    html: str
    kind: str = "prose"


@dataclass(frozen=True)
class Lesson:
    """One lesson file, already rendered."""

    slug: str
    title: str
    path: str
    parts: tuple[Prose | Question, ...]
    headings: tuple[Heading, ...]
    words: int
    content_hash: str
    quiz: QuizSettings | None = None
    optional: bool = False  # optional lessons do not count towards module completion
    language: str | None = None  # a translation's language; None: the original
    translations: Mapping[str, Lesson] = field(default_factory=dict, repr=False, compare=False)

    def in_language(self, language: str) -> Lesson:
        """The lesson's translation into `language`, or the lesson itself."""
        return self.translations.get(language, self)

    @property
    def questions(self) -> tuple[Question, ...]:
        """The lesson's questions, in the order they appear."""
        return tuple(p for p in self.parts if p.kind == "question")  # type: ignore[misc]

    @property
    def minutes(self) -> int:
        """Reading time at 200 words a minute, at least one minute."""
        return max(1, round(self.words / 200))


@dataclass(frozen=True)
class Module:
    """A module folder: front matter from module.md and its ordered lessons."""

    slug: str
    title: str
    track: str
    order: int
    summary: str
    estimated_minutes: int
    prerequisites: tuple[str, ...]
    audience: tuple[str, ...]
    intro_html: str
    lessons: tuple[Lesson, ...]
    path: str
    content_hash: str
    language: str | None = None  # the language of a translated module.md; None: the original
    # Per language: this module with its translated text and lessons, where there are some.
    translations: Mapping[str, Module] = field(default_factory=dict, repr=False, compare=False)
    _by_slug: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {lesson.slug: i for i, lesson in enumerate(self.lessons)}
        object.__setattr__(self, "_by_slug", index)

    @property
    def required_lessons(self) -> tuple[Lesson, ...]:
        """The lessons a learner must complete (quiz lessons: by passing the quiz)."""
        return tuple(lesson for lesson in self.lessons if not lesson.optional)

    def lesson_index(self, slug: str) -> int | None:
        """The position of a lesson in the module, or None if there is no such lesson."""
        return self._by_slug.get(slug)

    def in_language(self, language: str) -> Module:
        """The module as readers of `language` see it (translations where there are some)."""
        return self.translations.get(language, self)


@dataclass(frozen=True)
class Track:
    """A track (Tasting, Facilitator training, ...) and its modules in order."""

    slug: str
    title: str
    summary: str
    prerequisites: tuple[str, ...]
    modules: tuple[Module, ...]
    # A workshop kind (tasting, solution, exchange) the learner must also attend before the
    # track counts as complete; ignored while the workshops feature is switched off.
    requires_workshop: str | None = None
    # Per language: the track's (title, summary) for readers of that language.
    translations: Mapping[str, tuple[str, str]] = field(default_factory=dict, compare=False)


def _no_kit() -> WorkshopKit:
    """An empty workshop kit (imported late: the kit's module imports this one)."""
    from .workshop_kit import WorkshopKit

    return WorkshopKit()


@dataclass(frozen=True)
class Course:
    """The whole course: tracks in order, modules by slug, programmes, and the warnings found."""

    tracks: tuple[Track, ...]
    root: str
    warnings: tuple[Problem, ...] = ()
    programs: tuple[Program, ...] = ()  # certification programmes from programs.yml
    kit: WorkshopKit = field(default_factory=lambda: _no_kit())  # from workshops.yml
    _modules: dict[str, Module] = field(init=False, repr=False, compare=False)
    _tracks: dict[str, Track] = field(init=False, repr=False, compare=False)
    _programs: dict[str, Program] = field(init=False, repr=False, compare=False)

    _quizzes: dict[str, tuple[Module, Lesson]] = field(init=False, repr=False, compare=False)
    _languages: dict[str, Course] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        modules = {m.slug: m for t in self.tracks for m in t.modules}
        object.__setattr__(self, "_modules", modules)
        object.__setattr__(self, "_tracks", {t.slug: t for t in self.tracks})
        object.__setattr__(self, "_programs", {p.slug: p for p in self.programs})
        quizzes = {
            lesson.quiz.id: (module, lesson)
            for module in modules.values()
            for lesson in module.lessons
            if lesson.quiz is not None
        }
        object.__setattr__(self, "_quizzes", quizzes)
        object.__setattr__(self, "_languages", {})

    def in_language(self, language: str) -> Course:
        """The course as readers of `language` see it: the same tracks, modules, lessons and
        quizzes, with translated text wherever a translation exists (built once, then kept)."""
        if language not in self._languages:
            translated = any(language in m.translations for m in self._modules.values()) or any(
                language in t.translations for t in self.tracks
            )
            self._languages[language] = (
                replace(
                    self,
                    tracks=tuple(
                        replace(
                            t,
                            title=t.translations.get(language, (t.title, t.summary))[0],
                            summary=t.translations.get(language, (t.title, t.summary))[1],
                            modules=tuple(m.in_language(language) for m in t.modules),
                        )
                        for t in self.tracks
                    ),
                )
                if translated
                else self
            )
        return self._languages[language]

    def quiz(self, quiz_id: str) -> tuple[Module, Lesson] | None:
        """The module and lesson holding a quiz, or None."""
        return self._quizzes.get(quiz_id)

    def module(self, slug: str) -> Module | None:
        """The module with this slug, or None."""
        return self._modules.get(slug)

    def track(self, slug: str) -> Track | None:
        """The track with this slug, or None."""
        return self._tracks.get(slug)

    def program(self, slug: str) -> Program | None:
        """The certification programme with this slug, or None."""
        return self._programs.get(slug)

    @property
    def modules(self) -> tuple[Module, ...]:
        """Every module, in track order then module order."""
        return tuple(m for t in self.tracks for m in t.modules)
