"""Progress services: lesson completion, module status and locks. Queries take a Session."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

import pluggy
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Table, func, select
from sqlalchemy.orm import Session

from cocourse.content.model import Course, Lesson, Module, Track
from cocourse.content.workshop_kit import KIND_LABELS
from cocourse.db import upsert, write
from cocourse.learning import activity, module_steps
from cocourse.models import LessonCompletion, User, Workshop, WorkshopSeat, utcnow
from cocourse.plugins import Event, enabled, fire_events

Done = Mapping[str, frozenset[str]]
# Looks up the workshop kinds a learner attended; Standing calls it at most once, and only
# when a track with a workshop requirement is consulted (the lesson pages rarely need it).
Attendance = Callable[[], Collection[str]]


@dataclass(frozen=True)
class ModuleStatus:
    """How far a learner is in a module's required lessons and what, if anything, locks it."""

    done: int
    total: int
    locked_by: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """Every required lesson is complete."""
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

    def __init__(
        self,
        course: Course,
        done: Done,
        *,
        bypass_locks: bool = False,
        attendance: Attendance | None = None,
    ) -> None:
        """`attendance` (see `attendance()`): None ignores the tracks' workshop requirements,
        as while the workshops feature is switched off."""
        self.course, self.done, self.bypass_locks = course, done, bypass_locks
        self._finished: dict[str, bool] = {}
        self._attendance = attendance
        self._attended: frozenset[str] | None = None

    def finished(self, module: Module) -> bool:
        """Every required lesson of the module is complete (quiz lessons: quiz passed)."""
        if module.slug not in self._finished:
            status = self.count(module)
            self._finished[module.slug] = status[0] == status[1]
        return self._finished[module.slug]

    def count(self, module: Module) -> tuple[int, int]:
        """Required lessons complete, and required lessons in all."""
        mine = self.done.get(module.slug, frozenset())
        required = module.required_lessons
        return sum(1 for lesson in required if lesson.slug in mine), len(required)

    def attended(self) -> frozenset[str]:
        """The workshop kinds the learner attended (looked up on first need, then kept)."""
        if self._attended is None:
            found = self._attendance() if self._attendance is not None else ()
            self._attended = frozenset(found)
        return self._attended

    def workshop_missing(self, track: Track) -> str | None:
        """The kind of workshop the track requires and the learner has not attended yet
        (None: no requirement, met, or requirements ignored)."""
        kind = track.requires_workshop
        if kind is None or self._attendance is None or kind in self.attended():
            return None
        return kind

    def track_finished(self, track: Track) -> bool:
        """Every module of the track is finished, and its required workshop attended."""
        return self.track_blocker(track) is None

    def track_blocker(self, track: Track) -> str | None:
        """What is left of a track, as lock messages name it: its title, with the workshop
        when only that is missing ("Tasting (attend a tasting workshop)"); None: finished.
        Attendance is looked up only once the modules are finished."""
        if not all(map(self.finished, track.modules)):
            return track.title
        kind = self.workshop_missing(track)
        if not kind:
            return None
        # Translators: a track that is not finished yet, e.g. "Tasting (attend a tasting
        # workshop)"; it is listed in "Complete %(names)s first."
        return _(
            "%(track)s (attend %(workshop)s)", track=track.title, workshop=workshop_words(kind)
        )

    def track_locked_by(self, track: Track | None) -> tuple[str, ...]:
        """The unfinished tracks this track needs first, as `track_blocker` names them
        (empty: open)."""
        if self.bypass_locks or track is None:
            return ()
        needed = [self.course.track(name) for name in track.prerequisites]
        return tuple(b for t in needed if t is not None and (b := self.track_blocker(t)))

    def locked_by(self, module: Module) -> tuple[str, ...]:
        """Titles of the unfinished prerequisite tracks and modules (empty: open)."""
        if self.bypass_locks:
            return ()
        modules = [self.course.module(name) for name in module.prerequisites]
        missing = [m.title for m in modules if m and not self.finished(m)]
        return self.track_locked_by(self.course.track(module.track)) + tuple(missing)

    def status(self, module: Module) -> ModuleStatus:
        """One module's status; the lesson pages need only this."""
        done, total = self.count(module)
        return ModuleStatus(done, total, self.locked_by(module))

    def next_step(self, modules: Sequence[Module]) -> tuple[Module, Lesson] | None:
        """Where to continue: the first open, unfinished lesson among these modules."""
        for module in modules:
            if self.locked_by(module) or self.finished(module):
                continue
            lesson = next_lesson(module, self.done)
            if lesson is not None:
                return module, lesson
        return None

    def statuses(self) -> dict[str, ModuleStatus]:
        """Every module's status, for the catalog."""
        return {module.slug: self.status(module) for module in self.course.modules}


