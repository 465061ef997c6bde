"""Workshops: scheduling with an agenda, seats with a waiting list, guests by email, and the
messages (with calendar invitations) that each change sends.

Every change runs in one write transaction that first locks the workshop row, so seats are
counted by one transaction at a time: twenty people taking the last seat at once get one
seat and nineteen places on the waiting list. Messages are queued in the same transaction
(`cocourse.mail.outbox.queue`), so they exist exactly when the change commits.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy import update as sa_update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cocourse.content.workshop_kit import KINDS, Block
from cocourse.db import write
from cocourse.mail.outbox import queue, sender
from cocourse.models import (
    Certificate,
    Portfolio,
    Role,
    User,
    Workshop,
    WorkshopHost,
    WorkshopSeat,
)
from cocourse.web.i18n import speaking
from cocourse.web.urls import external_path
from cocourse.workshops import calendar

SCHEDULED, CANCELLED = "scheduled", "cancelled"
CONFIRMED, WAITING, LEFT = "confirmed", "waiting", "cancelled"
MIN_MINUTES, MAX_MINUTES = 15, 8 * 60
MAX_CAPACITY = 500
MAX_HOSTS = 5
LONGEST_AHEAD = timedelta(days=2 * 366)
OPEN_PORTFOLIO = ("draft", "submitted", "changes-requested")
_AGENDA_LINE = re.compile(r"^\s*(\d{1,3})\s*(?:min(?:utes?)?\.?)?\s*[-–:|]?\s*(.+?)\s*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class WorkshopError(ValueError):
    """A change that cannot be made; the message says why, for the person who asked."""


@dataclass(frozen=True)
class Plan:
    """What a facilitator fills in to schedule (or change) a workshop."""

    kind: str
    title: str
    purpose: str
    day: date
    start: time
    minutes: int
    timezone: str
    place: str
    video_url: str
    capacity: int
    agenda: tuple[Block, ...]
    template: str = ""
    opportunity_id: int | None = None
    hosts: tuple[str, ...] = ()  # co-facilitators' emails


# The agenda as text: one block per line, minutes first ("15 Check-in and purpose").


def parse_agenda(text: str) -> tuple[Block, ...]:
    """The blocks of an agenda typed one per line as `minutes title`."""
    blocks = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        found = _AGENDA_LINE.match(line)
        if not found or int(found.group(1)) < 1:
            raise WorkshopError(
                _(
                    "Agenda line %(number)s: start with the minutes, then the title "
                    "(for example “15 Check-in and purpose”).",
                    number=number,
                )
            )
        blocks.append(Block(found.group(2)[:200], int(found.group(1))))
    return tuple(blocks)


def agenda_text(blocks: Iterable[Block | dict[str, Any]]) -> str:
    """An agenda as the form shows it, one block per line."""
    lines = []
    for block in blocks:
        title, minutes = (
            (block["title"], block["minutes"])
            if isinstance(block, dict)
            else (block.title, block.minutes)
        )
        lines.append(f"{minutes} {title}")
    return "\n".join(lines)


# Who may do what


def may_facilitate(session: Session, user: User, today: date) -> bool:
    """Admins, holders of a current certificate, and trainees with an open portfolio (for
    their practicum) may schedule workshops."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.role == Role.ADMIN.value:
        return True
    certified = select(Certificate.id).where(
        Certificate.user_id == user.id,
        Certificate.revoked_at.is_(None),
        Certificate.superseded_at.is_(None),
        Certificate.expires_on >= today,
    )
    training = select(Portfolio.id).where(
        Portfolio.user_id == user.id, Portfolio.status.in_(OPEN_PORTFOLIO)
    )
    return (
        session.scalar(certified.limit(1)) is not None
        or session.scalar(training.limit(1)) is not None
    )


def hosts_of(session: Session, workshop_id: int) -> list[User]:
    """The co-facilitators of a workshop, by name."""
    query = (
        select(User)
        .join(WorkshopHost, WorkshopHost.user_id == User.id)
        .where(WorkshopHost.workshop_id == workshop_id)
        .order_by(User.name)
    )
    return list(session.scalars(query))


