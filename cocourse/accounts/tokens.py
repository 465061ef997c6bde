"""Single-use links sent by email: invitations, password resets and email changes.

The link carries a random token of 256 bits; the database keeps only its SHA-256 (as for
login sessions), so a copy of the database opens no account. A token works once, until it
expires, and only while its account is active; a newer token of the same purpose replaces
the older one. The email is queued in the transaction that stores the token. Each function
takes a SQLAlchemy session and owns its transaction, except `invite_within`, which runs
inside a caller's (the people import). An email speaks its recipient's language: their
setting, else the language of the request that sends it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cocourse.accounts.services import (
    AccountError,
    check_new_password,
    hash_password,
    normalize_email,
)
from cocourse.accounts.sessions import new_token, revoke_all_within, token_hash
from cocourse.db import write
from cocourse.mail.outbox import queue
from cocourse.models import AccountToken, Cohort, CohortMember, User, utcnow
from cocourse.web.i18n import speaking

INVITATION, RESET, EMAIL = "invitation", "reset", "email"
# The link for a token, made by the caller (the views know the URLs).
LinkMaker = Callable[[str], str]


class TokenError(AccountError):
    """A link that cannot be used; the message says why without naming the account."""


def _lifetime(purpose: str) -> timedelta:
    config = current_app.config
    if purpose == INVITATION:
        return timedelta(days=float(config["INVITATION_DAYS"]))
    if purpose == RESET:
        return timedelta(hours=float(config["RESET_HOURS"]))
    return timedelta(hours=float(config["EMAIL_CHANGE_HOURS"]))


def _when(moment: datetime) -> str:
    """The moment for an email, the month in words of its language: "05 December 2026, 14:30
    UTC"."""
    return str(format_datetime(moment.astimezone(UTC), "dd MMMM y, HH:mm 'UTC'", rebase=False))


def _issue(
    session: Session, user: User, purpose: str, now: datetime, new_email: str | None = None
) -> tuple[str, datetime]:
    """A new token replacing the person's earlier ones of this purpose, in the open write."""
    session.execute(
        delete(AccountToken).where(AccountToken.user_id == user.id, AccountToken.purpose == purpose)
    )
    token = new_token()
    expires_at = now + _lifetime(purpose)
    session.add(
        AccountToken(
            id=token_hash(token),
            user_id=user.id,
            purpose=purpose,
            new_email=new_email,
            created_at=now,
            expires_at=expires_at,
        )
    )
    return token, expires_at


def cohort_names(session: Session, user_id: int) -> list[str]:
    """The names of the cohorts a person is in, by name."""
    return list(
        session.scalars(
            select(Cohort.name)
            .join(CohortMember, CohortMember.cohort_id == Cohort.id)
            .where(CohortMember.user_id == user_id)
            .order_by(Cohort.name)
        )
    )


def invite_within(
    session: Session, user: User, link: LinkMaker, inviter: str = "", now: datetime | None = None
) -> None:
    """Invite a person inside the caller's write transaction: a new invitation link (the
    old one stops working) and its email."""
    now = now or utcnow()
    token, expires_at = _issue(session, user, INVITATION, now)
    with speaking(user.language):
        queue(
            session,
            user.email,
            "invitation",
            {
                "name": user.name,
                "email": user.email,
                "inviter": inviter,
                "cohorts": cohort_names(session, user.id),
                "link": link(token),
                "expires": _when(expires_at),
            },
        )


def invite(session: Session, user_id: int, link: LinkMaker, inviter: str = "") -> User:
    """Invite (or invite again) a person who has not set a password yet."""
    with write(session):
        user = session.get(User, user_id, with_for_update=True)
        if user is None:
            raise AccountError(_("There is no such person."))
        if not user.is_active:
            raise AccountError(
                _("%(name)s's account is deactivated; reactivate it first.", name=user.name)
            )
        if not user.password_hash.startswith("!"):
            raise AccountError(
                _(
                    "%(name)s has set a password already; send a password reset instead.",
                    name=user.name,
                )
            )
        invite_within(session, user, link, inviter)
    return user


def _reset_within(session: Session, user: User, link: LinkMaker) -> None:
    token, expires_at = _issue(session, user, RESET, utcnow())
    with speaking(user.language):
        queue(
            session,
            user.email,
            "password_reset",
            {"name": user.name, "link": link(token), "expires": _when(expires_at)},
        )


