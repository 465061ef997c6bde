"""Cohort due dates: the date by which a cohort's members should finish a track or a module.

Every function takes a Session; the ones that change data own their write transaction. A
target is named `track:<slug>` or `module:<slug>` (the value of the admin form's choice). A
track is finished when every module of it is; a module when every required lesson is
complete (`cocourse.learning.progress`). The reminders (`send_reminders`) run as a scheduled
job and are idempotent through the notification keys, which name the due date, the date
itself (a changed date re-arms them) and which reminder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cocourse.content.model import Course, Module
from cocourse.db import upsert, write
from cocourse.learning import progress
from cocourse.models import Cohort, CohortDueDate, CohortMember, LessonCompletion, User, utcnow
from cocourse.notifications.kinds import DUE_SOON
from cocourse.notifications.services import Message, notify
from cocourse.web import i18n
from cocourse.web.i18n import speaking

TRACK, MODULE = "track", "module"
KINDS = (TRACK, MODULE)
# A due date is today or later, and at most this far ahead (a typo like 2207 is refused).
MAX_YEARS_AHEAD = 5
# Reminders: "7" when the date is 2 to 7 days away, "1" when it is today or tomorrow.
WEEK_BEFORE = range(2, 8)
DAY_BEFORE = range(0, 2)
# The report names at most this many overdue members per due date, then says how many more.
MAX_NAMES = 100


class DueDateError(ValueError):
    """A due date that cannot be set; the message says why, in words for the admin, and
    `field` which input it is about ("target" or "due_on")."""

    def __init__(self, message: str, field: str = "target") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Target:
    """A track or module of the course that a due date can be set on."""

    kind: str  # track, module
    slug: str
    title: str
    modules: tuple[Module, ...]

    @property
    def value(self) -> str:
        """The form's name for it: `track:basics`, `module:intro`."""
        return f"{self.kind}:{self.slug}"


def target(course: Course, kind: str, slug: str) -> Target | None:
    """The track or module a due date names, or None if the course has no such thing."""
    if kind == TRACK:
        track = course.track(slug)
        return None if track is None else Target(TRACK, slug, track.title, track.modules)
    if kind == MODULE:
        module = course.module(slug)
        return None if module is None else Target(MODULE, slug, module.title, (module,))
    return None


def parse_target(course: Course, value: str) -> Target:
    """The target of a form value like `module:intro`; DueDateError if there is none."""
    kind, _sep, slug = value.partition(":")
    found = target(course, kind, slug) if slug else None
    if found is None:
        raise DueDateError(_("Choose a track or a module of the course from the list."))
    return found


def choices(course: Course) -> dict[str, list[tuple[str, str]]]:
    """The tracks and the modules, grouped for a select with optgroups."""
    return {
        _("Tracks"): [(f"{TRACK}:{t.slug}", t.title) for t in course.tracks],
        _("Modules"): [(f"{MODULE}:{m.slug}", m.title) for m in course.modules],
    }


