"""The module funnel and the module list computed on demand from the activity log, the
completions and the attempts, as `cocourse.reports.funnel` did before it counted the rows
`learning.module_steps` keeps (migration 0021): the reference tests/test_module_steps.py
checks those rows against.

The module funnel: how many learners started a module and how far they got. Takes a Session.

A learner has *started* a module at their first sign of activity in it: a lesson viewed (from
the activity log) or completed, or a quiz attempt begun. From there the funnel counts who
completed each lesson, who submitted and who passed each quiz, who passed every quiz, and who
completed the module (every required lesson; quiz lessons are completed by passing). Each
step also has the median time from the learner's start to reaching it.

Only the lessons and quizzes the module has now count, so a renamed lesson drops out, as it
does from progress. `learners` is a query of user ids to count, such as a cohort's members
(see `cohorts.learner_scope`); None counts everyone.

Everything is aggregated in the database: the whole funnel is one query, whose medians come
from window functions, so nothing is computed per learner in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    String,
    Subquery,
    case,
    cast,
    extract,
    false,
    func,
    literal_column,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session

from cocourse.content.model import Course, Module
from cocourse.learning import activity
from cocourse.models import ActivityEvent, LessonCompletion, QuizAttempt
from cocourse.reports.funnel import (
    ALL_PASSED,
    ATTEMPTED,
    COMPLETED,
    LESSON,
    PASSED,
    STARTED,
    Funnel,
    Headline,
    Step,
)

if TYPE_CHECKING:
    from typing import TypeAlias

    Query: TypeAlias = Select[*tuple[Any, ...]]
    Learners: TypeAlias = Query | None  # a query of user ids to count; None: everyone

_Q = TypeVar("_Q", bound="Query")


def funnel(session: Session, module: Module, learners: Learners = None) -> Funnel:
    """The module's funnel over `learners` (None: everyone), in one query."""
    # Each table is read once: the completions and attempts feed several steps.
    done = _completions(module, learners).cte("done")
    tries = _attempts(module, learners).cte("tries")
    first = _first_activity(module, learners, done, tries).cte("first_activity")
    reached = union_all(*_reached(module, done, tries, first)).subquery("reached")
    seconds = _seconds(session, reached.c.at, first.c.at)
    found = {
        (kind, key): (count, median)
        for kind, key, count, median in session.execute(
            _medians(reached.join(first, first.c.user_id == reached.c.user_id), reached, seconds)
        )
    }

    def step(kind: str, label: str, key: str = "", optional: bool = False) -> Step:
        count, median = found.get((kind, key), (0, None))
        # A duration computed in the database can come back a hair below zero.
        median = None if median is None else max(float(median), 0.0)
        return Step(kind, label, int(count), key, optional, median)

    steps = [step(STARTED, "Started the module")]
    for lesson in module.lessons:
        if lesson.quiz is not None:  # passing the quiz completes its lesson: quiz steps first
            steps.append(step(ATTEMPTED, lesson.title, lesson.quiz.id))
            steps.append(step(PASSED, lesson.title, lesson.quiz.id))
        steps.append(step(LESSON, lesson.title, lesson.slug, lesson.optional))
    if len(_quiz_ids(module)) > 1:
        steps.append(step(ALL_PASSED, "Passed every quiz"))
    steps.append(step(COMPLETED, "Completed the module"))
    return Funnel(module, tuple(steps))


def headlines(session: Session, course: Course, learners: Learners = None) -> list[Headline]:
    """Started and completed for every module of the course, in two queries."""
    modules = course.modules
    started: dict[str, int] = dict(session.execute(_started_by_module(modules, learners)).all())
    completed: dict[str, int] = dict(session.execute(_completed_by_module(modules, learners)).all())
    return [
        Headline(module, started.get(module.slug, 0), completed.get(module.slug, 0))
        for module in modules
    ]


def _quiz_ids(module: Module) -> list[str]:
    return [lesson.quiz.id for lesson in module.lessons if lesson.quiz is not None]


def _among(query: _Q, column: Any, learners: Learners) -> _Q:
    """The query limited to the chosen learners."""
    return query if learners is None else query.where(column.in_(learners))