def may_manage(session: Session, workshop: Workshop, user: User) -> bool:
    """The facilitator, a co-facilitator or an admin."""
    if not user.is_authenticated:
        return False
    if user.role == Role.ADMIN.value or workshop.facilitator_id == user.id:
        return True
    return any(host.id == user.id for host in hosts_of(session, workshop.id))


# Times


def zone(name: str) -> ZoneInfo:
    """A time zone by its IANA name, or WorkshopError."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise WorkshopError(
            _(
                "“%(name)s” is not a time zone; use a name such as Europe/Brussels or UTC.",
                name=name,
            )
        ) from None


def starts_at(plan: Plan) -> datetime:
    """The start in UTC, from the local date and time in the plan's zone; a local time that
    does not exist that day (clocks moved forward) is refused."""
    local = datetime.combine(plan.day, plan.start, tzinfo=zone(plan.timezone))
    utc = local.astimezone(ZoneInfo("UTC"))
    if utc.astimezone(local.tzinfo).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise WorkshopError(
            _(
                "%(time)s does not exist on %(date)s in %(zone)s "
                "(the clocks move forward that night); choose another time.",
                time=plan.start.strftime("%H:%M"),
                date=in_words(plan.day, "dd MMMM y"),
                zone=plan.timezone,
            )
        )
    return utc


def local_start(workshop: Workshop) -> datetime:
    """When the workshop starts, in the zone it was scheduled in."""
    return workshop.starts_at.astimezone(zone(workshop.timezone))


def ends_at(workshop: Workshop) -> datetime:
    """When the workshop ends (UTC)."""
    return workshop.starts_at + timedelta(minutes=workshop.duration_minutes)


def when(workshop: Workshop) -> str:
    """The date and times in words, in the workshop's zone."""
    start = local_start(workshop)
    end = start + timedelta(minutes=workshop.duration_minutes)
    day = in_words(start.date(), "EEEE dd MMMM y")
    return f"{day}, {start:%H:%M}–{end:%H:%M} ({workshop.timezone})"


def in_words(day: date, pattern: str) -> str:
    """A date with the names of days and months in the current language (a Babel pattern:
    "EEEE dd MMMM y" reads "Saturday 05 December 2026" in English)."""
    return str(format_date(day, pattern))


# Scheduling


def _check(plan: Plan, now: datetime) -> datetime:
    """The plan's start in UTC, once everything in it is acceptable."""
    if plan.kind not in KINDS:
        raise WorkshopError(_("Choose the kind of workshop."))
    if not 3 <= len(plan.title.strip()) <= 200:
        raise WorkshopError(_("Give the workshop a title of 3 to 200 characters."))
    if len(plan.purpose) > 4000:
        raise WorkshopError(_("Keep the purpose under 4000 characters."))
    if not MIN_MINUTES <= plan.minutes <= MAX_MINUTES:
        raise WorkshopError(
            _(
                "A workshop lasts %(least)s to %(most)s minutes.",
                least=MIN_MINUTES,
                most=MAX_MINUTES,
            )
        )
    if not 1 <= plan.capacity <= MAX_CAPACITY:
        raise WorkshopError(_("Capacity is 1 to %(most)s people.", most=MAX_CAPACITY))
    if not plan.place.strip() and not plan.video_url.strip():
        raise WorkshopError(_("Say where it happens: a place, a video link, or both."))
    if plan.video_url and not plan.video_url.startswith(("https://", "http://")):
        raise WorkshopError(_("The video link must start with https:// (or http://)."))
    if not plan.agenda:
        raise WorkshopError(_("Write the agenda: one block per line, minutes first."))
    total = sum(block.minutes for block in plan.agenda)
    if total != plan.minutes:
        if total > plan.minutes:
            problem = _(
                "The agenda adds up to %(total)s minutes but the workshop lasts %(minutes)s: "
                "it runs over. Change a block or the length.",
                total=total,
                minutes=plan.minutes,
            )
        else:
            problem = _(
                "The agenda adds up to %(total)s minutes but the workshop lasts %(minutes)s: "
                "it leaves time unplanned. Change a block or the length.",
                total=total,
                minutes=plan.minutes,
            )
        raise WorkshopError(problem)
    start = starts_at(plan)
    if start <= now:
        raise WorkshopError(_("Choose a date and time in the future."))
    if start > now + LONGEST_AHEAD:
        raise WorkshopError(_("Schedule at most two years ahead."))
    return start


