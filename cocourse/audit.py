"""The audit trail: who did what to a portfolio, a certificate or the course content, and when."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocourse.models import AuditEntry, User


def record(session: Session, actor: User | None, action: str, subject: str, **detail: Any) -> None:
    """Add one entry inside the caller's transaction (it commits with the change it records)."""
    session.add(
        AuditEntry(
            actor_id=actor.id if actor else None,
            actor_name=actor.name if actor else "system",
            action=action,
            subject=subject,
            detail=detail,
        )
    )


def entries(
    session: Session, *, subject: str | None = None, page: int = 1, per_page: int = 50
) -> tuple[list[AuditEntry], int]:
    """Newest first, optionally for one subject such as "portfolio:12"; and the total."""
    query = select(AuditEntry)
    counted = select(func.count(AuditEntry.id))
    if subject:
        query = query.where(AuditEntry.subject == subject)
        counted = counted.where(AuditEntry.subject == subject)
    total = session.scalar(counted) or 0
    rows = session.scalars(
        query.order_by(AuditEntry.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return list(rows), total