def parse_date(text: str | None) -> date:
    """A date typed or picked as YYYY-MM-DD; DueDateError if it is not one."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise DueDateError(_("Choose a date."), "due_on")
    try:
        if len(cleaned) != len("2027-01-12"):
            raise ValueError(cleaned)
        return date.fromisoformat(cleaned)
    except ValueError:
        raise DueDateError(
            _("This is not a date: write it as year-month-day, like 2027-01-12."), "due_on"
        ) from None


def latest(today: date) -> date:
    """The latest date a due date may be set to."""
    return _years_after(today, MAX_YEARS_AHEAD)


def check_date(due_on: date, today: date) -> date:
    """The date if it can be a due date: today or later, at most five years ahead."""
    if due_on < today:
        raise DueDateError(
            _(
                "%(date)s has passed: choose today (%(today)s) or a later date.",
                date=i18n.day(due_on),
                today=i18n.day(today),
            ),
            "due_on",
        )
    if due_on > latest(today):
        raise DueDateError(
            _(
                "%(date)s is more than %(years)s years away: check the year.",
                date=i18n.day(due_on),
                years=MAX_YEARS_AHEAD,
            ),
            "due_on",
        )
    return due_on


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def when_text(due_on: date, today: date, done: bool = False) -> str:
    """ "done", "due today", "3 days left", "1 day overdue"."""
    if done:
        return str(_("done"))
    days = (due_on - today).days
    if days == 0:
        return str(_("due today"))
    if days > 0:
        return str(ngettext("%(num)d day left", "%(num)d days left", days))
    return str(ngettext("%(num)d day overdue", "%(num)d days overdue", -days))


# Setting, removing and listing a cohort's due dates


def set_due_date(
    session: Session, course: Course, cohort_id: int, value: str, due_on: date, today: date
) -> tuple[CohortDueDate, date | None]:
    """Set (or change) the date by which a cohort should finish a track or module.

    Returns the due date and the date it had before (None: new). Raises DueDateError for a
    target the course does not have or a date in the past or too far ahead. One statement
    inserts or updates, so two admins setting the same target at once make one row.
    """
    found = parse_target(course, value)
    check_date(due_on, today)
    table = CohortDueDate.__table__
    try:
        return _upsert(session, table, cohort_id, found, due_on)
    except IntegrityError:  # the cohort was deleted between the check and the insert
        raise DueDateError(_("There is no such cohort.")) from None


def _upsert(
    session: Session, table: Any, cohort_id: int, found: Target, due_on: date
) -> tuple[CohortDueDate, date | None]:
    with write(session):
        if session.get(Cohort, cohort_id) is None:
            raise DueDateError(_("There is no such cohort."))
        before = session.scalar(
            select(CohortDueDate.due_on).where(
                CohortDueDate.cohort_id == cohort_id,
                CohortDueDate.target_kind == found.kind,
                CohortDueDate.target_slug == found.slug,
            )
        )
        statement = upsert(session)(table).values(
            cohort_id=cohort_id,
            target_kind=found.kind,
            target_slug=found.slug,
            due_on=due_on,
            created_at=utcnow(),
        )
        due_id = session.execute(
            statement.on_conflict_do_update(
                index_elements=["cohort_id", "target_kind", "target_slug"],
                set_={"due_on": statement.excluded.due_on},
            ).returning(table.c.id)
        ).scalar_one()
        saved = session.get(CohortDueDate, due_id, populate_existing=True)
    assert saved is not None  # written in this transaction
    return saved, before


def remove_due_date(session: Session, cohort_id: int, due_id: int) -> CohortDueDate | None:
    """Remove one of a cohort's due dates; the removed row, or None if it was not there."""
    with write(session):
        found = session.get(CohortDueDate, due_id)
        if found is None or found.cohort_id != cohort_id:
            return None
        session.delete(found)
    return found


def cohort_due_dates(session: Session, cohort_id: int) -> list[CohortDueDate]:
    """A cohort's due dates, soonest first."""
    return list(
        session.scalars(
            select(CohortDueDate)
            .where(CohortDueDate.cohort_id == cohort_id)
            .order_by(CohortDueDate.due_on, CohortDueDate.id)
        )
    )


@dataclass(frozen=True)
class DueRow:
    """A due date with its target (None: the course no longer has that track or module)."""

    due: CohortDueDate
    target: Target | None

    @property
    def title(self) -> str:
        """The target's title, or its slug when the course lost it."""
        return self.target.title if self.target else self.due.target_slug


def rows(course: Course, found: Iterable[CohortDueDate]) -> list[DueRow]:
    """Due dates with their targets, for a page."""
    return [DueRow(due, target(course, due.target_kind, due.target_slug)) for due in found]


# Who is finished


def finished(standing: progress.Standing, found: Target) -> bool:
    """Whether the learner of `standing` finished every module of the target."""
    return all(standing.finished(module) for module in found.modules)


