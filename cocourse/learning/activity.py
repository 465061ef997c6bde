"""Activity log services: record what learners do, read it back, export it as xAPI.

The log is append-only: there is no code path that changes or deletes an event (deleting an
account removes its events through the foreign key). Completions and quiz results are recorded
by the progress and quiz services inside the transaction that makes the change, so an event
exists exactly when the change does. No Flask here: callers pass the session, the course and
the site's external URL.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from urllib.parse import quote

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Integer,
    String,
    Table,
    bindparam,
    exists,
    insert,
    literal,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from cocourse.content.loader import lesson_url, module_url
from cocourse.content.model import Course, Module
from cocourse.db import write
from cocourse.learning import module_steps
from cocourse.models import ActivityEvent, QuizAttempt, User, UTCDateTime, utcnow

VIEWED, COMPLETED, ATTEMPTED, PASSED = "viewed", "completed", "attempted", "passed"
LESSON, MODULE, TRACK, QUIZ = "lesson", "module", "track", "quiz"

# A learner who reloads a lesson or comes back to it within this time adds no new event.
VIEW_INTERVAL = timedelta(minutes=30)
# Rows fetched per query when streaming downloads and exports.
CHUNK = 500
# What every statement's context says about where it comes from.
PLATFORM = "cocourse"
LANGUAGE = "en-US"
# The attempt number of a quiz event (a registered xAPI extension).
ATTEMPT_EXTENSION = "http://id.tincanapi.com/extension/attempt-id"

TABLE = cast(Table, ActivityEvent.__table__)

# What an event did, as the activity pages say it.
EVENT_WORDS = {
    (VIEWED, LESSON): _l("Viewed lesson"),
    (COMPLETED, LESSON): _l("Completed lesson"),
    (COMPLETED, MODULE): _l("Completed module"),
    (COMPLETED, TRACK): _l("Completed track"),
    (ATTEMPTED, QUIZ): _l("Attempted quiz"),
    (PASSED, QUIZ): _l("Passed quiz"),
}

VERB_IRIS = {
    VIEWED: ("http://adlnet.gov/expapi/verbs/experienced", "experienced"),
    COMPLETED: ("http://adlnet.gov/expapi/verbs/completed", "completed"),
    ATTEMPTED: ("http://adlnet.gov/expapi/verbs/attempted", "attempted"),
    PASSED: ("http://adlnet.gov/expapi/verbs/passed", "passed"),
}
ACTIVITY_TYPES = {
    LESSON: "http://adlnet.gov/expapi/activities/lesson",
    MODULE: "http://adlnet.gov/expapi/activities/module",
    TRACK: "http://adlnet.gov/expapi/activities/course",
    QUIZ: "http://adlnet.gov/expapi/activities/assessment",
}


@dataclass(frozen=True)
class Event:
    """An event to record: what was done to which object, with a result for quizzes."""

    verb: str
    object_type: str
    object_id: str
    result: Mapping[str, Any] | None = None


def lesson_key(module_slug: str, lesson_slug: str) -> str:
    """A lesson's object id in the log: `module/lesson`."""
    return f"{module_slug}/{lesson_slug}"


def record(
    session: Session, user_id: int, events: Sequence[Event], at: datetime | None = None
) -> None:
    """Add events to the caller's open transaction (one INSERT); the caller commits them."""
    if not events:
        return
    at = at or utcnow()
    rows = [
        {
            "user_id": user_id,
            "verb": event.verb,
            "object_type": event.object_type,
            "object_id": event.object_id,
            # SQL NULL, not the JSON value null, for events without a result.
            "result": dict(event.result) if event.result is not None else null(),
            "occurred_at": at,
        }
        for event in events
    ]
    session.execute(insert(TABLE).values(rows))


def record_completion(
    session: Session,
    user_id: int,
    module_slug: str,
    lesson_slug: str,
    *,
    module_done: bool,
    track_slug: str | None,
    at: datetime | None = None,
) -> None:
    """A newly completed lesson, and the module and track it finished, if it did (at `at`,
    default the present)."""
    events = [Event(COMPLETED, LESSON, lesson_key(module_slug, lesson_slug))]
    if module_done:
        events.append(Event(COMPLETED, MODULE, module_slug))
    if track_slug is not None:
        events.append(Event(COMPLETED, TRACK, track_slug))
    record(session, user_id, events, at)


