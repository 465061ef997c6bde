"""Practicum sessions made from a workshop record: the facts come from the workshop that the
trainee facilitated (date, length, who attended, role, co-facilitators, agenda, harvest,
participants' feedback); the reflection stays the trainee's own.

A session counts as confirmed when the facilitator recorded attendance: the number of
participants is then the number of people marked present, not a number typed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from cocourse.content.workshop_kit import FeedbackQuestion
from cocourse.models import (
    PracticumSession,
    User,
    Workshop,
    WorkshopAction,
    WorkshopHost,
    WorkshopSeat,
)
from cocourse.web.i18n import number

LEAD, CO = "lead", "co"


@dataclass(frozen=True)
class WorkshopFacts:
    """What a workshop record says about one facilitator's session."""

    workshop_id: int
    title: str
    held_on: date
    minutes: int
    participants: int
    confirmed: bool  # attendance was recorded
    role: str
    co_facilitators: str
    purpose: str
    methods: str
    harvest: str
    feedback: str


def _ended(workshop: Workshop, now: datetime) -> bool:
    return workshop.starts_at + timedelta(minutes=workshop.duration_minutes) <= now


def facilitated(session: Session, user_id: int, now: datetime, limit: int = 20) -> list[Workshop]:
    """Workshops the person led or co-facilitated that have taken place (not cancelled),
    newest first."""
    hosting = select(WorkshopHost.workshop_id).where(WorkshopHost.user_id == user_id)
    query = (
        select(Workshop)
        .where(
            Workshop.status == "scheduled",
            Workshop.starts_at < now,
            or_(Workshop.facilitator_id == user_id, Workshop.id.in_(hosting)),
        )
        .order_by(Workshop.starts_at.desc())
        .limit(limit * 2)
    )
    return [w for w in session.scalars(query) if _ended(w, now)][:limit]


def logged(session: Session, portfolio_id: int) -> set[int]:
    """The workshops a portfolio already has a session for."""
    query = select(PracticumSession.workshop_id).where(
        PracticumSession.portfolio_id == portfolio_id, PracticumSession.workshop_id.is_not(None)
    )
    return {wid for wid in session.scalars(query) if wid is not None}


def facts(
    session: Session,
    workshop: Workshop,
    user_id: int,
    questions: Sequence[FeedbackQuestion],
) -> WorkshopFacts:
    """The facts of a workshop, as seen by one of its facilitators."""
    seats = list(
        session.scalars(
            select(WorkshopSeat).where(
                WorkshopSeat.workshop_id == workshop.id, WorkshopSeat.status != "cancelled"
            )
        )
    )
    present = [seat for seat in seats if seat.attended_at is not None]
    confirmed = [seat for seat in seats if seat.status == "confirmed"]
    names = [
        name
        for name, uid in session.execute(
            select(User.name, User.id).where(
                or_(
                    User.id == workshop.facilitator_id,
                    User.id.in_(
                        select(WorkshopHost.user_id).where(WorkshopHost.workshop_id == workshop.id)
                    ),
                )
            )
        ).all()
        if uid != user_id
    ]
    actions = session.scalars(
        select(WorkshopAction)
        .where(WorkshopAction.workshop_id == workshop.id)
        .order_by(WorkshopAction.id)
    )
    harvest = "\n".join(
        f"- {'Decision' if a.kind == 'decision' else 'Action'}: {a.text}"
        + (f" ({a.owner_name}" + (f", by {a.due_on.isoformat()})" if a.due_on else ")"))
        for a in actions
    )
    local = workshop.starts_at.astimezone(ZoneInfo(workshop.timezone))
    return WorkshopFacts(
        workshop_id=workshop.id,
        title=workshop.title,
        held_on=local.date(),
        minutes=workshop.duration_minutes,
        participants=len(present) if present else len(confirmed),
        confirmed=bool(present),
        role=LEAD if workshop.facilitator_id == user_id else CO,
        co_facilitators=", ".join(sorted(names)),
        purpose=workshop.purpose,
        methods="; ".join(str(block["title"]) for block in workshop.agenda),
        harvest=harvest,
        feedback=feedback_summary(seats, questions),
    )


def feedback_summary(seats: Sequence[WorkshopSeat], questions: Sequence[FeedbackQuestion]) -> str:
    """The participants' feedback in a few lines: the mean of each scale question and the
    answers in words, without names."""
    answered = [seat.feedback for seat in seats if seat.feedback]
    if not answered:
        return ""
    lines = [
        ngettext(
            "%(num)d participant gave feedback.",
            "%(num)d participants gave feedback.",
            len(answered),
        )
    ]
    for question in questions:
        values = [answer.get(question.id) for answer in answered]
        if question.scale:
            numbers = [int(v) for v in values if isinstance(v, int | str) and str(v).isdigit()]
            if numbers:
                mean = sum(numbers) / len(numbers)
                lines.append(
                    _(
                        "%(question)s %(mean)s of %(scale)s (%(count)s)",
                        question=question.ask,
                        mean=number(mean, 1),
                        scale=question.scale,
                        count=len(numbers),
                    )
                )
        else:
            texts = [str(v).strip() for v in values if isinstance(v, str) and v.strip()]
            lines.extend(f"{question.ask} “{text}”" for text in texts[:10])
    return "\n".join(lines)


def may_log(session: Session, workshop_id: int, user_id: int, now: datetime) -> Workshop | None:
    """The workshop, if the person facilitated it and it has taken place."""
    workshop = session.get(Workshop, workshop_id)
    if workshop is None or workshop.status != "scheduled" or not _ended(workshop, now):
        return None
    if workshop.facilitator_id == user_id:
        return workshop
    hosting = select(func.count()).where(
        WorkshopHost.workshop_id == workshop_id, WorkshopHost.user_id == user_id
    )
    return workshop if session.scalar(hosting) else None


def attended(session: Session, workshop_ids: Sequence[int | None]) -> dict[int, int]:
    """How many people were marked present at each of these workshops (0: attendance was
    not recorded), in one query."""
    ids = sorted({wid for wid in workshop_ids if wid is not None})
    found = dict.fromkeys(ids, 0)
    if ids:
        rows = session.execute(
            select(WorkshopSeat.workshop_id, func.count())
            .where(WorkshopSeat.workshop_id.in_(ids), WorkshopSeat.attended_at.is_not(None))
            .group_by(WorkshopSeat.workshop_id)
        )
        found.update({wid: int(count) for wid, count in rows})
    return found