def request_reset(session: Session, email: str, link: LinkMaker) -> int | None:
    """Send a reset link to the account with this email, if there is an active one; the
    person's id, or None. The caller answers the same either way."""
    with write(session):
        user = session.scalar(
            select(User).where(User.email == normalize_email(email)).with_for_update()
        )
        if user is None or not user.is_active:
            return None
        _reset_within(session, user, link)
        return user.id


def send_reset(session: Session, user_id: int, link: LinkMaker) -> User:
    """An admin sends a person a reset link."""
    with write(session):
        user = session.get(User, user_id, with_for_update=True)
        if user is None:
            raise AccountError(_("There is no such person."))
        if not user.is_active:
            raise AccountError(
                _("%(name)s's account is deactivated; reactivate it first.", name=user.name)
            )
        _reset_within(session, user, link)
    return user


def _usable(
    session: Session, token: str, purpose: str, now: datetime, lock: bool
) -> tuple[AccountToken, User]:
    """The token's row and person, or TokenError saying why the link cannot be used."""
    row = session.get(AccountToken, token_hash(token), with_for_update=lock)
    if row is None or row.purpose != purpose:
        raise TokenError(
            _(
                "This link is not valid: it may be mistyped, or a newer link replaced it. "
                "Use the newest email, or ask for a new link."
            )
        )
    if row.used_at is not None:
        raise TokenError(_("This link was used already; each link works once. Ask for a new one."))
    if row.expires_at <= now:
        raise TokenError(_("This link has expired. Ask for a new one."))
    user = session.get(User, row.user_id, with_for_update=lock)
    if user is None or not user.is_active:
        raise TokenError(_("This link can no longer be used. Ask for a new one."))
    return row, user


def check(session: Session, token: str, purpose: str) -> User:
    """The person a link is for, or TokenError (nothing is changed)."""
    _row, user = _usable(session, token, purpose, utcnow(), lock=False)
    session.rollback()
    return user


def pending_email(session: Session, token: str) -> tuple[User, str]:
    """The person and the new address of an email change link, or TokenError."""
    row, user = _usable(session, token, EMAIL, utcnow(), lock=False)
    session.rollback()
    return user, str(row.new_email)


def set_password(session: Session, token: str, purpose: str, password: str) -> User:
    """Set the password with an invitation or reset link; the link and any other
    invitation or reset link of the person stop working, and every login session ends.

    Raises TokenError for a bad link and AccountError for a common or personal password;
    then nothing is changed."""
    now = utcnow()
    with write(session):
        row, user = _usable(session, token, purpose, now, lock=True)
        check_new_password(password, user.email, user.name)
        user.password_hash = hash_password(password)
        row.used_at = now
        session.execute(
            delete(AccountToken).where(
                AccountToken.user_id == user.id,
                AccountToken.purpose.in_((INVITATION, RESET)),
                AccountToken.id != row.id,
            )
        )
        revoke_all_within(session, user.id, now)
    return user


def request_email_change(session: Session, user_id: int, new_email: str, link: LinkMaker) -> bool:
    """Send a confirmation link to the new address; whether one was sent. Nothing is sent
    when the address belongs to another account, and the caller answers the same, so the
    form tells nobody which addresses have accounts."""
    new_email = normalize_email(new_email)
    with write(session):
        user = session.get(User, user_id, with_for_update=True)
        if user is None or not user.is_active:
            raise AccountError(_("There is no such person."))
        if new_email == user.email:
            raise AccountError(_("That is your current address already."))
        taken = session.scalar(select(User.id).where(User.email == new_email))
        if taken is not None:
            return False
        token, expires_at = _issue(session, user, EMAIL, utcnow(), new_email=new_email)
        with speaking(user.language):
            queue(
                session,
                new_email,
                "email_confirm",
                {
                    "name": user.name,
                    "new_email": new_email,
                    "link": link(token),
                    "expires": _when(expires_at),
                },
            )
    return True


def confirm_email_change(session: Session, token: str) -> tuple[User, str]:
    """Change the address with a confirmation link and tell the old address; the person
    and the old address. TokenError for a bad link or an address taken meanwhile."""
    now = utcnow()
    try:
        with write(session):
            row, user = _usable(session, token, EMAIL, now, lock=True)
            old_email, new_email = user.email, str(row.new_email)
            user.email = new_email
            row.used_at = now
            session.flush()
            with speaking(user.language):
                queue(
                    session,
                    old_email,
                    "email_changed",
                    {
                        "name": user.name,
                        "old_email": old_email,
                        "new_email": new_email,
                        "contact": current_app.config.get("ISSUER_EMAIL") or "",
                    },
                )
    except IntegrityError:
        raise TokenError(
            _("That address is now used by another account, so it was not changed.")
        ) from None
    return user, old_email