def _hosts(session: Session, emails: Iterable[str], facilitator_id: int | None) -> list[User]:
    """The co-facilitators named by email: accounts that exist and are active."""
    found: list[User] = []
    for email in emails:
        address = email.strip().lower()
        if not address:
            continue
        user = session.scalar(select(User).where(func.lower(User.email) == address))
        if user is None or not user.is_active:
            raise WorkshopError(_("No active account has the email %(email)s.", email=address))
        if user.id != facilitator_id and user not in found:
            found.append(user)
    if len(found) > MAX_HOSTS:
        raise WorkshopError(_("Name at most %(most)s co-facilitators.", most=MAX_HOSTS))
    return found


def _double_booked(
    session: Session, people: Sequence[User], start: datetime, minutes: int, other_than: int | None
) -> None:
    """Refuse when a facilitator already runs a workshop that overlaps this time."""
    ids = [person.id for person in people]
    end = start + timedelta(minutes=minutes)
    hosting = select(WorkshopHost.workshop_id).where(WorkshopHost.user_id.in_(ids))
    query = select(Workshop).where(
        Workshop.status == SCHEDULED,
        Workshop.starts_at < end,
        Workshop.starts_at > start - timedelta(minutes=MAX_MINUTES),
        or_(Workshop.facilitator_id.in_(ids), Workshop.id.in_(hosting)),
    )
    if other_than is not None:
        query = query.where(Workshop.id != other_than)
    for workshop in session.scalars(query):
        if ends_at(workshop) > start:
            raise WorkshopError(
                _(
                    "That overlaps “%(title)s” (%(when)s), which "
                    "a facilitator of this workshop also runs.",
                    title=workshop.title,
                    when=when(workshop),
                )
            )


def schedule(session: Session, user: User, plan: Plan, now: datetime) -> Workshop:
    """Schedule a workshop led by `user`."""
    start = _check(plan, now)
    with write(session):
        if not may_facilitate(session, user, now.date()):
            raise PermissionError("only facilitators, trainees and admins schedule workshops")
        facilitator = session.get(User, user.id)
        assert facilitator is not None
        hosts = _hosts(session, plan.hosts, user.id)
        _double_booked(session, [facilitator, *hosts], start, plan.minutes, None)
        workshop = Workshop(facilitator_id=user.id, status=SCHEDULED, sequence=0, created_at=now)
        _apply(workshop, plan, start, now)
        session.add(workshop)
        session.flush()
        session.add_all(WorkshopHost(workshop_id=workshop.id, user_id=h.id) for h in hosts)
    return workshop


def _apply(workshop: Workshop, plan: Plan, start: datetime, now: datetime) -> None:
    workshop.kind = plan.kind
    workshop.title = plan.title.strip()
    workshop.purpose = plan.purpose.strip()
    workshop.starts_at = start
    workshop.duration_minutes = plan.minutes
    workshop.timezone = plan.timezone.strip()
    workshop.place = plan.place.strip()
    workshop.video_url = plan.video_url.strip()
    workshop.capacity = plan.capacity
    workshop.template = plan.template
    workshop.opportunity_id = plan.opportunity_id
    workshop.agenda = [{"title": b.title, "minutes": b.minutes} for b in plan.agenda]
    workshop.updated_at = now


