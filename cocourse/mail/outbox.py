"""Queueing email: `queue` renders a message and adds it to the outbox inside the caller's
write transaction, so the message exists exactly when the change that caused it commits.
It is rendered in the language of the request that queues it, or in the recipient's own
(`speaking`, or `queue(..., language=...)`), and stored as sent.

Once that transaction commits, each new message is handed to the job queue for delivery
(`cocourse.mail.worker`); if the job queue cannot be reached, the periodic sweep of the
outbox finds the message later. Nothing here talks to a mail server.
"""

from __future__ import annotations

import logging
from email.utils import make_msgid, parseaddr
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from cocourse.db import WRITING
from cocourse.models import MailMessage, utcnow
from cocourse.web.i18n import speaking

log = logging.getLogger("cocourse.mail")
# In `Session.info`: (app, [message ids]) queued in the open transaction.
_PENDING = "cocourse.mail.pending"


def sender(app: Flask) -> str:
    """The From address: MAIL_FROM, or the organization's name at a local placeholder."""
    configured = app.config.get("MAIL_FROM")
    if configured:
        return str(configured)
    return f"{app.config['ISSUER_NAME']} <noreply@localhost>"


def render(template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Subject, plain text and HTML of `mail/<template>.txt|html`; the text template sets
    `subject` with `{% set subject = ... %}`."""
    app = current_app
    values = {"organization": app.config["ISSUER_NAME"], "sender": sender(app), **context}
    module = app.jinja_env.get_template(f"mail/{template}.txt").make_module(values)
    subject = " ".join(str(getattr(module, "subject", "")).split())[:255]
    text = str(module).strip() + "\n"
    html = app.jinja_env.get_template(f"mail/{template}.html").render(subject=subject, **values)
    return subject, text, html


def queue(
    session: Session,
    to: str,
    template: str,
    context: dict[str, Any],
    calendar: str | None = None,
    language: str | None = None,
) -> MailMessage:
    """Add a message for `to`, rendered from `mail/<template>.*` with `context`, to the
    outbox in the caller's open write transaction (`cocourse.db.write`); `calendar` is an
    iCalendar object to send with it (an invitation, an update, a cancellation); `language`
    the recipient's, when known (see `speaking`)."""
    if not session.info.get(WRITING):
        raise RuntimeError("queue() adds to the caller's write transaction; open one first")
    with speaking(language):
        subject, text, html = render(template, context)
    domain = parseaddr(sender(current_app))[1].rpartition("@")[2] or "localhost"
    # RFC 2606's .invalid receives nothing (accounts made by a platform that shares no email).
    unreachable = to.rpartition("@")[2].lower().endswith(".invalid")
    message = MailMessage(
        to_address=to,
        subject=subject,
        text_body=text,
        html_body=html,
        message_id=make_msgid(domain=domain),
        template=template,
        status="failed" if unreachable else "queued",
        attempts=0,
        created_at=utcnow(),
        next_attempt_at=utcnow(),
        last_error="the address cannot receive mail" if unreachable else "",
        calendar=calendar,
    )
    session.add(message)
    session.flush()
    if unreachable:
        return message
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    session.info.setdefault(_PENDING, (app, []))[1].append(message.id)
    return message


@event.listens_for(Session, "after_commit")
def _hand_to_worker(session: Session) -> None:
    """After commit: ask the job queue to deliver the new messages (never fails a commit)."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    app, ids = pending
    from cocourse.mail.worker import enqueue

    for message_id in ids:
        try:
            enqueue(app, message_id)
        except Exception:  # the sweep delivers it later
            log.exception("could not hand message %s to the job queue", message_id)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    """A rolled-back transaction's messages were never stored."""
    session.info.pop(_PENDING, None)
