"""Certificate services: issue, status by date, verification lookup, revocation, lists.

Every function takes a Session. Issuing happens inside the reviewer's approval
transaction (see `portfolios.decide`); the unique index on current certificates keeps a
person to one current certificate per programme even if two approvals race.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session

from cocourse import audit
from cocourse.content.model import Course
from cocourse.content.program import Program
from cocourse.db import write
from cocourse.models import Certificate, Portfolio, User, utcnow

VALID = "valid"
EXPIRING = "expiring-soon"
GRACE = "grace"
EXPIRED = "expired"
REVOKED = "revoked"
STATUSES = (VALID, EXPIRING, GRACE, EXPIRED, REVOKED)
LABELS = {
    VALID: _l("Valid"),
    EXPIRING: _l("Valid, expiring soon"),
    GRACE: _l("Expired, in grace period"),
    EXPIRED: _l("Expired"),
    REVOKED: _l("Revoked"),
}
MAX_REASON = 1000
# 32 bytes from `secrets`, URL-safe: 256 bits, 43 characters.
_CODE = re.compile(r"[A-Za-z0-9_-]{43}")


class CertificateError(ValueError):
    """A request about certificates that cannot be carried out; the message says why."""


def new_code() -> str:
    """A fresh verification code: 256 random bits."""
    return secrets.token_urlsafe(32)


def status(certificate: Certificate, program: Program | None, today: date) -> str:
    """Where a certificate stands on `today`: valid, expiring soon, grace, expired, revoked."""
    if certificate.revoked_at is not None:
        return REVOKED
    soon = program.expiring_soon_days if program else 0
    grace = program.grace_days if program else 0
    if today < certificate.expires_on - timedelta(days=soon):
        return VALID
    if today < certificate.expires_on:
        return EXPIRING
    if today < certificate.expires_on + timedelta(days=grace):
        return GRACE
    return EXPIRED


def by_code(session: Session, code: str) -> Certificate | None:
    """The certificate with this verification code; None for anything else (malformed too)."""
    if not _CODE.fullmatch(code):
        return None
    return session.scalar(select(Certificate).where(Certificate.code == code))


def revoked_codes(session: Session) -> list[str]:
    """The verification codes of every revoked certificate (for the revocation list)."""
    return list(
        session.scalars(
            select(Certificate.code)
            .where(Certificate.revoked_at.is_not(None))
            .order_by(Certificate.id)
        )
    )


def current(session: Session, user_id: int, program: str) -> Certificate | None:
    """The person's current (latest, not superseded) certificate for the programme."""
    return session.scalar(
        select(Certificate).where(
            Certificate.user_id == user_id,
            Certificate.program == program,
            Certificate.superseded_at.is_(None),
        )
    )


def history(session: Session, user_id: int, program: str | None = None) -> list[Certificate]:
    """Every certificate a person has had, newest first."""
    query = select(Certificate).where(Certificate.user_id == user_id)
    if program is not None:
        query = query.where(Certificate.program == program)
    return list(session.scalars(query.order_by(Certificate.id.desc())))


def issue(
    session: Session,
    holder: User,
    program: Program,
    portfolio: Portfolio,
    today: date,
    actor: User,
) -> Certificate:
    """Issue a certificate inside the caller's write transaction.

    A renewal supersedes the current certificate; its validity runs on from the old expiry
    date when renewed early, from today when renewed in the grace period.
    """
    previous = current(session, holder.id, program.slug)
    valid_from = today
    if previous is not None:
        previous.superseded_at = utcnow()
        if portfolio.kind == "renewal" and previous.expires_on > today:
            valid_from = previous.expires_on
        session.flush()  # the old row leaves the unique index before the new one joins it
    certificate = Certificate(
        user_id=holder.id,
        program=program.slug,
        code=new_code(),
        portfolio_id=portfolio.id,
        previous_id=previous.id if previous else None,
        holder_name=holder.name,
        valid_from=valid_from,
        expires_on=valid_from + timedelta(days=program.validity_days),
        badge_salt=secrets.token_hex(16),
    )
    session.add(certificate)
    session.flush()
    audit.record(
        session,
        actor,
        "certificate-issued",
        f"certificate:{certificate.id}",
        holder=holder.id,
        program=program.slug,
        portfolio=portfolio.id,
        expires_on=certificate.expires_on.isoformat(),
    )
    return certificate