def workshop_label(kind: str) -> str:
    """A workshop kind in words: "tasting workshop" (in the request's language)."""
    if kind == "tasting":
        return _("tasting workshop")
    if kind == "solution":
        return _("solution workshop")
    if kind == "exchange":
        return _("learning-and-exchange venue")
    # A kind the interface does not know (KIND_LABELS may name it, in English).
    return KIND_LABELS.get(kind, f"{kind} workshop").lower()


def workshop_words(kind: str) -> str:
    """A workshop kind in a sentence: "a tasting workshop" (in the request's language)."""
    if kind == "tasting":
        return _("a tasting workshop")
    if kind == "solution":
        return _("a solution workshop")
    if kind == "exchange":
        return _("a learning-and-exchange venue")
    return _("a %(workshop)s", workshop=workshop_label(kind))


def _attended_where(user_id: int) -> tuple[ColumnElement[bool], ...]:
    """A seat of the learner marked present at a workshop that was not cancelled."""
    return (
        WorkshopSeat.workshop_id == Workshop.id,
        WorkshopSeat.user_id == user_id,
        WorkshopSeat.attended_at.is_not(None),
        Workshop.status != "cancelled",
    )


def attended_kinds(session: Session, user_id: int) -> frozenset[str]:
    """The kinds of workshop the learner attended (one query)."""
    rows = session.connection().execute(
        select(Workshop.kind).distinct().where(*_attended_where(user_id))
    )
    return frozenset(kind for (kind,) in rows)


def attended_workshops(session: Session, user_id: int) -> dict[str, Workshop]:
    """Per kind, the first workshop the learner attended (one query)."""
    query = select(Workshop).where(*_attended_where(user_id)).order_by(Workshop.starts_at)
    found: dict[str, Workshop] = {}
    for workshop in session.scalars(query):
        found.setdefault(workshop.kind, workshop)
    return found


def attendance(
    session: Session, user_id: int | None, pm: pluggy.PluginManager | None = None
) -> Attendance | None:
    """The learner's attendance look-up for `Standing`, or None (requirements ignored) for
    nobody, or while the workshops feature is switched off in `pm` (default: the current
    app's plugins; outside an app, off)."""
    plugins = pm if pm is not None else _current_plugins()
    if user_id is None or plugins is None or not enabled(plugins, "workshops"):
        return None
    return lambda: attended_kinds(session, user_id)