def left_to_do(standing: progress.Standing, found: Target) -> list[str]:
    """The target's unfinished modules, with how far the learner is: "Intro (1 of 2 lessons)"."""
    left = []
    for module in found.modules:
        if not standing.finished(module):
            done, total = standing.count(module)
            left.append(
                _(
                    "%(module)s (%(done)s of %(total)s lessons)",
                    module=module.title,
                    done=done,
                    total=total,
                )
            )
    return left


def completions(
    session: Session, cohort_id: int, module_slugs: Sequence[str]
) -> dict[int, progress.Done]:
    """The completed lessons of a cohort's members in these modules, by user (one query)."""
    found: dict[int, dict[str, set[str]]] = {}
    if module_slugs:
        members = select(CohortMember.user_id).where(CohortMember.cohort_id == cohort_id)
        result = session.execute(
            select(
                LessonCompletion.user_id, LessonCompletion.module_slug, LessonCompletion.lesson_slug
            ).where(
                LessonCompletion.user_id.in_(members),
                LessonCompletion.module_slug.in_(sorted(set(module_slugs))),
            )
        )
        for user_id, module_slug, lesson_slug in result:
            found.setdefault(user_id, {}).setdefault(module_slug, set()).add(lesson_slug)
    return {
        user_id: {slug: frozenset(lessons) for slug, lessons in modules.items()}
        for user_id, modules in found.items()
    }


def cohort_members(session: Session, cohort_id: int, *, active_only: bool = False) -> list[User]:
    """Every member of a cohort by name (one query)."""
    query = (
        select(User)
        .join(CohortMember, CohortMember.user_id == User.id)
        .where(CohortMember.cohort_id == cohort_id)
        .order_by(User.name, User.id)
    )
    if active_only:
        query = query.where(User.deactivated_at.is_(None))
    return list(session.scalars(query))


# A learner's due dates, on the dashboard


@dataclass(frozen=True)
class LearnerDue:
    """One due date of a learner: through which cohort, and whether they are done."""

    due: CohortDueDate
    cohort: Cohort
    target: Target
    done: bool

    def when(self, today: date) -> str:
        """ "done", "3 days left", "due today", "2 days overdue"."""
        return when_text(self.due.due_on, today, self.done)

    def overdue(self, today: date) -> bool:
        """The date has passed and the learner has not finished."""
        return not self.done and self.due.due_on < today


def for_learner(session: Session, course: Course, user_id: int) -> list[LearnerDue]:
    """The due dates of the learner's cohorts, soonest first (two queries); due dates on
    tracks or modules the course no longer has are left out."""
    found = session.execute(
        select(CohortDueDate, Cohort)
        .join(Cohort, Cohort.id == CohortDueDate.cohort_id)
        .join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .where(CohortMember.user_id == user_id)
        .order_by(CohortDueDate.due_on, Cohort.name, CohortDueDate.id)
    ).all()
    if not found:
        return []
    standing = progress.Standing(course, progress.completed(session, user_id))
    result = []
    for due, cohort in found:
        aim = target(course, due.target_kind, due.target_slug)
        if aim is not None:
            result.append(LearnerDue(due, cohort, aim, finished(standing, aim)))
    return result


# Overdue members, for the cohort report


@dataclass(frozen=True)
class Overdue:
    """A due date that has passed, and the members who have not finished its target."""

    row: DueRow
    late: tuple[User, ...]  # at most MAX_NAMES, by name
    late_count: int
    members: int

    @property
    def more(self) -> int:
        """How many late members are not named."""
        return self.late_count - len(self.late)


def overdue(session: Session, course: Course, cohort_id: int, today: date) -> list[Overdue]:
    """Each due date of the cohort that has passed, with who has not finished its target.

    A bounded number of queries however many members and due dates: the due dates, the
    members, and their completions in the modules concerned.
    """
    passed = [
        row
        for row in rows(course, cohort_due_dates(session, cohort_id))
        if row.due.due_on < today and row.target is not None
    ]
    if not passed:
        return []
    people = cohort_members(session, cohort_id)
    slugs = [m.slug for row in passed if row.target for m in row.target.modules]
    done = completions(session, cohort_id, slugs)
    standings = {p.id: progress.Standing(course, done.get(p.id, {})) for p in people}
    result = []
    for row in passed:
        assert row.target is not None
        late = [p for p in people if not finished(standings[p.id], row.target)]
        result.append(Overdue(row, tuple(late[:MAX_NAMES]), len(late), len(people)))
    return result