def revoke(session: Session, certificate_id: int, actor: User, reason: str) -> Certificate:
    """Revoke a certificate for good, keeping the reason for admins (never shown publicly)."""
    reason = reason.strip()
    if not reason:
        raise CertificateError(_("Give the reason for revoking the certificate."))
    if len(reason) > MAX_REASON:
        raise CertificateError(_("Keep the reason under %(count)s characters.", count=MAX_REASON))
    with write(session):
        certificate = session.get(
            Certificate, certificate_id, with_for_update=True, populate_existing=True
        )
        if certificate is None:
            raise LookupError(certificate_id)
        if certificate.revoked_at is not None:
            raise CertificateError(_("This certificate is already revoked."))
        certificate.revoked_at = utcnow()
        certificate.revoked_reason = reason
        audit.record(
            session, actor, "certificate-revoked", f"certificate:{certificate.id}", reason=reason
        )
    return certificate


@dataclass(frozen=True)
class Listed:
    """A certificate on the admin list, with its holder and status."""

    certificate: Certificate
    holder: User
    status: str


def _status_clause(course: Course, wanted: str, today: date) -> ColumnElement[bool]:
    """SQL for "has status `wanted` on `today`", programme by programme."""
    if wanted == REVOKED:
        return Certificate.revoked_at.is_not(None)
    clauses = []
    for program in course.programs:
        soon = today + timedelta(days=program.expiring_soon_days)
        grace_start = today - timedelta(days=program.grace_days)
        expires = Certificate.expires_on
        by_date = {
            VALID: expires > soon,
            EXPIRING: and_(expires > today, expires <= soon),
            GRACE: and_(expires <= today, expires > grace_start),
            EXPIRED: expires <= grace_start,
        }[wanted]
        clauses.append(and_(Certificate.program == program.slug, by_date))
    return and_(Certificate.revoked_at.is_(None), or_(false(), *clauses))


def _filtered(
    course: Course, program: str | None, wanted: str | None, query: str, today: date
) -> Any:
    found = select(Certificate, User).join(User, User.id == Certificate.user_id)
    if program:
        found = found.where(Certificate.program == program)
    if wanted in STATUSES:
        found = found.where(_status_clause(course, wanted, today))
    if query:
        pattern = f"%{query.lower()}%"
        found = found.where(
            or_(func.lower(User.name).like(pattern), func.lower(User.email).like(pattern))
        )
    return found


def listing(
    session: Session,
    course: Course,
    *,
    program: str | None = None,
    wanted: str | None = None,
    query: str = "",
    today: date,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[Listed], int]:
    """One page of certificates, newest first, filtered by programme, status and name."""
    found = _filtered(course, program, wanted, query, today)
    total = session.scalar(select(func.count()).select_from(found.subquery())) or 0
    rows = session.execute(
        found.order_by(Certificate.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return [_listed(course, cert, user, today) for cert, user in rows], total


def every(
    session: Session,
    course: Course,
    *,
    program: str | None,
    wanted: str | None,
    query: str,
    today: date,
) -> Iterator[Listed]:
    """Every matching certificate, newest first, read in batches (for the CSV export)."""
    found = _filtered(course, program, wanted, query, today).order_by(Certificate.id.desc())
    for cert, user in session.execute(found.execution_options(yield_per=500)):
        yield _listed(course, cert, user, today)


def _listed(course: Course, cert: Certificate, user: User, today: date) -> Listed:
    return Listed(cert, user, status(cert, course.program(cert.program), today))