def _current_plugins() -> pluggy.PluginManager | None:
    """The plugin manager of the app being served, if there is one."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return None
    return cast("pluggy.PluginManager | None", current_app.extensions.get("cocourse.plugins"))


def next_lesson(module: Module, done: Done) -> Lesson | None:
    """The first required lesson of the module that is not complete yet."""
    finished = done.get(module.slug, frozenset())
    return next((lesson for lesson in module.required_lessons if lesson.slug not in finished), None)


def complete_lesson(
    session: Session,
    pm: pluggy.PluginManager,
    user_id: int,
    module: Module,
    lesson: Lesson,
    *,
    track: Track | None = None,
    now: datetime | None = None,
) -> bool:
    """Record a lesson as complete in its own transaction (at `now`, default the present);
    idempotent.

    The completion events fire once, after the commit (a failing plugin is only logged).
    Returns whether this call recorded the completion.
    """
    with write(session):
        events = record_completion(session, user_id, module, lesson, track=track, now=now)
    fire_events(pm, events)
    return bool(events)


def record_completion(
    session: Session,
    user_id: int,
    module: Module,
    lesson: Lesson,
    *,
    track: Track | None = None,
    now: datetime | None = None,
) -> list[Event]:
    """Record a lesson as complete (at `now`, default the present) inside the caller's write
    transaction; idempotent.

    The activity log gets the lesson, and the module and `track` (the module's track) when
    this completion finished them, in the same transaction, and so do the reports' rows
    (`module_steps`). Returns the events for the
    caller to fire after its commit: `lesson_completed` when this call recorded the lesson
    (nothing if it was complete already), then `module_completed` when that finished the
    module.
    """
    table = cast(Table, LessonCompletion.__table__)
    insert = upsert(session)
    now = now or utcnow()
    # Serialize one learner's completions so "last lesson of the module" is seen once.
    session.execute(select(User.id).where(User.id == user_id).with_for_update())
    result = session.execute(
        insert(table)
        .values(
            user_id=user_id,
            module_slug=module.slug,
            lesson_slug=lesson.slug,
            content_hash=lesson.content_hash,
            completed_at=now,
        )
        .on_conflict_do_nothing(index_elements=["user_id", "module_slug", "lesson_slug"])
        .returning(table.c.id)
    )
    if result.first() is None:
        return []
    module_steps.reached(session, user_id, module, module_steps.LESSON, lesson.slug, now)
    # An optional lesson never finishes a module: it would finish it a second time.
    module_done = not lesson.optional and _module_finished(session, user_id, module)
    track_done = module_done and track is not None and _track_finished(session, user_id, track)
    activity.record_completion(
        session,
        user_id,
        module.slug,
        lesson.slug,
        module_done=module_done,
        track_slug=track.slug if track_done and track is not None else None,
        at=now,
    )
    events = [
        Event(
            "lesson_completed",
            {"user_id": user_id, "module_slug": module.slug, "lesson_slug": lesson.slug},
        )
    ]
    if module_done:
        events.append(Event("module_completed", {"user_id": user_id, "module_slug": module.slug}))
    return events


def _module_finished(session: Session, user_id: int, module: Module) -> bool:
    """Whether every required lesson of the module is complete for the learner."""
    count = session.scalar(
        select(func.count())
        .select_from(LessonCompletion)
        .where(
            LessonCompletion.user_id == user_id,
            LessonCompletion.module_slug == module.slug,
            LessonCompletion.lesson_slug.in_([lesson.slug for lesson in module.required_lessons]),
        )
    )
    return count == len(module.required_lessons)


def _track_finished(session: Session, user_id: int, track: Track) -> bool:
    """Whether every module of the track is finished for the learner (one query)."""
    done = completed(session, user_id)
    return all(
        {lesson.slug for lesson in module.required_lessons} <= done.get(module.slug, frozenset())
        for module in track.modules
    )


def completion_dates(session: Session, user_id: int) -> dict[tuple[str, str], datetime]:
    """When each lesson was completed, by (module slug, lesson slug)."""
    rows = session.execute(
        select(
            LessonCompletion.module_slug,
            LessonCompletion.lesson_slug,
            LessonCompletion.completed_at,
        ).where(LessonCompletion.user_id == user_id)
    )
    return {(module, lesson): at for module, lesson, at in rows}


@dataclass(frozen=True)
class TrackProgress:
    """One track on a learner's dashboard."""

    track: Track
    done: int
    total: int
    minutes_left: int
    next_step: tuple[Module, Lesson] | None
    finished: tuple[tuple[Module, datetime | None], ...]
    locked_by: tuple[str, ...]
    workshop: str | None = None  # the kind of workshop still to attend to complete the track

    @property
    def percent(self) -> int:
        """Required lessons complete in the track, 0 to 100."""
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def workshop_words(self) -> str:
        """The workshop still to attend, in a sentence ("a tasting workshop"); "" if none."""
        return workshop_words(self.workshop) if self.workshop else ""


def track_progress(
    standing: Standing, dates: Mapping[tuple[str, str], datetime]
) -> list[TrackProgress]:
    """Per track: lessons done, time left, where to continue, finished modules with dates,
    and the workshop still to attend."""
    tracks = []
    for track in standing.course.tracks:
        done = total = 0
        minutes_left = 0
        finished = []
        for module in track.modules:
            count, required = standing.count(module)
            done, total = done + count, total + required
            if required:
                minutes_left += round(module.estimated_minutes * (required - count) / required)
            if standing.finished(module):
                when = [dates.get((module.slug, lesson.slug)) for lesson in module.required_lessons]
                finished.append((module, max((d for d in when if d), default=None)))
        tracks.append(
            TrackProgress(
                track=track,
                done=done,
                total=total,
                minutes_left=minutes_left,
                next_step=standing.next_step(track.modules),
                finished=tuple(finished),
                locked_by=standing.track_locked_by(track),
                workshop=standing.workshop_missing(track),
            )
        )
    return tracks
