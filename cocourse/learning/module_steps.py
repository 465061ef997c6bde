"""How far each learner got in each module, kept as they go: the rows (`ModuleStep`,
migration 0021) the module funnel and the module list count. Functions take a Session.

Two sorts of row, one table:

- **What was done**, written by the code that records it, in its transaction: the first view
  of each lesson (`activity.record_view`), each lesson's completion
  (`progress.record_completion`), and per quiz the first attempt begun, the first submitted
  and the first passed (the quiz engine's start, submit, close and regrade). Each is the
  first time, so a learner has one row per lesson or quiz and kind, however often they
  come back.
- **What follows from it for the module as it is now** (its lessons, which are optional,
  its quizzes: the `layout`): the learner's start (the first view, completion or attempt
  begun of one of the module's lessons or quizzes), every quiz passed (the last first
  pass), every required lesson complete (the last completion), and every row's seconds from
  the start. These are rebuilt for a learner from their rows whenever one is written
  (`refresh`), a few statements over a few rows.

A row whose `layout` is not the module's current one is out of date: rows filled by the
migration or by bulk writes (`fill`), rows written where the module was not known, and
every row of a module whose lessons changed since. The reports bring such learners up to
date first (`refresh_stale`), so the numbers always follow the module as it is now, as
progress does; that check is one indexed query when everything is up to date.

Writers of a learner's rows hold the learner's row lock (`SELECT ... FOR UPDATE` on
`user`, as completions and quiz attempts already take it), and take several learners'
in id order, so rebuilding never races another write of the same learner.
"""

from __future__ import annotations

import hashlib
import json
import typing
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Insert,
    Select,
    String,
    Table,
    and_,
    cast,
    delete,
    exists,
    extract,
    func,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from cocourse.content.model import Course, Module
from cocourse.db import upsert, write
from cocourse.models import (
    ActivityEvent,
    LessonCompletion,
    ModuleStep,
    QuizAttempt,
    User,
)

# What was done.
VIEWED, LESSON = "viewed", "lesson"
BEGUN, ATTEMPTED, PASSED = "quiz-begun", "quiz-attempted", "quiz-passed"
# What follows from it, for the module as it is now.
STARTED, ALL_PASSED, COMPLETED = "started", "quizzes-passed", "completed"
DERIVED = (STARTED, ALL_PASSED, COMPLETED)
QUIZ_KINDS = (BEGUN, ATTEMPTED, PASSED)
CHUNK = 500  # learners a statement works on

TABLE = typing.cast(Table, ModuleStep.__table__)
KEY = ("user_id", "module_slug", "kind", "key")
COLUMNS = (*KEY, "reached_at")


def layout(module: Module) -> str:
    """A digest of what the rows that follow depend on: the module's lessons in order,
    which are optional, and their quizzes."""
    shape = [
        [lesson.slug, lesson.optional, lesson.quiz.id if lesson.quiz is not None else None]
        for lesson in module.lessons
    ]
    return hashlib.sha256(json.dumps(shape).encode()).hexdigest()[:16]


def reached(
    session: Session, user_id: int, module: Module, kind: str, key: str, at: datetime
) -> None:
    """The learner viewed (VIEWED) or completed (LESSON) the lesson `key` at `at`: keep the
    earliest time, and bring the learner's rows in the module up to date if it changed.
    Inside the caller's write transaction, the learner's row locked."""
    insert = upsert(session)
    values = insert(TABLE).values(
        user_id=user_id, module_slug=module.slug, kind=kind, key=key, reached_at=at
    )
    earlier = values.on_conflict_do_update(
        index_elements=list(KEY),
        set_={"reached_at": values.excluded.reached_at},
        where=TABLE.c.reached_at > values.excluded.reached_at,
    ).returning(TABLE.c.user_id)
    if session.execute(earlier).first() is not None:
        refresh(session, module, [user_id])


def quiz_changed(
    session: Session,
    module_slug: str,
    quiz_id: str,
    user_ids: Sequence[int],
    module: Module | None = None,
) -> None:
    """The learners' attempts at the quiz changed (begun, submitted, closed, regraded):
    their quiz rows read again from the attempts, and with `module` (the module now) their
    rows brought up to date; without it the reports do that. Inside the caller's write
    transaction, the learners' rows locked."""
    session.flush()  # the attempts as this session has them
    for chunk in _chunks(user_ids):
        session.execute(
            delete(TABLE).where(
                TABLE.c.user_id.in_(chunk),
                TABLE.c.module_slug == module_slug,
                TABLE.c.kind.in_(QUIZ_KINDS),
                TABLE.c.key == quiz_id,
            )
        )
        found = _quiz_rows(
            QuizAttempt.user_id.in_(chunk),
            QuizAttempt.module_slug == module_slug,
            QuizAttempt.quiz_id == quiz_id,
        )
        session.execute(_insert_rows(union_all(*found)))
        if module is not None:
            refresh(session, module, chunk)