def record_attempt(session: Session, attempt: QuizAttempt) -> None:
    """A graded or expired quiz attempt: `attempted`, and `passed` too when it passed.

    Every passing attempt records `passed`, not only the first: the log says what happened.
    """
    result = {
        "score": attempt.percent or 0.0,
        "passed": bool(attempt.passed),
        "attempt": attempt.number,
    }
    events = [Event(ATTEMPTED, QUIZ, attempt.quiz_id, result)]
    if attempt.passed:
        events.append(Event(PASSED, QUIZ, attempt.quiz_id, result))
    record(session, attempt.user_id, events, attempt.submitted_at)


# Built once: constructing a statement costs more than running it on this hot path.
_RECENT_VIEW = select(TABLE.c.id).where(
    TABLE.c.user_id == bindparam("user_id"),
    TABLE.c.occurred_at > bindparam("since"),
    TABLE.c.verb == VIEWED,
    TABLE.c.object_type == LESSON,
    TABLE.c.object_id == bindparam("object_id"),
)
_HAS_RECENT_VIEW = select(exists(_RECENT_VIEW))
_ADD_VIEW = (
    insert(TABLE)
    .from_select(
        ["user_id", "verb", "object_type", "object_id", "occurred_at"],
        select(
            bindparam("user_id", type_=Integer()),
            literal(VIEWED, String()),
            literal(LESSON, String()),
            bindparam("object_id", type_=String()),
            bindparam("now", type_=UTCDateTime()),
        ).where(~exists(_RECENT_VIEW)),
    )
    .returning(TABLE.c.id)
)


def record_view(
    session: Session,
    user_id: int,
    module: Module,
    lesson_slug: str,
    now: datetime | None = None,
) -> bool:
    """Record that a learner opened a lesson of `module`, unless they did within
    VIEW_INTERVAL.

    A read checks for a recent view first (through the (user_id, occurred_at) index); only
    without one does an INSERT ... SELECT ... WHERE NOT EXISTS run, in its own write
    transaction, which also keeps the learner's first view of the lesson for the reports
    (`module_steps`). Returns whether an event was added. On SQLite writers queue, so the
    interval holds exactly; on PostgreSQL two requests in the same instant could both add one.
    """
    now = now or utcnow()
    params = {
        "user_id": user_id,
        "object_id": lesson_key(module.slug, lesson_slug),
        "since": now - VIEW_INTERVAL,
        "now": now,
    }
    # Most page views repeat a recent one: a plain read settles those without taking a write
    # lock, so lesson pages of different learners do not queue behind each other.
    if session.connection().execute(_HAS_RECENT_VIEW, params).scalar():
        return False
    with write(session):
        # RETURNING, not rowcount: psycopg reports -1 for INSERT ... SELECT through SQLAlchemy.
        if session.execute(_ADD_VIEW, params).first() is None:
            return False
        module_steps.lock(session, [user_id])
        module_steps.reached(session, user_id, module, module_steps.VIEWED, lesson_slug, now)
        return True


def opened_lessons(session: Session, user_id: int, module_slug: str) -> frozenset[str]:
    """The slugs of the module's lessons the learner has opened at least once."""
    prefix = lesson_key(module_slug, "")
    keys = session.scalars(
        select(ActivityEvent.object_id)
        .where(
            ActivityEvent.user_id == user_id,
            ActivityEvent.verb == VIEWED,
            ActivityEvent.object_type == LESSON,
            ActivityEvent.object_id.startswith(prefix, autoescape=True),
        )
        .distinct()
    )
    return frozenset(key[len(prefix) :] for key in keys)


def recent(
    session: Session, user_id: int, page: int, per_page: int
) -> tuple[list[ActivityEvent], bool]:
    """One page of a learner's events, newest first, and whether older ones follow."""
    rows = list(
        session.scalars(
            select(ActivityEvent)
            .where(ActivityEvent.user_id == user_id)
            .order_by(ActivityEvent.occurred_at.desc(), ActivityEvent.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page + 1)
        )
    )
    return rows[:per_page], len(rows) > per_page


def learner_events(session: Session, user_id: int, chunk: int | None = None) -> Iterator[Row[Any]]:
    """Every event of one learner, oldest first, fetched `chunk` (CHUNK) rows at a time.

    Keyset pagination on (occurred_at, id) follows the learner's index; the session's read
    transaction ends after each chunk, so a slow download holds no snapshot open.
    """
    table, chunk = TABLE, chunk or CHUNK
    last: tuple[datetime, int] | None = None
    while True:
        query = select(table).where(table.c.user_id == user_id)
        if last is not None:
            at, event_id = last
            query = query.where(
                or_(
                    table.c.occurred_at > at,
                    (table.c.occurred_at == at) & (table.c.id > event_id),
                )
            )
        query = query.order_by(table.c.occurred_at, table.c.id).limit(chunk)
        rows = session.connection().execute(query).all()
        session.commit()
        yield from rows
        if len(rows) < chunk:
            return
        last = (rows[-1].occurred_at, rows[-1].id)


