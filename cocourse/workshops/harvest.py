"""The harvest of a workshop: decisions and actions, each with an owner (a person with an
account, found by email, or a name), an optional due date, and the workshop's opportunity.

Owners with an account see their open actions and mark them done; two days before an
action is due, its owner is notified once (the notification key holds the action and its
due date, so a new due date is reminded again).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.utils import parseaddr

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy import update as sa_update
from sqlalchemy.orm import Session

from cocourse.db import write
from cocourse.models import User, Workshop, WorkshopAction
from cocourse.notifications.kinds import ACTION_DUE
from cocourse.notifications.services import Message, notify
from cocourse.web.i18n import speaking
from cocourse.workshops import services
from cocourse.workshops.services import SCHEDULED, WorkshopError

DECISION, ACTION = "decision", "action"
KINDS = {DECISION: _l("Decision"), ACTION: _l("Action")}
MAX_TEXT = 2000
REMIND_BEFORE = timedelta(days=2)
LONGEST_AHEAD = timedelta(days=3 * 366)
MAX_PER_WORKSHOP = 200


@dataclass(frozen=True)
class Entry:
    """What a facilitator writes down: a decision or an action."""

    kind: str
    text: str
    owner_email: str = ""
    owner_name: str = ""
    due_on: date | None = None


def is_open(workshop: Workshop, now: datetime) -> bool:
    """The harvest is recorded from the start of the workshop on (its last block is often
    the harvest itself), never for a cancelled one."""
    return workshop.status == SCHEDULED and workshop.starts_at <= now


def _owner(session: Session, entry: Entry) -> tuple[User | None, str]:
    """The owner's account (by email) and the name to show."""
    if entry.owner_email.strip():
        address = parseaddr(entry.owner_email.strip())[1].lower()
        user = session.scalar(select(User).where(func.lower(User.email) == address))
        if user is None or not user.is_active:
            raise WorkshopError(
                _(
                    "No active account has the email %(email)s; write the owner's name instead.",
                    email=address or entry.owner_email.strip(),
                )
            )
        return user, user.name
    name = " ".join(entry.owner_name.split())[:120]
    if not name and entry.kind == ACTION:
        raise WorkshopError(_("Say who owns the action: their email (with an account) or name."))
    return None, name


def record(
    session: Session, workshop_id: int, user: User, entry: Entry, now: datetime
) -> WorkshopAction:
    """Add a decision or an action to a workshop's harvest."""
    text = entry.text.strip()
    if entry.kind not in KINDS:
        raise WorkshopError(_("Choose a decision or an action."))
    if not text:
        raise WorkshopError(_("Write the decision or action."))
    if len(text) > MAX_TEXT:
        raise WorkshopError(_("Keep it under %(most)s characters.", most=MAX_TEXT))
    with write(session):
        workshop = services.locked(session, workshop_id)
        if not services.may_manage(session, workshop, user):
            raise LookupError(workshop_id)
        if not is_open(workshop, now):
            raise WorkshopError(_("Record the harvest once the workshop has started."))
        if entry.due_on is not None:
            day = services.local_start(workshop).date()
            if not day <= entry.due_on <= (now + LONGEST_AHEAD).date():
                raise WorkshopError(
                    _("Choose a due date from the day of the workshop to three years ahead.")
                )
        count = session.scalar(
            select(func.count()).where(WorkshopAction.workshop_id == workshop.id)
        )
        if int(count or 0) >= MAX_PER_WORKSHOP:
            raise WorkshopError(
                _("A workshop's harvest holds at most %(most)s items.", most=MAX_PER_WORKSHOP)
            )
        owner, name = _owner(session, entry)
        action = WorkshopAction(
            workshop_id=workshop.id,
            opportunity_id=workshop.opportunity_id,
            kind=entry.kind,
            text=text,
            owner_id=owner.id if owner else None,
            owner_name=name,
            due_on=entry.due_on,
            created_at=now,
        )
        session.add(action)
    return action