def refresh(session: Session, module: Module, user_ids: Sequence[int]) -> None:
    """Rebuild what follows for these learners in the module as it is now, and date each of
    their rows from their start (three statements for up to CHUNK learners). Inside the
    caller's write transaction, the learners' rows locked."""
    lessons = [lesson.slug for lesson in module.lessons]
    quizzes = [lesson.quiz.id for lesson in module.lessons if lesson.quiz is not None]
    required = [lesson.slug for lesson in module.required_lessons]
    digest = layout(module)
    for chunk in _chunks(user_ids):
        mine = (TABLE.c.module_slug == module.slug, TABLE.c.user_id.in_(chunk))
        session.execute(delete(TABLE).where(*mine, TABLE.c.kind.in_(DERIVED)))
        start = or_(
            and_(TABLE.c.kind.in_([VIEWED, LESSON]), TABLE.c.key.in_(lessons)),
            and_(TABLE.c.kind == BEGUN, TABLE.c.key.in_(quizzes)),
        )
        follows = [_derived(module, STARTED, func.min, mine, start)]
        if len(quizzes) > 1:
            passed = and_(TABLE.c.kind == PASSED, TABLE.c.key.in_(quizzes))
            follows.append(_derived(module, ALL_PASSED, func.max, mine, passed, len(quizzes)))
        if required:  # a module without required lessons is never complete, as in progress
            done = and_(TABLE.c.kind == LESSON, TABLE.c.key.in_(required))
            follows.append(_derived(module, COMPLETED, func.max, mine, done, len(required)))
        session.execute(_insert_rows(union_all(*follows) if len(follows) > 1 else follows[0]))
        began = TABLE.alias("began")
        start_at = (
            select(began.c.reached_at)
            .where(
                began.c.user_id == TABLE.c.user_id,
                began.c.module_slug == module.slug,
                began.c.kind == STARTED,
                began.c.key == "",
            )
            .scalar_subquery()
        )
        seconds = _seconds(session, TABLE.c.reached_at, start_at)
        session.execute(update(TABLE).where(*mine).values(seconds=seconds, layout=digest))


def refresh_stale(session: Session, modules: Sequence[Module]) -> int:
    """Bring up to date, in write transactions of its own (one per CHUNK learners), the
    learners whose rows in these modules are not (see the module's docstring); how many
    learners that was, counted once per module. One query when there are none."""
    digests = {module.slug: layout(module) for module in modules}
    if not modules:
        return 0
    checks = [
        select(_text(slug)).where(_any_stale(slug, digest)) for slug, digest in digests.items()
    ]
    found = set(session.scalars(union_all(*checks)))
    if not found:
        return 0
    count = 0
    for module in modules:
        if module.slug not in found:
            continue
        stale = _stale(module.slug, digests[module.slug])
        ids = list(
            session.scalars(
                select(TABLE.c.user_id).distinct().where(*stale).order_by(TABLE.c.user_id)
            )
        )
        # A transaction per chunk: the first report after an upgrade rebuilds every row, and
        # what it did is kept even if that request ends early (a worker's timeout).
        for chunk in _chunks(ids):
            with write(session):
                lock(session, chunk)
                refresh(session, module, chunk)
        count += len(ids)
    return count


def fill(session: Session, course: Course, user_ids: Sequence[int]) -> None:
    """Rebuild these learners' rows from the activity log, their completions and attempts,
    for every module of the course: for rows written in bulk, such as `cocourse synthetic`'s.
    Inside the caller's write transaction."""
    for chunk in _chunks(user_ids):
        session.execute(delete(TABLE).where(TABLE.c.user_id.in_(chunk)))
        session.execute(_insert_rows(done_rows(session, chunk)))
        for module in course.modules:
            refresh(session, module, chunk)