def all_events(
    session: Session, since: datetime | None = None, chunk: int | None = None
) -> Iterator[Row[Any]]:
    """Every event (optionally from `since` on) with its learner's email and name, by id.

    Keyset pagination on the primary key, `chunk` (CHUNK) rows a query, so memory stays
    flat; the session's read transaction ends after each chunk.
    """
    table, chunk = TABLE, chunk or CHUNK
    last = 0
    while True:
        query = (
            select(table, User.email, User.name)
            .join(User, User.id == table.c.user_id)
            .where(table.c.id > last)
            .order_by(table.c.id)
            .limit(chunk)
        )
        if since is not None:
            query = query.where(table.c.occurred_at >= since)
        rows = session.connection().execute(query).all()
        session.commit()
        yield from rows
        if len(rows) < chunk:
            return
        last = rows[-1].id


def events_after(session: Session, last_id: int, limit: int) -> list[Row[Any]]:
    """Up to `limit` events after event `last_id`, by id, with their learner's email and
    name (the rows `stored_statements` takes); the read transaction ends with the query."""
    table = TABLE
    rows = (
        session.connection()
        .execute(
            select(table, User.email, User.name)
            .join(User, User.id == table.c.user_id)
            .where(table.c.id > last_id)
            .order_by(table.c.id)
            .limit(limit)
        )
        .all()
    )
    session.commit()
    return list(rows)


def event_words(verb: str, object_type: str) -> str:
    """What an event did, in the page's language: "Viewed lesson", "Passed quiz"."""
    found = EVENT_WORDS.get((verb, object_type))
    return str(found) if found is not None else f"{verb.capitalize()} {object_type}"


def parse_since(text: str) -> datetime:
    """An ISO 8601 date or date and time; without a zone it is taken as UTC.

    Raises ValueError with a message that can be shown as it is.
    """
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        message = _(
            "'since' must be an ISO 8601 date such as 2026-01-31 or 2026-01-31T08:00:00Z, "
            "not %(text)r.",
            text=text,
        )
        raise ValueError(message) from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def iso(at: datetime) -> str:
    """A timestamp as ISO 8601 in UTC with milliseconds: 2026-01-31T08:00:00.000Z."""
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def title(course: Course, object_type: str, object_id: str) -> str | None:
    """The current title of a logged object, or None if the course no longer has it."""
    if object_type == LESSON:
        module_slug, _slash, lesson_slug = object_id.partition("/")
        module = course.module(module_slug)
        index = module.lesson_index(lesson_slug) if module else None
        return module.lessons[index].title if module and index is not None else None
    if object_type == MODULE:
        module = course.module(object_id)
        return module.title if module else None
    if object_type == TRACK:
        track = course.track(object_id)
        return track.title if track else None
    if object_type == QUIZ:
        found = course.quiz(object_id)
        return found[1].title if found else None
    return None


def object_path(object_type: str, object_id: str) -> str:
    """The site path naming an object: lesson and module pages; quiz and track identifiers."""
    if object_type == LESSON:
        module_slug, _slash, lesson_slug = object_id.partition("/")
        return lesson_url(quote(module_slug), quote(lesson_slug))
    if object_type == MODULE:
        return module_url(quote(object_id))
    return f"/{'tracks' if object_type == TRACK else object_type}/{quote(object_id, safe='')}"


def _installation(base_url: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, base_url)


def statement_id(base_url: str, event_id: int) -> uuid.UUID:
    """A statement id from the site's URL and the event id (the secret key plays no part)."""
    return uuid.uuid5(_installation(base_url), f"activity-event/{event_id}")


def registration(base_url: str, user_id: int, track_slug: str) -> uuid.UUID:
    """The xAPI registration of a learner in a track: the same for all their events in it."""
    return uuid.uuid5(_installation(base_url), f"registration/{user_id}/{track_slug}")


