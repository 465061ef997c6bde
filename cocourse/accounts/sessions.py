"""Login sessions and remember-me tokens, kept on the server so that they can end.

The browser holds random tokens (in the signed Flask session, and in the remember-me
cookie); the database holds only their SHA-256. A request is logged in while its login
session row is live: not revoked and not expired. Each function takes a SQLAlchemy session
and owns its transaction, except `revoke_all_within`, which runs inside a caller's.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from cocourse.db import UNREAD, WRITING, write
from cocourse.models import LoginSession, Notification, RememberToken, User, utcnow

# Where the login session token is kept in the signed Flask session.
SESSION_KEY = "cocourse_sid"
# last_seen_at is written at most this often per login session.
SEEN_EVERY = timedelta(minutes=1)
# A rotated remember-me token presented again this soon (parallel tabs of one browser that
# sent the old cookie at once) is refused without ending the family.
REUSE_GRACE = timedelta(seconds=20)
# Ended login sessions and remember-me tokens are deleted this long after they ended (the
# security log keeps the history); a person's old rows go when they next log in.
KEEP_ENDED = timedelta(days=30)


def new_token() -> str:
    """A random token of 256 bits, URL-safe."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the database keeps of a token."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def start_session(
    session: Session,
    user_id: int,
    lifetime: timedelta,
    address: str = "",
    user_agent: str = "",
    family: str | None = None,
) -> str:
    """Record a new login and return the token for the browser's session."""
    token = new_token()
    now = utcnow()
    with write(session):
        _prune(session, user_id, now - KEEP_ENDED)
        session.add(
            LoginSession(
                id=token_hash(token),
                user_id=user_id,
                family=family,
                created_at=now,
                last_seen_at=now,
                expires_at=now + lifetime,
                address=(address or "")[:45],
                user_agent=(user_agent or "")[:200],
            )
        )
    return token


def _prune(session: Session, user_id: int, before: datetime) -> None:
    """Delete a person's login sessions and remember-me tokens that ended before `before`."""
    for model in (LoginSession, RememberToken):
        session.execute(
            delete(model).where(
                model.user_id == user_id,
                or_(model.expires_at < before, model.revoked_at < before),
            )
        )


def load_user(session: Session, token: str, user_id: str | int) -> User | None:
    """The person of a live login session, in one primary-key query; None otherwise.

    Notes the time it was last used, at most once a minute (and never from inside a write
    transaction the caller has open)."""
    try:
        wanted = int(user_id)
    except (TypeError, ValueError):
        return None
    # The unread notification count rides along: every page's menu shows it, and this saves
    # each page a round trip to the database (see `notifications.services.unread_count`).
    unread = (
        select(func.count())
        .where(Notification.user_id == User.id, Notification.read_at.is_(None))
        .correlate(User)
        .scalar_subquery()
    )
    row = session.execute(
        select(
            User,
            LoginSession.expires_at,
            LoginSession.revoked_at,
            LoginSession.last_seen_at,
            unread,
        )
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(LoginSession.id == token_hash(token))
    ).first()
    if row is None:
        return None
    user, expires_at, revoked_at, last_seen_at, count = row
    assert isinstance(user, User)
    session.info[UNREAD] = (user.id, int(count or 0))
    now = utcnow()
    if user.id != wanted or revoked_at is not None or expires_at <= now:
        return None
    if user.deactivated_at is not None:  # deactivated after this login began
        return None
    if now - last_seen_at >= SEEN_EVERY and not session.info.get(WRITING):
        with write(session):
            session.execute(
                update(LoginSession)
                .where(LoginSession.id == token_hash(token))
                .values(last_seen_at=now)
            )
    return user


def end_session(session: Session, token: str) -> None:
    """Revoke one login session (logging out)."""
    with write(session):
        session.execute(
            update(LoginSession)
            .where(LoginSession.id == token_hash(token), LoginSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )


def revoke_all_within(session: Session, user_id: int, now: datetime) -> int:
    """Revoke every live login session and remember-me token of a person, inside the
    caller's transaction; the number of login sessions ended."""
    ended = session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.execute(
        update(RememberToken)
        .where(RememberToken.user_id == user_id, RememberToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(getattr(ended, "rowcount", 0) or 0)


def end_all_sessions(session: Session, user_id: int) -> int:
    """Log a person out everywhere: every login session and remember-me token ends.

    For "log out everywhere", password and role changes, and deactivating an account."""
    with write(session):
        return revoke_all_within(session, user_id, utcnow())


def issue_remember(session: Session, user_id: int, lifetime: timedelta) -> tuple[str, datetime]:
    """A new remember-me token (a new family) and when it expires."""
    token = new_token()
    now = utcnow()
    expires_at = now + lifetime
    with write(session):
        session.add(
            RememberToken(
                id=token_hash(token),
                user_id=user_id,
                family=secrets.token_hex(16),
                created_at=now,
                expires_at=expires_at,
            )
        )
    return token, expires_at


@dataclass(frozen=True)
class Remembered:
    """The outcome of presenting a remember-me token.

    `user` is set when the token was good: `token` replaces it in the browser (same family
    and expiry). `reused` is set when a token that had already been replaced came back
    after the grace period: the family has been ended."""

    user: User | None = None
    token: str = ""
    expires_at: datetime | None = None
    family: str = ""
    reused: bool = False
    user_id: int | None = None


def use_remember(session: Session, token: str) -> Remembered:
    """Check a remember-me token and rotate it; see `Remembered`."""
    now = utcnow()
    with write(session):
        row = session.get(RememberToken, token_hash(token), with_for_update=True)
        if row is None or row.revoked_at is not None or row.expires_at <= now:
            return Remembered()
        if row.used_at is not None:
            if now - row.used_at < REUSE_GRACE:
                return Remembered(user_id=row.user_id)
            for model in (RememberToken, LoginSession):
                session.execute(
                    update(model)
                    .where(model.family == row.family, model.revoked_at.is_(None))
                    .values(revoked_at=now)
                )
            return Remembered(reused=True, user_id=row.user_id)
        user = session.get(User, row.user_id)
        if user is None or user.deactivated_at is not None:
            return Remembered()
        row.used_at = now
        fresh = new_token()
        session.add(
            RememberToken(
                id=token_hash(fresh),
                user_id=row.user_id,
                family=row.family,
                created_at=now,
                expires_at=row.expires_at,
            )
        )
        return Remembered(
            user=user, token=fresh, expires_at=row.expires_at, family=row.family, user_id=user.id
        )


def forget(session: Session, token: str) -> None:
    """Revoke the remember-me family of a token (logging out on that device)."""
    with write(session):
        row = session.get(RememberToken, token_hash(token))
        if row is not None:
            session.execute(
                update(RememberToken)
                .where(RememberToken.family == row.family, RememberToken.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