# Reminders (a scheduled job)


def reminder(days: int) -> str | None:
    """Which reminder a due date this many days away gets: "7", "1", or None."""
    if days in WEEK_BEFORE:
        return "7"
    if days in DAY_BEFORE:
        return "1"
    return None


def reminder_key(due: CohortDueDate, which: str) -> str:
    """The notification key: the due date, its date (a new date re-arms) and the reminder."""
    return f"due:{due.id}:{due.due_on.isoformat()}:{which}"


def _due_title(found: Target, due_on: date, days: int) -> str:
    values = {"title": found.title, "date": i18n.day(due_on)}
    if days == 0:
        return str(_("%(title)s is due today (%(date)s)", **values))
    if days == 1:
        return str(_("%(title)s is due tomorrow (%(date)s)", **values))
    return str(
        ngettext(
            "%(title)s is due in %(num)d day (%(date)s)",
            "%(title)s is due in %(num)d days (%(date)s)",
            days,
            **values,
        )
    )


def reminder_message(
    cohort: Cohort, found: Target, due_on: date, days: int, left: Sequence[str], url: str
) -> Message:
    """What a reminder says (in the language of the page, or of `force_locale`)."""
    values = {
        "cohort": cohort.name,
        "title": found.title,
        "date": i18n.day(due_on),
        "left": "; ".join(left),
    }
    if found.kind == TRACK:
        body = _(
            "Your cohort %(cohort)s aims to finish the track %(title)s by %(date)s. "
            "Left to do: %(left)s.",
            **values,
        )
    else:
        body = _(
            "Your cohort %(cohort)s aims to finish the module %(title)s by %(date)s. "
            "Left to do: %(left)s.",
            **values,
        )
    return Message(_due_title(found, due_on, days), body, url)


def send_reminders(
    session: Session, course: Course, now: datetime, link: Callable[[Target], str]
) -> int:
    """Remind the active members who have not finished of the due dates 7 days and 1 day
    away; how many were reminded. One write transaction per due date; running again
    reminds nobody twice (the notification keys)."""
    today = now.date()
    upcoming = session.execute(
        select(CohortDueDate, Cohort)
        .join(Cohort, Cohort.id == CohortDueDate.cohort_id)
        .where(
            CohortDueDate.due_on >= today,
            CohortDueDate.due_on <= today + timedelta(days=max(WEEK_BEFORE)),
        )
        .order_by(CohortDueDate.due_on, CohortDueDate.id)
    ).all()
    sent = 0
    for due, cohort in upcoming:
        aim = target(course, due.target_kind, due.target_slug)
        days = (due.due_on - today).days
        which = reminder(days)
        if aim is None or which is None:
            continue
        sent += _remind(session, course, due, cohort, aim, days, which, link(aim))
    return sent


def _remind(
    session: Session,
    course: Course,
    due: CohortDueDate,
    cohort: Cohort,
    aim: Target,
    days: int,
    which: str,
    url: str,
) -> int:
    key = reminder_key(due, which)
    count = 0
    with write(session):
        people = cohort_members(session, cohort.id, active_only=True)
        done = completions(session, cohort.id, [m.slug for m in aim.modules])
        for person in people:
            standing = progress.Standing(course, done.get(person.id, {}))
            if finished(standing, aim):
                continue
            # In the member's language (the job has no request to take one from).
            with speaking(person.language):
                message = reminder_message(
                    cohort, aim, due.due_on, days, left_to_do(standing, aim), url
                )
            count += notify(session, person, DUE_SOON, key, message)
    return count
