"""Participants' feedback after a workshop: the kit's feedback form, answered once by each
person who attended, within 30 days of the end; the facilitator sees it without names.

One answer per seat: a second is refused (a conditional update that only writes a seat
without feedback, so two submissions at once store one). The invitation to answer goes by
email once per attended seat, from a scheduled job after the end (a conditional update of
`feedback_asked_at` marks it), so a person marked present late is still invited.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy import update as sa_update
from sqlalchemy.orm import Session

from cocourse.content.workshop_kit import FeedbackQuestion
from cocourse.db import write
from cocourse.mail.outbox import queue
from cocourse.models import Workshop, WorkshopSeat
from cocourse.workshops import services
from cocourse.workshops.services import CONFIRMED, SCHEDULED, WorkshopError

OPEN_FOR = timedelta(days=30)
MAX_WORDS = 2000  # characters in one answer in words


class FeedbackError(WorkshopError):
    """Answers that cannot be stored; `problems` maps question ids to what is wrong."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(" ".join(problems.values()))
        self.problems = problems


def is_open(workshop: Workshop, now: datetime) -> bool:
    """Feedback is taken from the end of the workshop for 30 days."""
    end = services.ends_at(workshop)
    return workshop.status == SCHEDULED and end <= now <= end + OPEN_FOR


def may_answer(workshop: Workshop, seat: WorkshopSeat | None, now: datetime) -> str:
    """Why this seat cannot answer now, in words; empty when it can."""
    if workshop.status != SCHEDULED:
        return str(_("This workshop was cancelled."))
    end = services.ends_at(workshop)
    if now < end:
        return str(_("Feedback opens when the workshop ends."))
    if now > end + OPEN_FOR:
        return str(_("Feedback closed 30 days after the workshop."))
    if seat is None or seat.attended_at is None:
        return str(_("Only people who attended the workshop can give feedback."))
    if seat.feedback_at is not None:
        return str(_("You have given your feedback already. Thank you!"))
    return ""


def clean(questions: Sequence[FeedbackQuestion], raw: Mapping[str, str]) -> dict[str, Any]:
    """The answers to store (scale answers as numbers), or FeedbackError naming every
    question that is missing or out of range."""
    answers: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for question in questions:
        value = (raw.get(question.id) or "").strip()
        if not value:
            if question.required:
                problems[question.id] = _("“%(question)s” needs an answer.", question=question.ask)
            continue
        if question.scale:
            if not value.isdigit() or not 1 <= int(value) <= question.scale:
                problems[question.id] = _(
                    "“%(question)s”: choose a number from 1 to %(highest)s.",
                    question=question.ask,
                    highest=question.scale,
                )
                continue
            answers[question.id] = int(value)
        elif len(value) > MAX_WORDS:
            problems[question.id] = _(
                "“%(question)s”: keep it under %(most)s characters.",
                question=question.ask,
                most=MAX_WORDS,
            )
        else:
            answers[question.id] = value
    if problems:
        raise FeedbackError(problems)
    return answers


def answer(
    session: Session,
    seat_id: int,
    questions: Sequence[FeedbackQuestion],
    raw: Mapping[str, str],
    now: datetime,
) -> WorkshopSeat:
    """Store a person's answers for their seat, once. The caller checked that the seat is
    theirs."""
    answers = clean(questions, raw)
    with write(session):
        seat = session.get(WorkshopSeat, seat_id, populate_existing=True)
        if seat is None:
            raise LookupError(seat_id)
        workshop = session.get(Workshop, seat.workshop_id)
        assert workshop is not None
        why = may_answer(workshop, seat, now)
        if why:
            raise WorkshopError(why)
        stored = session.execute(
            sa_update(WorkshopSeat)
            .where(WorkshopSeat.id == seat.id, WorkshopSeat.feedback_at.is_(None))
            .values(feedback=answers, feedback_at=now)
        )
        if getattr(stored, "rowcount", 0) != 1:
            raise WorkshopError(_("You have given your feedback already. Thank you!"))
        session.refresh(seat)
    return seat


@dataclass(frozen=True)
class ScaleSummary:
    """The answers to one scale question: how many, their mean, and how many gave each value."""

    question: FeedbackQuestion
    count: int
    mean: float | None
    distribution: tuple[tuple[int, int], ...]  # (value, people)


@dataclass(frozen=True)
class Summary:
    """A workshop's feedback without names: per scale question the numbers, per question
    in words the answers (in alphabetical order, so their order tells nothing)."""

    attended: int
    answered: int
    scales: tuple[ScaleSummary, ...]
    words: tuple[tuple[FeedbackQuestion, tuple[str, ...]], ...]


def summary(session: Session, workshop_id: int, questions: Sequence[FeedbackQuestion]) -> Summary:
    """The aggregate of a workshop's feedback, for its facilitators."""
    rows = list(
        session.execute(
            select(WorkshopSeat.feedback, WorkshopSeat.feedback_at).where(
                WorkshopSeat.workshop_id == workshop_id,
                WorkshopSeat.attended_at.is_not(None),
            )
        )
    )
    given = [feedback or {} for feedback, at in rows if at is not None]
    scales, words = [], []
    for question in questions:
        values = [a[question.id] for a in given if a.get(question.id) is not None]
        if question.scale:
            numbers = [int(v) for v in values if isinstance(v, int | float)]
            counts = tuple((n, numbers.count(n)) for n in range(1, question.scale + 1))
            mean = round(sum(numbers) / len(numbers), 2) if numbers else None
            scales.append(ScaleSummary(question, len(numbers), mean, counts))
        else:
            words.append((question, tuple(sorted(str(v) for v in values))))
    return Summary(len(rows), len(given), tuple(scales), tuple(words))


def invite(session: Session, now: datetime) -> int:
    """After a workshop: one email to each person who attended, inviting their feedback.
    Runs on a schedule; a seat is invited once, however often this runs."""
    told = 0
    ended = select(Workshop.id).where(
        Workshop.status == SCHEDULED,
        Workshop.starts_at <= now,
        Workshop.starts_at > now - OPEN_FOR - timedelta(minutes=services.MAX_MINUTES),
    )
    for workshop_id in list(session.scalars(ended)):
        workshop = session.get(Workshop, workshop_id)
        if workshop is None or not is_open(workshop, now):
            continue
        told += _invite_seats(session, workshop_id, now)
    session.rollback()
    return told


def _invite_seats(session: Session, workshop_id: int, now: datetime) -> int:
    told = 0
    with write(session):
        workshop = services.locked(session, workshop_id)
        waiting = select(WorkshopSeat).where(
            WorkshopSeat.workshop_id == workshop.id,
            WorkshopSeat.status == CONFIRMED,
            WorkshopSeat.attended_at.is_not(None),
            WorkshopSeat.feedback_at.is_(None),
            WorkshopSeat.feedback_asked_at.is_(None),
        )
        for seat in list(session.scalars(waiting)):
            marked = session.execute(
                sa_update(WorkshopSeat)
                .where(WorkshopSeat.id == seat.id, WorkshopSeat.feedback_asked_at.is_(None))
                .values(feedback_asked_at=now)
            )
            if getattr(marked, "rowcount", 0) != 1:
                continue
            person = services.address_of(session, seat)
            if person is None:
                continue
            with services.in_language_of(session, seat):
                context = {
                    "event": "feedback",
                    "name": person[0],
                    "workshop": workshop,
                    "when": services.when(workshop),
                    "link": services.link_for(seat),
                    "agenda": [],
                }
                queue(session, person[1], "workshop", context)
            told += 1
    return told
