"""How much work is waiting: the job queue and the mail outbox."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocourse.mail.worker import jobs
from cocourse.models import MailMessage


def depths(app: Flask) -> dict[str, int]:
    """{queue: items waiting}: jobs queued or scheduled for the worker, and messages not yet
    sent (queued, or being sent)."""
    huey = jobs(app).huey
    with Session(app.extensions["cocourse.engine"]) as session:
        mail = session.scalar(
            select(func.count())
            .select_from(MailMessage)
            .where(MailMessage.status.in_(("queued", "sending")))
        )
    return {"jobs": int(huey.pending_count()) + int(huey.scheduled_count()), "mail": int(mail or 0)}
