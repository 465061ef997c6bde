"""Attendance on the day: facilitators tick who came (seats, the waiting list, walk-ins),
and participants check themselves in with the QR code shown in the room or, for guests,
the button on their personal page.

Attendance can be recorded from two hours before the start until two days after the end
(the window). The check-in code is an HMAC of the workshop's id under the app's secret key,
so it needs no storage and cannot be guessed for another workshop; it works only during
the window.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection
from datetime import datetime, timedelta

import segno
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import update as sa_update
from sqlalchemy.orm import Session

from cocourse.db import write
from cocourse.models import User, Workshop, WorkshopSeat
from cocourse.workshops import services
from cocourse.workshops.services import CONFIRMED, LEFT, SCHEDULED, WAITING, WorkshopError

BEFORE = timedelta(hours=2)
AFTER = timedelta(days=2)
CODE_LENGTH = 32  # hex digits: 128 bits


def window(workshop: Workshop) -> tuple[datetime, datetime]:
    """When attendance can be recorded: from 2 hours before the start to 2 days after the end."""
    return workshop.starts_at - BEFORE, services.ends_at(workshop) + AFTER


def is_open(workshop: Workshop, now: datetime) -> bool:
    """Whether attendance can be recorded now (a cancelled workshop has none)."""
    opens, closes = window(workshop)
    return workshop.status == SCHEDULED and opens <= now <= closes


def _require_open(workshop: Workshop, now: datetime) -> None:
    if workshop.status != SCHEDULED:
        raise WorkshopError(_("This workshop is cancelled."))
    opens, closes = window(workshop)
    if now < opens:
        raise WorkshopError(_("Attendance opens two hours before the start."))
    if now > closes:
        raise WorkshopError(_("Attendance closed two days after the workshop ended."))


def check_in_code(workshop_id: int) -> str:
    """The code in the room's check-in link: derived from the secret key and the workshop."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    message = f"workshop-check-in:{workshop_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:CODE_LENGTH]


def code_matches(workshop_id: int, code: str) -> bool:
    """Whether `code` is this workshop's check-in code (compared in constant time)."""
    return len(code) == CODE_LENGTH and hmac.compare_digest(check_in_code(workshop_id), code)


def qr_svg(url: str) -> str:
    """Inline SVG of a QR code for the check-in link; only svg, title and path elements with
    numbers in them, so it is safe to put into a page as it is."""
    return str(
        segno.make_qr(url, error="m", boost_error=True).svg_inline(
            scale=6,
            border=4,
            dark="#000",
            light="#fff",
            title=_("QR code of the check-in link"),
            svgclass="cocourse-qr",
            lineclass=None,
        )
    )


def _mark(session: Session, seat_id: int, now: datetime) -> bool:
    """Mark a seat attended unless it is already; True if this call marked it."""
    done = session.execute(
        sa_update(WorkshopSeat)
        .where(WorkshopSeat.id == seat_id, WorkshopSeat.attended_at.is_(None))
        .values(attended_at=now)
    )
    return getattr(done, "rowcount", 0) == 1


def record(
    session: Session,
    workshop_id: int,
    user: User,
    present: Collection[int],
    shown_present: Collection[int],
    now: datetime,
) -> tuple[int, int]:
    """A facilitator's ticks: mark the seats in `present`, unmark those that were shown
    ticked (`shown_present`) and are no longer, so that a participant who checked in while
    the page was open is not unmarked. A waiting-list person marked present gets a seat.
    (marked, unmarked)."""
    with write(session):
        workshop = services.locked(session, workshop_id)
        if not services.may_manage(session, workshop, user):
            raise LookupError(workshop_id)
        _require_open(workshop, now)
        marked = unmarked = 0
        for seat in services.seats_with(session, workshop.id, CONFIRMED, WAITING):
            if seat.id in present:
                if seat.status == WAITING:  # they came and took a place in the room
                    seat.status = CONFIRMED
                if seat.attended_at is None:
                    seat.attended_at = now
                    marked += 1
            elif seat.id in shown_present and seat.attended_at is not None:
                seat.attended_at = None
                unmarked += 1
    return marked, unmarked


def walk_in(
    session: Session, workshop_id: int, user: User, name: str, email: str, now: datetime
) -> WorkshopSeat:
    """Someone who came without a place: a seat marked attended, for their account if the
    email has one, else as a guest (whose personal link comes with the feedback invitation).
    No invitation is sent: they are in the room."""
    address = services.clean_address(email)
    with write(session):
        workshop = services.locked(session, workshop_id)
        if not services.may_manage(session, workshop, user):
            raise LookupError(workshop_id)
        _require_open(workshop, now)
        seat, _made = services.seat_for(
            session, workshop, user, name, address, _("Write the name of the person who walked in.")
        )
        seat.status = CONFIRMED
        if seat.attended_at is None:
            seat.attended_at = now
    return seat


def check_in(session: Session, workshop_id: int, user: User, now: datetime) -> WorkshopSeat:
    """A person checks themselves in with the room's code (the caller checked the code);
    checking in twice changes nothing."""
    with write(session):
        workshop = services.locked(session, workshop_id)
        _require_open(workshop, now)
        seat = services.my_seat(session, workshop.id, user.id)
        return _checked_in(session, seat, now)


def guest_check_in(session: Session, seat_id: int, now: datetime) -> WorkshopSeat:
    """A guest checks in from their personal page ("I am here")."""
    with write(session):
        seat = session.get(WorkshopSeat, seat_id, populate_existing=True)
        if seat is None:
            raise LookupError(seat_id)
        _require_open(services.locked(session, seat.workshop_id), now)
        return _checked_in(session, seat, now)


def _checked_in(session: Session, seat: WorkshopSeat | None, now: datetime) -> WorkshopSeat:
    if seat is None or seat.status == LEFT:
        raise WorkshopError(
            _("You have no place at this workshop; ask the facilitator to add you.")
        )
    if seat.status != CONFIRMED:
        raise WorkshopError(
            _("You are on the waiting list; ask the facilitator to mark you present.")
        )
    _mark(session, seat.id, now)
    session.refresh(seat)
    return seat


def attendance_list(session: Session, workshop_id: int) -> list[WorkshopSeat]:
    """Seats and waiting places, seats first, each by name."""
    rows = services.seats(session, workshop_id)
    return sorted(rows, key=lambda s: (s.status != CONFIRMED, s.name.lower()))
