"""Delivering the outbox: claim a message, send it, then mark it sent or schedule a retry.

A claim is one UPDATE that succeeds for one worker only (the row must be queued and due, or
claimed by a worker whose lease ran out), so two workers never send a message at once. A
message is marked sent only after the server accepted it; a worker that dies in between
leaves the claim to expire, and the message is sent again with the same Message-ID: delivery
is at least once, never lost. Failures wait MAIL_BACKOFF_SECONDS, doubling each time (at
most MAIL_BACKOFF_MAX_SECONDS), until MAIL_MAX_ATTEMPTS; then the message is "failed".
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from cocourse.db import write
from cocourse.mail import transports
from cocourse.mail.outbox import sender
from cocourse.models import MailMessage, utcnow

log = logging.getLogger("cocourse.mail")
# How long a claim lasts: far longer than one SMTP conversation (MAIL_SMTP_TIMEOUT).
LEASE = timedelta(minutes=5)
QUEUED, SENDING, SENT, FAILED = "queued", "sending", "sent", "failed"


def _claimable(now: datetime) -> object:
    return or_(
        and_(MailMessage.status == QUEUED, MailMessage.next_attempt_at <= now),
        and_(MailMessage.status == SENDING, MailMessage.claimed_until < now),
    )


def claim(session: Session, message_id: int, now: datetime) -> MailMessage | None:
    """Take one message for sending, or None if it is not due or another worker has it."""
    with write(session):
        taken = session.execute(
            update(MailMessage)
            .where(MailMessage.id == message_id, _claimable(now))  # type: ignore[arg-type]
            .values(status=SENDING, claimed_until=now + LEASE, attempts=MailMessage.attempts + 1)
        )
        if getattr(taken, "rowcount", 0) != 1:
            return None
        return session.get(MailMessage, message_id, populate_existing=True)


def due(session: Session, now: datetime, limit: int = 100) -> list[int]:
    """Ids of messages that are due or whose claim ran out, oldest first."""
    rows = session.scalars(
        select(MailMessage.id)
        .where(_claimable(now))  # type: ignore[arg-type]
        .order_by(MailMessage.next_attempt_at, MailMessage.id)
        .limit(limit)
    )
    ids = list(rows)
    session.rollback()
    return ids


def backoff(app: Flask, attempts: int) -> float:
    """Seconds to wait after the `attempts`-th failed attempt."""
    base = float(app.config["MAIL_BACKOFF_SECONDS"])
    delay: float = base * 2 ** max(0, attempts - 1)
    return min(float(app.config["MAIL_BACKOFF_MAX_SECONDS"]), delay)


def _send(app: Flask, message: MailMessage) -> None:
    mime = transports.build(message, sender(app))
    if app.config.get("MAIL_SMTP_HOST"):
        transports.send_smtp(app.config, mime)
    else:
        folder = Path(app.instance_path) / "outbox"
        transports.write_file(folder, message, mime, echo=not app.config["PRODUCTION"])


def _finish(session: Session, message_id: int, values: dict[str, object]) -> None:
    with write(session):
        session.execute(
            update(MailMessage)
            .where(MailMessage.id == message_id, MailMessage.status == SENDING)
            .values(claimed_until=None, **values)
        )


def deliver(app: Flask, message_id: int) -> float | None:
    """Try to send one message; the seconds until its retry, or None (sent, failed for
    good, or not ours to send)."""
    session: Session = app.extensions["cocourse.sessionmaker"]()
    try:
        message = claim(session, message_id, utcnow())
        if message is None:
            return None
        try:
            _send(app, message)
        except Exception as exc:  # any failure: the message stays in the outbox
            return _failed(app, session, message, exc)
        _finish(session, message.id, {"status": SENT, "sent_at": utcnow(), "last_error": ""})
        log.info("sent message %s (%s)", message.id, message.template)
        return None
    finally:
        session.close()


def _failed(app: Flask, session: Session, message: MailMessage, exc: Exception) -> float | None:
    error = f"{type(exc).__name__}: {exc}"[:500]
    final = isinstance(exc, transports.PermanentError) or message.attempts >= int(
        app.config["MAIL_MAX_ATTEMPTS"]
    )
    if final:
        _finish(session, message.id, {"status": FAILED, "last_error": error})
        log.error(
            "message %s failed for good after %s attempts: %s", message.id, message.attempts, error
        )
        return None
    delay = backoff(app, message.attempts)
    _finish(
        session,
        message.id,
        {
            "status": QUEUED,
            "last_error": error,
            "next_attempt_at": utcnow() + timedelta(seconds=delay),
        },
    )
    log.warning(
        "message %s not sent (attempt %s), retrying in %.0f s: %s",
        message.id,
        message.attempts,
        delay,
        error,
    )
    return delay


def deliver_due(app: Flask, limit: int = 100) -> int:
    """Send every message that is due (the periodic sweep); how many were tried."""
    session: Session = app.extensions["cocourse.sessionmaker"]()
    try:
        ids = due(session, utcnow(), limit)
    finally:
        session.close()
    for message_id in ids:
        deliver(app, message_id)
    return len(ids)