def plan_of(session: Session, workshop: Workshop) -> Plan:
    """A workshop as the scheduling form shows it."""
    start = local_start(workshop)
    return Plan(
        kind=workshop.kind,
        title=workshop.title,
        purpose=workshop.purpose,
        day=start.date(),
        start=start.time().replace(tzinfo=None),
        minutes=workshop.duration_minutes,
        timezone=workshop.timezone,
        place=workshop.place,
        video_url=workshop.video_url,
        capacity=workshop.capacity,
        agenda=tuple(Block(b["title"], int(b["minutes"])) for b in workshop.agenda),
        template=workshop.template,
        opportunity_id=workshop.opportunity_id,
        hosts=tuple(host.email for host in hosts_of(session, workshop.id)),
    )


def locked(session: Session, workshop_id: int) -> Workshop:
    """The workshop, locked for this transaction (on PostgreSQL; SQLite's writer lock
    already serializes writers); LookupError when there is none."""
    found = session.get(Workshop, workshop_id, with_for_update=True, populate_existing=True)
    if found is None:
        raise LookupError(workshop_id)
    return found


def update(session: Session, workshop_id: int, user: User, plan: Plan, now: datetime) -> Workshop:
    """Change a workshop; everyone with a seat gets the update in their calendar."""
    start = _check(plan, now)
    with write(session):
        workshop = locked(session, workshop_id)
        if not may_manage(session, workshop, user):
            raise LookupError(workshop_id)
        if workshop.status != SCHEDULED:
            raise WorkshopError(_("This workshop is cancelled; schedule a new one instead."))
        confirmed = _count(session, workshop.id, CONFIRMED)
        if plan.capacity < confirmed:
            raise WorkshopError(
                _(
                    "%(count)s people have a seat, so the capacity cannot go below %(count)s.",
                    count=confirmed,
                )
            )
        lead = session.get(User, workshop.facilitator_id) if workshop.facilitator_id else None
        hosts = _hosts(session, plan.hosts, workshop.facilitator_id)
        _double_booked(
            session, [*([lead] if lead else []), *hosts], start, plan.minutes, workshop.id
        )
        moved = start != workshop.starts_at or plan.minutes != workshop.duration_minutes
        _apply(workshop, plan, start, now)
        workshop.sequence += 1
        session.query(WorkshopHost).filter_by(workshop_id=workshop.id).delete()
        session.add_all(WorkshopHost(workshop_id=workshop.id, user_id=h.id) for h in hosts)
        session.flush()
        if moved:  # a new time: tomorrow's reminder is due again
            for seat in seats_with(session, workshop.id, CONFIRMED):
                seat.reminded_at = None
        for seat in seats_with(session, workshop.id, CONFIRMED):
            _send(session, workshop, seat, "updated", calendar.REQUEST, now)
        _promote(session, workshop, now)
    return workshop


def cancel(session: Session, workshop_id: int, user: User, reason: str, now: datetime) -> Workshop:
    """Cancel a workshop: everyone with a seat or on the waiting list is told, and the event
    leaves their calendars. The seats stay, for the record."""
    if len(reason) > 1000:
        raise WorkshopError(_("Keep the reason under 1000 characters."))
    with write(session):
        workshop = locked(session, workshop_id)
        if not may_manage(session, workshop, user):
            raise LookupError(workshop_id)
        if workshop.status == CANCELLED:
            raise WorkshopError(_("This workshop is already cancelled."))
        workshop.status = CANCELLED
        workshop.cancelled_at = now
        workshop.sequence += 1
        workshop.updated_at = now
        for seat in seats_with(session, workshop.id, CONFIRMED, WAITING):
            _send(session, workshop, seat, "cancelled", calendar.CANCEL, now, why=reason)
    return workshop


# Seats


def _count(session: Session, workshop_id: int, status: str) -> int:
    query = select(func.count()).where(
        WorkshopSeat.workshop_id == workshop_id, WorkshopSeat.status == status
    )
    return int(session.scalar(query) or 0)


def seats_with(session: Session, workshop_id: int, *statuses: str) -> list[WorkshopSeat]:
    query = (
        select(WorkshopSeat)
        .where(WorkshopSeat.workshop_id == workshop_id, WorkshopSeat.status.in_(statuses))
        .order_by(WorkshopSeat.created_at, WorkshopSeat.id)
    )
    return list(session.scalars(query))


