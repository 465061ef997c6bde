"""Notifications: stored for the app's list and, unless switched off, queued as email.

`notify` works inside the caller's write transaction (`cocourse.db.write`), so a
notification and its email exist exactly when the change that caused them commits. Each
notification names its occasion with a `key`; a second one with the same key for the same
person is dropped, which makes reminders idempotent however often, and on however many
hosts, the scheduled jobs run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cocourse.db import UNREAD, WRITING, write
from cocourse.mail.outbox import queue
from cocourse.models import EmailOptOut, Notification, User, utcnow
from cocourse.notifications.kinds import KINDS
from cocourse.web.urls import external_path

PER_PAGE = 30
MAX_BODY = 4000


@dataclass(frozen=True)
class Message:
    """What a notification says: a title, a plain-text body and a path on this site."""

    title: str
    body: str = ""
    url: str = ""


def notify(session: Session, user: User, kind: str, key: str, message: Message) -> bool:
    """Tell `user` about something, in the app and by email unless they switched this kind
    off; False if they were already told about `key` (nothing is added then)."""
    if not session.info.get(WRITING):
        raise RuntimeError("notify() adds to the caller's write transaction; open one first")
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    exists = select(Notification.id).where(Notification.user_id == user.id, Notification.key == key)
    if session.scalar(exists) is not None:
        return False
    notification = Notification(
        user_id=user.id,
        kind=kind,
        key=key[:200],
        title=message.title[:200],
        body=message.body[:MAX_BODY],
        url=message.url[:500],
        created_at=utcnow(),
    )
    session.info.pop(UNREAD, None)
    try:
        # A savepoint: another transaction that stored the same key first (a second worker)
        # makes this insert fail without undoing the caller's other work.
        with session.begin_nested():
            session.add(notification)
    except IntegrityError:
        return False
    if user.is_active and kind not in emails_off(session, user.id):
        queue(
            session,
            user.email,
            "notification",
            {
                "name": user.name,
                "title": notification.title,
                "body": notification.body,
                "link": external_path(notification.url) if notification.url else "",
                "settings": external_path("/account/notifications"),
            },
            language=user.language,
        )
    return True


def notify_all(
    session: Session, users: Iterable[User], kind: str, key: str, message: Message
) -> int:
    """`notify` each person; how many were told (not told before)."""
    return sum(notify(session, user, kind, key, message) for user in users)


def emails_off(session: Session, user_id: int) -> set[str]:
    """The kinds this person gets no email for."""
    rows = session.scalars(select(EmailOptOut.kind).where(EmailOptOut.user_id == user_id))
    return set(rows)


def set_emails_off(session: Session, user_id: int, kinds: Iterable[str]) -> None:
    """Store which kinds a person wants no email for (unknown kinds are ignored)."""
    wanted = {kind for kind in kinds if kind in KINDS}
    with write(session):
        session.execute(delete(EmailOptOut).where(EmailOptOut.user_id == user_id))
        session.add_all(EmailOptOut(user_id=user_id, kind=kind) for kind in sorted(wanted))


def unread_count(session: Session, user_id: int) -> int:
    """How many notifications the person has not opened (as counted when their login was
    loaded for this request, if it was; see `accounts.sessions.load_user`)."""
    loaded = session.info.get(UNREAD)
    if loaded is not None and loaded[0] == user_id:
        return int(loaded[1])
    query = select(func.count()).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    return int(session.scalar(query) or 0)


def page_of(session: Session, user_id: int, page: int) -> tuple[list[Notification], int]:
    """One page of a person's notifications, newest first, and how many there are."""
    total = int(session.scalar(select(func.count()).where(Notification.user_id == user_id)) or 0)
    rows = session.scalars(
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    )
    return list(rows), total


def open_one(session: Session, user_id: int, notification_id: int) -> Notification | None:
    """Mark one of the person's notifications read and return it; None if it is not theirs."""
    session.info.pop(UNREAD, None)
    with write(session):
        found = session.get(Notification, notification_id)
        if found is None or found.user_id != user_id:
            return None
        if found.read_at is None:
            found.read_at = utcnow()
    return found


def read_all(session: Session, user_id: int) -> int:
    """Mark every notification of the person read; how many were unread."""
    session.info.pop(UNREAD, None)
    with write(session):
        result = session.execute(
            update(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
            .values(read_at=utcnow())
        )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