def of_workshop(session: Session, workshop_id: int) -> list[WorkshopAction]:
    """A workshop's decisions, then its actions, in the order they were recorded."""
    query = (
        select(WorkshopAction)
        .where(WorkshopAction.workshop_id == workshop_id)
        .order_by(WorkshopAction.kind.desc(), WorkshopAction.id)
    )
    return list(session.scalars(query))


def remove(session: Session, action_id: int, workshop_id: int, user: User) -> None:
    """A facilitator takes an item out of the harvest (a mistake)."""
    with write(session):
        action = session.get(WorkshopAction, action_id)
        if action is None or action.workshop_id != workshop_id:
            raise LookupError(action_id)
        workshop = session.get(Workshop, action.workshop_id)
        if workshop is None or not services.may_manage(session, workshop, user):
            raise LookupError(action_id)
        session.delete(action)


def owned_by(
    session: Session, user_id: int, limit: int = 50
) -> list[tuple[WorkshopAction, Workshop]]:
    """A person's open actions with their workshop, soonest due first (undated last)."""
    query = (
        select(WorkshopAction, Workshop)
        .join(Workshop, Workshop.id == WorkshopAction.workshop_id)
        .where(
            WorkshopAction.owner_id == user_id,
            WorkshopAction.kind == ACTION,
            WorkshopAction.done_at.is_(None),
        )
        .order_by(WorkshopAction.due_on.is_(None), WorkshopAction.due_on, WorkshopAction.id)
        .limit(limit)
    )
    return [(a, w) for a, w in session.execute(query).all()]


def mark_done(session: Session, action_id: int, user: User, now: datetime) -> WorkshopAction:
    """The owner (or a facilitator of the workshop) marks an action done; doing it twice
    changes nothing."""
    with write(session):
        action = session.get(WorkshopAction, action_id, populate_existing=True)
        if action is None or action.kind != ACTION:
            raise LookupError(action_id)
        if action.owner_id != user.id:
            workshop = session.get(Workshop, action.workshop_id)
            if workshop is None or not services.may_manage(session, workshop, user):
                raise LookupError(action_id)
        session.execute(
            sa_update(WorkshopAction)
            .where(WorkshopAction.id == action.id, WorkshopAction.done_at.is_(None))
            .values(done_at=now)
        )
        session.refresh(action)
    return action


def remind_due(session: Session, now: datetime) -> int:
    """Notify owners of open actions due within two days (today included), once per action
    and due date. Dates are compared in UTC."""
    today = now.date()
    due = (
        select(WorkshopAction.id)
        .where(
            WorkshopAction.kind == ACTION,
            WorkshopAction.done_at.is_(None),
            WorkshopAction.owner_id.is_not(None),
            WorkshopAction.due_on >= today,
            WorkshopAction.due_on <= today + REMIND_BEFORE,
        )
        .order_by(WorkshopAction.id)
    )
    told = 0
    for action_id in list(session.scalars(due)):
        with write(session):
            action = session.get(WorkshopAction, action_id)
            if action is None or action.done_at is not None or action.due_on is None:
                continue
            owner = session.get(User, action.owner_id) if action.owner_id else None
            workshop = session.get(Workshop, action.workshop_id)
            if owner is None or not owner.is_active or workshop is None:
                continue
            with speaking(owner.language):
                message = Message(
                    title=_(
                        "Due %(date)s: %(text)s",
                        date=services.in_words(action.due_on, "dd MMMM"),
                        text=action.text[:120],
                    ),
                    body=_(
                        "An action you own from “%(workshop)s” is due on %(date)s:",
                        workshop=workshop.title,
                        date=services.in_words(action.due_on, "EEEE dd MMMM y"),
                    )
                    + f"\n\n{action.text}",
                    url="/workshops#your-actions",
                )
            key = f"action:{action.id}:{action.due_on.isoformat()}"
            told += notify(session, owner, ACTION_DUE, key, message)
    session.rollback()
    return told