def _activity(course: Course, base_url: str, object_type: str, object_id: str) -> dict[str, Any]:
    """An xAPI Activity: the IRI of the object's page, its title and its type."""
    return {
        "objectType": "Activity",
        "id": base_url.rstrip("/") + object_path(object_type, object_id),
        "definition": {
            "name": {LANGUAGE: title(course, object_type, object_id) or object_id},
            "type": ACTIVITY_TYPES[object_type],
        },
    }


def _context_of(
    course: Course, object_type: str, object_id: str
) -> tuple[list[tuple[str, str]], list[tuple[str, str]], str | None]:
    """Where an object sits: its parent, the wider groups it belongs to, and its track."""
    module_slug = ""
    parent: list[tuple[str, str]] = []
    if object_type == LESSON:
        module_slug = object_id.partition("/")[0]
        parent = [(MODULE, module_slug)]
    elif object_type == QUIZ:
        found = course.quiz(object_id)
        if found is not None:
            module_slug = found[0].slug
            parent = [(LESSON, lesson_key(module_slug, found[1].slug))]
    elif object_type == MODULE:
        module_slug = object_id
    elif object_type == TRACK:
        return [], [], object_id
    module = course.module(module_slug) if module_slug else None
    track = module.track if module is not None and module.track else None
    grouping = [(MODULE, module_slug)] if object_type == QUIZ and module is not None else []
    if track is not None:
        (parent if object_type == MODULE else grouping).append((TRACK, track))
    return parent, grouping, track


def statement(row: Row[Any], course: Course, base_url: str) -> dict[str, Any]:
    """One event as an xAPI 1.0.3 statement; `base_url` is the site's public URL.

    The context names the platform, the language, the object's parent and the module and
    track it belongs to, a registration per learner and track, and a quiz's attempt number.
    """
    verb_iri, verb_display = VERB_IRIS[row.verb]
    parent, grouping, track = _context_of(course, row.object_type, row.object_id)
    context: dict[str, Any] = {"platform": PLATFORM, "language": LANGUAGE}
    if track is not None:
        context["registration"] = str(registration(base_url, row.user_id, track))
    activities = {
        kind: [_activity(course, base_url, *found) for found in found_list]
        for kind, found_list in (("parent", parent), ("grouping", grouping))
        if found_list
    }
    if activities:
        context["contextActivities"] = activities
    attempt = (row.result or {}).get("attempt")
    if attempt is not None:
        context["extensions"] = {ATTEMPT_EXTENSION: attempt}
    found: dict[str, Any] = {
        "id": str(statement_id(base_url, row.id)),
        "actor": {"objectType": "Agent", "name": row.name, "mbox": f"mailto:{row.email}"},
        "verb": {"id": verb_iri, "display": {LANGUAGE: verb_display}},
        "object": _activity(course, base_url, row.object_type, row.object_id),
        "context": context,
        "timestamp": iso(row.occurred_at),
    }
    result = xapi_result(row.result)
    if result:
        found["result"] = result
    return found


def stored_statements(
    session: Session, rows: Sequence[Row[Any]], course: Course, base_url: str
) -> list[str]:
    """The stored statement (JSON text) of each event, building and storing missing ones.

    A statement is built once, from the course and account as they are then, and never
    again: later exports give the same bytes, so a record store that has it already sees the
    same statement. When two exports race, the first one stored wins and both return it.
    """
    missing = {
        row.id: json.dumps(
            statement(row, course, base_url), ensure_ascii=False, separators=(",", ":")
        )
        for row in rows
        if row.statement is None
    }
    if not missing:
        return [row.statement for row in rows]
    table = TABLE
    with write(session):
        session.execute(
            update(table)
            .where(table.c.id == bindparam("event_id"), table.c.statement.is_(None))
            .values(statement=bindparam("text")),
            [{"event_id": event_id, "text": text} for event_id, text in missing.items()],
        )
        found = session.execute(
            select(table.c.id, table.c.statement).where(table.c.id.in_(list(missing)))
        )
        stored: dict[int, str] = {event_id: text for event_id, text in found}
    return [row.statement if row.statement is not None else stored[row.id] for row in rows]


def xapi_result(result: Mapping[str, Any] | None) -> dict[str, Any]:
    """A quiz event's result in xAPI terms: the score scaled to 0..1 and success."""
    if not result:
        return {}
    found: dict[str, Any] = {}
    score = result.get("score")
    if score is not None:
        percent = min(max(float(score), 0.0), 100.0)
        found["score"] = {"scaled": round(percent / 100, 4), "raw": percent, "min": 0, "max": 100}
    if result.get("passed") is not None:
        found["success"] = bool(result["passed"])
    return found