def _first_activity(module: Module, learners: Learners, done: Any, tries: Any) -> Query:
    """Each learner's first activity in the module: (user_id, at)."""
    # Completions and attempts are in the log too, but their tables also hold the ones made
    # before the log existed, and attempts begun but never submitted.
    every = union_all(
        _first_views(module, learners),
        select(done.c.user_id, done.c.at),
        select(tries.c.user_id, tries.c.started_at),
    ).subquery("activity")
    at = func.min(every.c.at)
    return (
        select(every.c.user_id, at.label("at"))
        .group_by(every.c.user_id)
        .having(at.is_not(None))  # a chosen learner who viewed nothing here and did nothing
    )


def _first_views(module: Module, learners: Learners) -> Query:
    """(user_id, at): when each learner first opened a lesson of the module."""
    keys = [activity.lesson_key(module.slug, lesson.slug) for lesson in module.lessons]
    viewed = (
        ActivityEvent.verb == activity.VIEWED,
        ActivityEvent.object_type == activity.LESSON,
        ActivityEvent.object_id.in_(keys),
    )
    if learners is None:
        return select(ActivityEvent.user_id, ActivityEvent.occurred_at.label("at")).where(*viewed)
    # The log is indexed by learner: one lookup per chosen learner reads a cohort's events
    # only, where a join would make PostgreSQL read the whole log.
    chosen = learners.subquery("chosen")
    user_id = chosen.c[0]
    first = (
        select(func.min(ActivityEvent.occurred_at))
        .where(ActivityEvent.user_id == user_id, *viewed)
        .scalar_subquery()
    )
    return select(user_id.label("user_id"), first.label("at"))


def _label(kind: str) -> ColumnElement[str]:
    # A constant, never user input: rendered inline so PostgreSQL knows its type in a UNION.
    return literal_column(f"'{kind}'", String).label("kind")


def _blank() -> ColumnElement[str]:
    return literal_column("''", String).label("key")


def _completions(module: Module, learners: Learners) -> Query:
    """(key, user_id, at): the learners' completions of the module's lessons."""
    return _among(
        select(
            LessonCompletion.lesson_slug.label("key"),
            LessonCompletion.user_id,
            LessonCompletion.completed_at.label("at"),
        ).where(
            LessonCompletion.module_slug == module.slug,
            LessonCompletion.lesson_slug.in_([lesson.slug for lesson in module.lessons]),
        ),
        LessonCompletion.user_id,
        learners,
    )


def _attempts(module: Module, learners: Learners) -> Query:
    """(key, user_id, started_at, at, passed): the learners' attempts at the module's quizzes."""
    return _among(
        select(
            QuizAttempt.quiz_id.label("key"),
            QuizAttempt.user_id,
            QuizAttempt.started_at,
            QuizAttempt.submitted_at.label("at"),
            QuizAttempt.passed,
        ).where(QuizAttempt.quiz_id.in_(_quiz_ids(module))),
        QuizAttempt.user_id,
        learners,
    )


def _reached(module: Module, done: Any, tries: Any, first: Any) -> list[Query]:
    """Rows of (kind, key, user_id, at): who reached which step of the funnel, and when."""
    rows = [
        select(_label(STARTED), _blank(), first.c.user_id, first.c.at),
        select(_label(LESSON), done.c.key, done.c.user_id, done.c.at),
    ]
    quiz_ids = _quiz_ids(module)
    if quiz_ids:
        submitted = _first_submission(tries, passed=False).subquery("submitted")
        passed = _first_submission(tries, passed=True).subquery("passed")
        rows += [
            select(_label(ATTEMPTED), submitted.c.key, submitted.c.user_id, submitted.c.at),
            select(_label(PASSED), passed.c.key, passed.c.user_id, passed.c.at),
        ]
        if len(quiz_ids) > 1:
            rows.append(
                select(_label(ALL_PASSED), _blank(), passed.c.user_id, func.max(passed.c.at))
                .group_by(passed.c.user_id)
                .having(func.count() == len(quiz_ids))
            )
    required = [lesson.slug for lesson in module.required_lessons]
    if required:  # a module without required lessons is never complete, as in progress
        rows.append(
            select(_label(COMPLETED), _blank(), done.c.user_id, func.max(done.c.at))
            .where(done.c.key.in_(required))
            .group_by(done.c.user_id)
            .having(func.count() == len(required))
        )
    return rows