def done_rows(session: Session, user_ids: Sequence[int]) -> Any:
    """What the learners did, as rows of (user_id, module_slug, kind, key, reached_at), read
    from the activity log (lesson views), the completions and the attempts."""
    from cocourse.learning import activity  # activity records views through this module

    event = ActivityEvent
    module_slug, lesson_slug = _split_lesson_key(session, event.object_id)
    views = (
        select(
            event.user_id,
            module_slug,
            _text(VIEWED),
            lesson_slug,
            func.min(event.occurred_at),
        )
        .where(
            event.user_id.in_(user_ids),
            event.verb == activity.VIEWED,
            event.object_type == activity.LESSON,
        )
        .group_by(event.user_id, event.object_id)
    )
    completions = select(
        LessonCompletion.user_id,
        LessonCompletion.module_slug,
        _text(LESSON),
        LessonCompletion.lesson_slug,
        LessonCompletion.completed_at,
    ).where(LessonCompletion.user_id.in_(user_ids))
    return union_all(views, completions, *_quiz_rows(QuizAttempt.user_id.in_(user_ids)))


def lock(session: Session, user_ids: Iterable[int]) -> None:
    """Take the learners' row locks, in id order (a no-op on SQLite, whose writers queue)."""
    session.execute(
        select(User.id).where(User.id.in_(list(user_ids))).order_by(User.id).with_for_update()
    )


def _quiz_rows(*where: ColumnElement[bool]) -> list[Select[Any]]:
    """Per learner and quiz: the first attempt begun, submitted and passed (three queries to
    join in a UNION)."""
    a = QuizAttempt

    def first(kind: str, at: Any, *condition: ColumnElement[bool]) -> Select[Any]:
        return (
            select(a.user_id, a.module_slug, _text(kind), a.quiz_id, func.min(at))
            .where(*where, *condition)
            .group_by(a.user_id, a.module_slug, a.quiz_id)
        )

    return [
        first(BEGUN, a.started_at),
        first(ATTEMPTED, a.submitted_at, a.submitted_at.is_not(None)),
        first(PASSED, a.submitted_at, a.submitted_at.is_not(None), a.passed.is_(True)),
    ]


def _derived(
    module: Module,
    kind: str,
    pick: Any,
    mine: tuple[ColumnElement[bool], ...],
    rows: ColumnElement[bool],
    needed: int | None = None,
) -> Select[Any]:
    """(user_id, module_slug, kind, "", reached_at) for the learners whose rows match
    `rows` (all `needed` of them, if given): the earliest or latest of their times."""
    query = (
        select(
            TABLE.c.user_id,
            _text(module.slug),
            _text(kind),
            _text(""),
            pick(TABLE.c.reached_at),
        )
        .where(*mine, rows)
        .group_by(TABLE.c.user_id)
    )
    return query if needed is None else query.having(func.count() == needed)


def _stale(slug: str, digest: str) -> tuple[ColumnElement[bool], ...]:
    """The module's rows not up to date with its layout."""
    column = TABLE.c.layout
    return TABLE.c.module_slug == slug, or_(column.is_(None), column != digest)


def _any_stale(slug: str, digest: str) -> ColumnElement[bool]:
    """Whether any of the module's rows is not up to date with its layout: a row without
    one, or a smallest or largest layout that is another (each a step into the index)."""
    mine = TABLE.c.module_slug == slug
    lowest = select(func.min(TABLE.c.layout)).where(mine).scalar_subquery()
    highest = select(func.max(TABLE.c.layout)).where(mine).scalar_subquery()
    return or_(exists().where(mine, TABLE.c.layout.is_(None)), lowest != digest, highest != digest)


def _insert_rows(rows: Any) -> Insert:
    return TABLE.insert().from_select(list(COLUMNS), rows)


def _text(value: str) -> ColumnElement[str]:
    # Typed, so that PostgreSQL knows the type of a bound value in a UNION.
    return cast(literal(value), String())


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _seconds(session: Session, later: Any, earlier: Any) -> ColumnElement[float]:
    """The time between two timestamps in seconds (date arithmetic differs by dialect)."""
    if _dialect(session) == "postgresql":
        return cast(extract("epoch", later - earlier), Float)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def _split_lesson_key(session: Session, key: Any) -> tuple[Any, Any]:
    """The module and lesson slugs of a lesson's key in the log (`module/lesson`)."""
    if _dialect(session) == "postgresql":
        return func.split_part(key, "/", 1), func.substr(key, func.strpos(key, "/") + 1)
    slash = func.instr(key, "/")
    return func.substr(key, 1, slash - 1), func.substr(key, slash + 1)


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])
