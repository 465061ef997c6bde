"""Progress services: lesson completion, module status and locks. Queries take a Session."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .content.model import Course, Lesson, Module
from .db import write
from .models import LessonCompletion, User, utcnow

Done = Mapping[str, frozenset[str]]


@dataclass(frozen=True)
class ModuleStatus:
    """How far a learner is in a module and what, if anything, locks it."""

    done: int
    total: int
    locked_by: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """Every lesson is complete."""
        return self.total > 0 and self.done >= self.total

    @property
    def started(self) -> bool:
        """At least one lesson is complete."""
        return self.done > 0

    @property
    def percent(self) -> int:
        """Share of lessons complete, 0 to 100."""
        return round(100 * self.done / self.total) if self.total else 0


def completed(session: Session, user_id: int | None) -> Done:
    """The lessons a learner completed, by module slug (one query)."""
    if user_id is None:
        return {}
    # A Core query on the session's connection: this runs on every page, and the ORM's
    # per-query work is not needed for two plain columns.
    rows = session.connection().execute(
        select(LessonCompletion.module_slug, LessonCompletion.lesson_slug).where(
            LessonCompletion.user_id == user_id
        )
    )
    found: dict[str, set[str]] = {}
    for module_slug, lesson_slug in rows:
        found.setdefault(module_slug, set()).add(lesson_slug)
    return {slug: frozenset(lessons) for slug, lessons in found.items()}


class Standing:
    """A learner's standing in the course: module statuses and locks, computed on demand."""

    def __init__(self, course: Course, done: Done, *, bypass_locks: bool = False) -> None:
        self.course, self.done, self.bypass_locks = course, done, bypass_locks
        self._finished: dict[str, bool] = {}

    def finished(self, module: Module) -> bool:
        """Every current lesson of the module is complete."""
        if module.slug not in self._finished:
            mine = self.done.get(module.slug, frozenset())
            self._finished[module.slug] = bool(module.lessons) and all(
                lesson.slug in mine for lesson in module.lessons
            )
        return self._finished[module.slug]

    def locked_by(self, module: Module) -> tuple[str, ...]:
        """Titles of the unfinished prerequisite tracks and modules (empty: open)."""
        if self.bypass_locks:
            return ()
        course = self.course
        track = course.track(module.track)
        tracks = [course.track(name) for name in (track.prerequisites if track else ())]
        modules = [course.module(name) for name in module.prerequisites]
        waiting = [t.title for t in tracks if t and not all(map(self.finished, t.modules))]
        missing = [m.title for m in modules if m and not self.finished(m)]
        return tuple(waiting + missing)

    def status(self, module: Module) -> ModuleStatus:
        """One module's status; the lesson pages need only this."""
        mine = self.done.get(module.slug, frozenset())
        count = sum(1 for lesson in module.lessons if lesson.slug in mine)
        return ModuleStatus(count, len(module.lessons), self.locked_by(module))

    def statuses(self) -> dict[str, ModuleStatus]:
        """Every module's status, for the catalog."""
        return {module.slug: self.status(module) for module in self.course.modules}


def next_lesson(module: Module, done: Done) -> Lesson | None:
    """The first lesson of the module that is not complete yet."""
    finished = done.get(module.slug, frozenset())
    return next((lesson for lesson in module.lessons if lesson.slug not in finished), None)


def complete_lesson(
    session: Session, hook: Any, user_id: int, module: Module, lesson: Lesson
) -> bool:
    """Record a lesson as complete; idempotent. Fires the completion events exactly once."""
    table = LessonCompletion.__table__
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    with write(session):
        # Serialize one learner's completions so "last lesson of the module" is seen once.
        session.execute(select(User.id).where(User.id == user_id).with_for_update())
        result = session.execute(
            insert(table)
            .values(
                user_id=user_id,
                module_slug=module.slug,
                lesson_slug=lesson.slug,
                content_hash=lesson.content_hash,
                completed_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["user_id", "module_slug", "lesson_slug"])
            .returning(table.c.id)
        )
        newly = result.first() is not None
        module_done = newly and _module_finished(session, user_id, module)
    if newly:
        hook.lesson_completed(user_id=user_id, module_slug=module.slug, lesson_slug=lesson.slug)
    if module_done:
        hook.module_completed(user_id=user_id, module_slug=module.slug)
    return newly


def _module_finished(session: Session, user_id: int, module: Module) -> bool:
    """Whether every current lesson of the module is complete for the learner."""
    count = session.scalar(
        select(func.count())
        .select_from(LessonCompletion)
        .where(
            LessonCompletion.user_id == user_id,
            LessonCompletion.module_slug == module.slug,
            LessonCompletion.lesson_slug.in_([lesson.slug for lesson in module.lessons]),
        )
    )
    return count == len(module.lessons)