def _first_submission(tries: Any, *, passed: bool) -> Query:
    """(key, user_id, at): each learner's first submitted (or first passing) attempt per quiz."""
    query = (
        select(tries.c.key, tries.c.user_id, func.min(tries.c.at).label("at"))
        .where(tries.c.at.is_not(None))
        .group_by(tries.c.key, tries.c.user_id)
    )
    return query.where(tries.c.passed.is_(True)) if passed else query


def _seconds(session: Session, later: Any, earlier: Any) -> ColumnElement[float]:
    """The time between two timestamps in seconds (date arithmetic differs by dialect)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(extract("epoch", later - earlier), Float)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def _medians(source: Any, reached: Subquery, seconds: ColumnElement[float]) -> Query:
    """(kind, key, learners, median seconds) per step, from the middle rows of each step."""
    group = (reached.c.kind, reached.c.key)
    ranked = (
        select(
            reached.c.kind,
            reached.c.key,
            seconds.label("seconds"),
            func.row_number().over(partition_by=group, order_by=seconds).label("rank"),
            func.count().over(partition_by=group).label("n"),
        )
        .select_from(source)
        .subquery("ranked")
    )
    # The middle row (odd counts) or the two middle rows (even counts): 2 * rank in [n, n + 2].
    return (
        select(ranked.c.kind, ranked.c.key, func.max(ranked.c.n), func.avg(ranked.c.seconds))
        .where(ranked.c.rank * 2 >= ranked.c.n, ranked.c.rank * 2 <= ranked.c.n + 2)
        .group_by(ranked.c.kind, ranked.c.key)
    )


def _started_by_module(modules: Sequence[Module], learners: Learners) -> Query:
    """(module slug, learners who started it) for every module with any activity."""
    lessons = {
        activity.lesson_key(module.slug, lesson.slug): module.slug
        for module in modules
        for lesson in module.lessons
    }
    quizzes = {quiz_id: module.slug for module in modules for quiz_id in _quiz_ids(module)}
    pairs = [(module.slug, lesson.slug) for module in modules for lesson in module.lessons]
    parts = [
        _among(
            select(
                case(lessons, value=ActivityEvent.object_id).label("module"),
                ActivityEvent.user_id,
            ).where(
                ActivityEvent.verb == activity.VIEWED,
                ActivityEvent.object_type == activity.LESSON,
                ActivityEvent.object_id.in_(list(lessons)),
            ),
            ActivityEvent.user_id,
            learners,
        ),
        _among(
            select(LessonCompletion.module_slug, LessonCompletion.user_id).where(
                tuple_(LessonCompletion.module_slug, LessonCompletion.lesson_slug).in_(pairs)
            ),
            LessonCompletion.user_id,
            learners,
        ),
    ]
    if quizzes:
        parts.append(
            _among(
                select(case(quizzes, value=QuizAttempt.quiz_id), QuizAttempt.user_id).where(
                    QuizAttempt.quiz_id.in_(list(quizzes))
                ),
                QuizAttempt.user_id,
                learners,
            )
        )
    every = union_all(*parts).subquery("activity")
    return select(every.c.module, func.count(every.c.user_id.distinct())).group_by(every.c.module)


def _completed_by_module(modules: Sequence[Module], learners: Learners) -> Query:
    """(module slug, learners who completed every required lesson) per module."""
    needed = {m.slug: len(m.required_lessons) for m in modules if m.required_lessons}
    pairs = [(m.slug, lesson.slug) for m in modules for lesson in m.required_lessons]
    if not pairs:
        return (
            select(LessonCompletion.module_slug, func.count())
            .where(false())
            .group_by(LessonCompletion.module_slug)
        )
    finished = (
        _among(
            select(LessonCompletion.module_slug.label("module"), LessonCompletion.user_id).where(
                tuple_(LessonCompletion.module_slug, LessonCompletion.lesson_slug).in_(pairs)
            ),
            LessonCompletion.user_id,
            learners,
        )
        .group_by(LessonCompletion.module_slug, LessonCompletion.user_id)
        .having(func.count() == case(needed, value=LessonCompletion.module_slug))
        .subquery("finished")
    )
    return select(finished.c.module, func.count()).group_by(finished.c.module)