def seats(session: Session, workshop_id: int) -> list[WorkshopSeat]:
    """Everyone with a seat or on the waiting list, in the order they came."""
    return seats_with(session, workshop_id, CONFIRMED, WAITING)


def counts(session: Session, workshop_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Confirmed and waiting seats per workshop (one query)."""
    found: dict[int, dict[str, int]] = {i: {CONFIRMED: 0, WAITING: 0} for i in workshop_ids}
    if not workshop_ids:
        return found
    rows = session.execute(
        select(WorkshopSeat.workshop_id, WorkshopSeat.status, func.count())
        .where(WorkshopSeat.workshop_id.in_(workshop_ids), WorkshopSeat.status != LEFT)
        .group_by(WorkshopSeat.workshop_id, WorkshopSeat.status)
    )
    for workshop_id, status, count in rows:
        found[workshop_id][status] = int(count)
    return found


def _open_for_seats(workshop: Workshop, now: datetime) -> None:
    if workshop.status != SCHEDULED:
        raise WorkshopError(_("This workshop is cancelled."))
    if ends_at(workshop) <= now:
        raise WorkshopError(_("This workshop is over."))


def _take(session: Session, workshop: Workshop, seat: WorkshopSeat, now: datetime) -> None:
    """Give a seat if one is free, else a place on the waiting list; send the message."""
    free = _count(session, workshop.id, CONFIRMED) < workshop.capacity
    seat.status = CONFIRMED if free else WAITING
    seat.created_at = now
    session.flush()
    if free:
        _send(session, workshop, seat, "invitation", calendar.REQUEST, now)
    else:
        _send(session, workshop, seat, "waiting", None, now)


def sign_up(session: Session, workshop_id: int, user: User, now: datetime) -> WorkshopSeat:
    """Take a seat (or a place on the waiting list) for oneself."""
    try:
        with write(session):
            workshop = locked(session, workshop_id)
            _open_for_seats(workshop, now)
            seat = session.scalar(
                select(WorkshopSeat).where(
                    WorkshopSeat.workshop_id == workshop.id, WorkshopSeat.user_id == user.id
                )
            )
            if seat is not None and seat.status != LEFT:
                raise WorkshopError(_("You are signed up already."))
            if seat is None:
                seat = WorkshopSeat(
                    workshop_id=workshop.id, user_id=user.id, name=user.name, status=WAITING
                )
                session.add(seat)
            _take(session, workshop, seat, now)
    except IntegrityError:  # the same person twice at the same moment
        raise WorkshopError(_("You are signed up already.")) from None
    return seat


def clean_address(email: str) -> str:
    """An email address as typed, checked and lower-cased (WorkshopError if it is none)."""
    address = parseaddr(email.strip())[1].lower()
    if not EMAIL.match(address) or len(address) > 254:
        raise WorkshopError(_("Write a valid email address."))
    return address


def seat_for(
    session: Session, workshop: Workshop, by: User, name: str, address: str, missing_name: str
) -> tuple[WorkshopSeat, bool]:
    """The seat at `workshop` of the person with this (clean) address: their account's if
    they have one, else a guest's with a personal link; made (waiting, until the caller
    decides) when there is none. True when it was made; `missing_name` is the message for a
    guest without a name."""
    account = session.scalar(select(User).where(func.lower(User.email) == address))
    if account is not None and not account.is_active:
        raise WorkshopError(_("The account of %(email)s is deactivated.", email=address))
    mine = (
        WorkshopSeat.user_id == account.id
        if account is not None
        else WorkshopSeat.guest_email == address
    )
    seat = session.scalar(select(WorkshopSeat).where(WorkshopSeat.workshop_id == workshop.id, mine))
    if seat is not None:
        return seat, False
    name = " ".join(name.split())[:120]
    if account is None and not name:
        raise WorkshopError(missing_name)
    seat = WorkshopSeat(
        workshop_id=workshop.id,
        user_id=account.id if account else None,
        guest_email=None if account else address,
        name=account.name if account else name,
        invited_by_id=by.id,
        status=WAITING,
    )
    session.add(seat)
    session.flush()
    if account is None:
        seat.token_hash = hash_token(guest_token(seat))
    return seat, True


def invite(
    session: Session, workshop_id: int, inviter: User, name: str, email: str, now: datetime
) -> WorkshopSeat:
    """Give a colleague (by their account's email) or a guest a seat, or a place on the
    waiting list; a guest needs no account and gets a personal link."""
    address = clean_address(email)
    try:
        with write(session):
            workshop = locked(session, workshop_id)
            if not may_manage(session, workshop, inviter):
                raise LookupError(workshop_id)
            _open_for_seats(workshop, now)
            seat, made = seat_for(
                session, workshop, inviter, name, address, _("Write the guest's name.")
            )
            if not made and seat.status != LEFT:
                raise WorkshopError(_("%(name)s is on the list already.", name=seat.name))
            _take(session, workshop, seat, now)
    except IntegrityError:
        raise WorkshopError(_("That person is on the list already.")) from None
    return seat


def leave(session: Session, seat_id: int, now: datetime) -> WorkshopSeat:
    """Give up a seat or a place on the waiting list; the first person waiting moves up.
    The caller checks that the seat is the person's own (or that they manage it)."""
    with write(session):
        seat = session.get(WorkshopSeat, seat_id, populate_existing=True)
        if seat is None:
            raise LookupError(seat_id)
        workshop = locked(session, seat.workshop_id)
        if seat.status == LEFT:
            raise WorkshopError(_("That place was given up already."))
        if workshop.status != SCHEDULED or ends_at(workshop) <= now:
            raise WorkshopError(_("This workshop is cancelled or over."))
        had_seat = seat.status == CONFIRMED
        seat.status = LEFT
        if had_seat:
            _send(session, workshop, seat, "left", calendar.CANCEL, now)
        session.flush()
        _promote(session, workshop, now)
    return seat


def _promote(session: Session, workshop: Workshop, now: datetime) -> None:
    """Move people up from the waiting list while seats are free."""
    free = workshop.capacity - _count(session, workshop.id, CONFIRMED)
    for seat in seats_with(session, workshop.id, WAITING)[: max(free, 0)]:
        seat.status = CONFIRMED
        _send(session, workshop, seat, "moved-up", calendar.REQUEST, now)


def my_seat(session: Session, workshop_id: int, user_id: int) -> WorkshopSeat | None:
    """A person's seat or waiting place at a workshop (None if they gave it up or never had
    one)."""
    return session.scalar(
        select(WorkshopSeat).where(
            WorkshopSeat.workshop_id == workshop_id,
            WorkshopSeat.user_id == user_id,
            WorkshopSeat.status != LEFT,
        )
    )


# Guests' links


def guest_token(seat: WorkshopSeat) -> str:
    """The secret in a guest's personal link: derived from the app's secret key and the
    seat, so every message can carry the same link without storing it."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    message = f"workshop-seat:{seat.id}:{seat.workshop_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:40]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def seat_by_token(session: Session, token: str) -> WorkshopSeat | None:
    """A guest's seat by the token in their link (None for anything else)."""
    if not re.fullmatch(r"[0-9a-f]{40}", token):
        return None
    return session.scalar(select(WorkshopSeat).where(WorkshopSeat.token_hash == hash_token(token)))


def link_for(seat: WorkshopSeat) -> str:
    """Where a person with a seat sees the workshop: its page, or a guest's own link."""
    if seat.user_id is None:
        return external_path(f"/w/{guest_token(seat)}")
    return external_path(f"/workshops/{seat.workshop_id}")


# Messages


def address_of(session: Session, seat: WorkshopSeat) -> tuple[str, str] | None:
    """(name, email) of the person holding a seat; None for a deactivated account."""
    if seat.user_id is None:
        return (seat.name, seat.guest_email or "")
    user = session.get(User, seat.user_id)
    if user is None or not user.is_active:
        return None
    return (user.name, user.email)


def _send(
    session: Session,
    workshop: Workshop,
    seat: WorkshopSeat,
    event: str,
    method: str | None,
    now: datetime,
    **extra: Any,
) -> None:
    """Queue one message about a workshop for one seat (`event` says which: invitation,
    waiting, updated, cancelled, left, moved-up, reminder), with the calendar object."""
    person = address_of(session, seat)
    if person is None:
        return
    link = link_for(seat)
    ics = None
    if method is not None:
        organizer = parseaddr(sender(current_app))
        domain = organizer[1].rpartition("@")[2] or "localhost"
        ics = calendar.invitation(
            workshop,
            domain=domain,
            organizer=(organizer[0] or str(current_app.config["ISSUER_NAME"]), organizer[1]),
            attendee=person,
            link=link,
            method=method,
            now=now,
        )
    with in_language_of(session, seat):
        context = {
            "event": event,
            "name": person[0],
            "workshop": workshop,
            "when": when(workshop),
            "link": link,
            "agenda": workshop.agenda,
            **extra,
        }
        queue(session, person[1], "workshop", context, calendar=ics)


def in_language_of(session: Session, seat: WorkshopSeat) -> AbstractContextManager[Any]:
    """Messages to a person with an account in the language they chose; a guest's (and
    those of people who chose none) in the language of the request or job that sends them."""
    user = session.get(User, seat.user_id) if seat.user_id is not None else None
    return speaking(user.language if user is not None else None)


def remind(session: Session, now: datetime) -> int:
    """The day before: a reminder to everyone with a seat at a workshop starting within 24
    hours. A seat is reminded once (a conditional update marks it), however often this runs."""
    told = 0
    soon = select(Workshop.id).where(
        Workshop.status == SCHEDULED,
        Workshop.starts_at > now,
        Workshop.starts_at <= now + timedelta(hours=24),
    )
    for workshop_id in list(session.scalars(soon)):
        with write(session):
            workshop = locked(session, workshop_id)
            for seat in seats_with(session, workshop.id, CONFIRMED):
                marked = session.execute(
                    sa_update(WorkshopSeat)
                    .where(WorkshopSeat.id == seat.id, WorkshopSeat.reminded_at.is_(None))
                    .values(reminded_at=now)
                )
                if getattr(marked, "rowcount", 0) == 1:
                    _send(session, workshop, seat, "reminder", None, now)
                    told += 1
    session.rollback()
    return told


# Lists


def upcoming(session: Session, now: datetime, limit: int = 100) -> list[Workshop]:
    """Scheduled workshops that have not ended, soonest first."""
    query = (
        select(Workshop)
        .where(Workshop.status == SCHEDULED, Workshop.starts_at > now - timedelta(hours=8))
        .order_by(Workshop.starts_at, Workshop.id)
        .limit(limit)
    )
    return [w for w in session.scalars(query) if ends_at(w) > now]


def mine(session: Session, user_id: int, now: datetime) -> list[tuple[Workshop, WorkshopSeat]]:
    """The upcoming workshops a person has a seat or waiting place at."""
    query = (
        select(Workshop, WorkshopSeat)
        .join(WorkshopSeat, WorkshopSeat.workshop_id == Workshop.id)
        .where(
            WorkshopSeat.user_id == user_id,
            WorkshopSeat.status != LEFT,
            Workshop.status == SCHEDULED,
            Workshop.starts_at > now - timedelta(hours=8),
        )
        .order_by(Workshop.starts_at)
    )
    return [(w, s) for w, s in session.execute(query).all() if ends_at(w) > now]


def led_by(session: Session, user_id: int) -> list[Workshop]:
    """Workshops a person leads or co-facilitates, newest first."""
    hosting = select(WorkshopHost.workshop_id).where(WorkshopHost.user_id == user_id)
    query = (
        select(Workshop)
        .where(or_(Workshop.facilitator_id == user_id, Workshop.id.in_(hosting)))
        .order_by(Workshop.starts_at.desc())
    )
    return list(session.scalars(query))
