"""The module funnel: how many learners started a module and how far they got. Takes a Session.

A learner has *started* a module at their first sign of activity in it: a lesson viewed (from
the activity log) or completed, or a quiz attempt begun. From there the funnel counts who
completed each lesson, who submitted and who passed each quiz, who passed every quiz, and who
completed the module (every required lesson; quiz lessons are completed by passing). Each
step also has the median time from the learner's start to reaching it.

Only the lessons and quizzes the module has now count, so a renamed lesson drops out, as it
does from progress. `learners` is a query of user ids to count, such as a cohort's members
(see `cohorts.learner_scope`); None counts everyone.

Both reports count the rows `learning.module_steps` keeps as learners go, one per learner and
step reached with its seconds from their start: a funnel is a count per step and a median
per step, read from one index (the median by skipping to the middle of the step's entries,
in order), and the module list one count per module, whatever the number of learners.
Learners whose rows are not up to date with the module are brought up to date first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from cocourse.content.model import Course, Module
from cocourse.learning import module_steps
from cocourse.learning.module_steps import (
    ALL_PASSED,
    ATTEMPTED,
    COMPLETED,
    LESSON,
    PASSED,
    STARTED,
)
from cocourse.models import ModuleStep

if TYPE_CHECKING:
    from typing import TypeAlias

    Query: TypeAlias = Select[*tuple[Any, ...]]
    Learners: TypeAlias = Query | None  # a query of user ids to count; None: everyone

__all__ = ["ALL_PASSED", "ATTEMPTED", "COMPLETED", "LESSON", "PASSED", "STARTED"]


@dataclass(frozen=True)
class Step:
    """One bar of the funnel: how many learners got this far, and how long it took them."""

    kind: str  # STARTED, LESSON, ATTEMPTED, PASSED, ALL_PASSED or COMPLETED
    label: str  # the lesson's title for lesson and quiz steps, else what the step means
    learners: int
    key: str = ""  # the lesson slug or quiz id, for the steps that have one
    optional: bool = False  # an optional lesson: the module completes without it
    median_seconds: float | None = None  # from the learner's start (None: nobody got here)


@dataclass(frozen=True)
class Funnel:
    """A module's funnel, from starting it to completing it."""

    module: Module
    steps: tuple[Step, ...]

    @property
    def started(self) -> int:
        """Learners who started the module."""
        return self.steps[0].learners

    @property
    def completion(self) -> Step:
        """The last step: learners who completed the module."""
        return self.steps[-1]

    def share(self, step: Step) -> float:
        """The step's learners as a share of those who started, 0 to 1."""
        return step.learners / self.started if self.started else 0.0


@dataclass(frozen=True)
class Headline:
    """A module's headline figures for the list of funnels."""

    module: Module
    started: int
    completed: int

    @property
    def share(self) -> float:
        """Completed as a share of started, 0 to 1."""
        return self.completed / self.started if self.started else 0.0


def funnel(session: Session, module: Module, learners: Learners = None) -> Funnel:
    """The module's funnel over `learners` (None: everyone), in two queries (after the one
    that checks the rows are up to date)."""
    module_steps.refresh_stale(session, [module])
    wanted = _steps(module)
    counts = {
        (kind, key): int(count)
        for kind, key, count in session.execute(
            _among(
                select(ModuleStep.kind, ModuleStep.key, func.count())
                .where(
                    ModuleStep.module_slug == module.slug,
                    ModuleStep.kind.in_(
                        [STARTED, LESSON, ATTEMPTED, PASSED, ALL_PASSED, COMPLETED]
                    ),
                    _timed,
                )
                .group_by(ModuleStep.kind, ModuleStep.key),
                learners,
            )
        )
    }
    medians = session.execute(
        select(
            *(
                _median(module, kind, key, counts.get((kind, key), 0), learners)
                for kind, key, *_rest in wanted
            )
        )
    ).one()

    steps = []
    for (kind, key, label, optional), median in zip(wanted, medians, strict=True):
        # A duration computed in the database can come back a hair below zero.
        seconds = None if median is None else max(float(median), 0.0)
        steps.append(Step(kind, label, counts.get((kind, key), 0), key, optional, seconds))
    return Funnel(module, tuple(steps))


def headlines(session: Session, course: Course, learners: Learners = None) -> list[Headline]:
    """Started and completed for every module of the course, in one query (after the one that
    checks the rows are up to date)."""
    modules = course.modules
    module_steps.refresh_stale(session, modules)
    counts = {
        (slug, kind): int(count)
        for slug, kind, count in session.execute(
            _among(
                select(ModuleStep.module_slug, ModuleStep.kind, func.count())
                .where(
                    ModuleStep.module_slug.in_([module.slug for module in modules]),
                    ModuleStep.kind.in_([STARTED, COMPLETED]),
                    ModuleStep.key == "",
                    _timed,
                )
                .group_by(ModuleStep.module_slug, ModuleStep.kind),
                learners,
            )
        )
    }
    return [
        Headline(
            module, counts.get((module.slug, STARTED), 0), counts.get((module.slug, COMPLETED), 0)
        )
        for module in modules
    ]


_KINDS = (STARTED, LESSON, ATTEMPTED, PASSED, ALL_PASSED, COMPLETED)
# A row counts once it is dated from the learner's start (every row is, once up to date).
_timed = ModuleStep.seconds.is_not(None)


def _steps(module: Module) -> list[tuple[str, str, str, bool]]:
    """The funnel's steps in order: (kind, key, label, optional)."""
    steps = [(STARTED, "", "Started the module", False)]
    for lesson in module.lessons:
        if lesson.quiz is not None:  # passing the quiz completes its lesson: quiz steps first
            steps.append((ATTEMPTED, lesson.quiz.id, lesson.title, False))
            steps.append((PASSED, lesson.quiz.id, lesson.title, False))
        steps.append((LESSON, lesson.slug, lesson.title, lesson.optional))
    if sum(1 for lesson in module.lessons if lesson.quiz is not None) > 1:
        steps.append((ALL_PASSED, "", "Passed every quiz", False))
    steps.append((COMPLETED, "", "Completed the module", False))
    return steps


def _among(query: Query, learners: Learners) -> Query:
    """The query limited to the chosen learners."""
    return query if learners is None else query.where(ModuleStep.user_id.in_(learners))


def _median(module: Module, kind: str, key: str, count: int, learners: Learners) -> Any:
    """The median seconds of a step's `count` rows: the middle one, or the mean of the two
    middle ones, reached by skipping the ones before in the index's order (None if no row)."""
    middle = _among(
        select(ModuleStep.seconds)
        .where(
            ModuleStep.module_slug == module.slug,
            ModuleStep.kind == kind,
            ModuleStep.key == key,
            _timed,
        )
        .order_by(ModuleStep.seconds)
        .limit(2 - count % 2 if count else 0)
        .offset((count - 1) // 2 if count else 0),
        learners,
    ).subquery()
    return select(func.avg(middle.c.seconds)).scalar_subquery()
