"""Login backoff per account, so that nobody can lock someone else out.

Failed logins are counted per email (known or not, keyed by a hash, so the answers tell
nothing about which accounts exist). After `free` failures, a login for that email from an
address the person has never logged in from must wait: `base` seconds, doubling with each
further failure, at most `cap`. Waiting always ends; addresses the person logged in from
before are not slowed; a successful login clears the count, and so do `FORGET_AFTER` without
failures.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cocourse.db import write
from cocourse.models import LoginSession, LoginThrottle, User

FORGET_AFTER = timedelta(days=1)


def _key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode("utf-8", "replace")).hexdigest()


def wait_seconds(
    session: Session,
    email: str,
    address: str,
    now: datetime,
    free: int,
    base: float,
    cap: float,
) -> int:
    """Seconds this address must still wait before trying a password for `email`; 0: go."""
    row = session.get(LoginThrottle, _key(email))
    if row is None or row.failures < free or now - row.last_failure_at > FORGET_AFTER:
        return 0
    delay = min(cap, base * 2 ** (row.failures - free))
    remaining = (row.last_failure_at + timedelta(seconds=delay) - now).total_seconds()
    if remaining <= 0:
        return 0
    known = session.scalar(
        select(LoginSession.id)
        .join(User, User.id == LoginSession.user_id)
        .where(User.email == email.strip().lower(), LoginSession.address == address)
        .limit(1)
    )
    return 0 if known is not None else max(1, int(remaining + 0.999))


def record_failure(session: Session, email: str, now: datetime) -> int:
    """Count a failed login for `email`; the count so far."""
    key = _key(email)
    for _ in range(2):  # a concurrent first failure may insert the row first
        try:
            with write(session):
                row = session.get(LoginThrottle, key, with_for_update=True)
                if row is None:
                    row = LoginThrottle(key=key, failures=0, last_failure_at=now)
                    session.add(row)
                elif now - row.last_failure_at > FORGET_AFTER:
                    row.failures = 0
                row.failures += 1
                row.last_failure_at = now
                return row.failures
        except IntegrityError:
            continue
    return 0


def clear(session: Session, email: str) -> None:
    """Forget the failures of `email` (after a successful login)."""
    with write(session):
        session.execute(delete(LoginThrottle).where(LoginThrottle.key == _key(email)))
