"""Signing a person in from an identity provider's claims: link by verified email or create
the account, and keep the role in step with the provider. Nothing here reads the request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cocourse.accounts.services import normalize_email
from cocourse.accounts.sessions import revoke_all_within
from cocourse.cohorts.people import unusable_password
from cocourse.db import write
from cocourse.models import Role, User, utcnow
from cocourse.sso.settings import SsoSettings

# When several claim values map to roles, the strongest wins.
_RANK = {Role.LEARNER: 0, Role.SPONSOR: 1, Role.AUTHOR: 2, Role.ASSESSOR: 3, Role.ADMIN: 4}


class SignInRefused(Exception):
    """The provider vouched for someone cocourse will not sign in; `reason` goes to the
    security log, the message (translated when it is shown) to the person."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class SignedIn:
    """Who signed in, and what the sign-in changed."""

    user: User
    created: bool
    old_role: str | None  # set when the provider's claim changed the role


def verified_email(claims: Mapping[str, Any]) -> str:
    """The claims' email when the provider says it verified it; raises SignInRefused."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email.strip():
        raise SignInRefused(
            "missing_email",
            _(
                "Your organization's sign-in did not tell us your email address, so we cannot "
                "find your account. Ask your administrator to release the email claim to cocourse."
            ),
        )
    # Some providers send the flag as a string.
    if claims.get("email_verified") not in (True, "true"):
        raise SignInRefused(
            "unverified_email",
            _(
                "Your organization's sign-in says your email address is not verified, so we "
                "cannot link it to an account. Verify it with your organization, then try again."
            ),
        )
    return normalize_email(email)


def mapped_role(claims: Mapping[str, Any], settings: SsoSettings) -> Role | None:
    """The role the claim gives (learner when nothing matches); None without a mapping."""
    if not settings.roles_claim or not settings.roles:
        return None
    value = claims.get(settings.roles_claim)
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    found = [settings.roles[v] for v in values if isinstance(v, str) and v in settings.roles]
    return max(found, key=_RANK.__getitem__, default=Role.LEARNER)


def display_name(claims: Mapping[str, Any], email: str) -> str:
    """The person's name from the claims, else the part of the email before the @."""
    for claim in ("name", "preferred_username"):
        value = claims.get(claim)
        if isinstance(value, str) and value.strip():
            return value.strip()[:120]
    return email.partition("@")[0][:120]


def sign_in(session: Session, claims: Mapping[str, Any], settings: SsoSettings) -> SignedIn:
    """Find or create the account of verified claims and update its role, in one
    transaction; raises SignInRefused (changing nothing) for a missing or unverified email
    and for a deactivated account."""
    email = verified_email(claims)
    role = mapped_role(claims, settings)
    try:
        return _sign_in(session, email, claims, role)
    except IntegrityError:
        # Two first sign-ins of one person at once: the other created the account.
        return _sign_in(session, email, claims, role)


def _sign_in(
    session: Session, email: str, claims: Mapping[str, Any], role: Role | None
) -> SignedIn:
    with write(session):
        user = session.scalar(select(User).where(User.email == email).with_for_update())
        if user is None:
            user = User(
                email=email,
                name=display_name(claims, email),
                password_hash=unusable_password(),
                role=(role or Role.LEARNER).value,
                created_at=utcnow(),
            )
            session.add(user)
            session.flush()
            return SignedIn(user, True, None)
        if not user.is_active:
            raise SignInRefused(
                "deactivated",
                _(
                    "Your cocourse account is deactivated. "
                    "Ask an administrator if you need it again."
                ),
            )
        old_role = user.role
        if role is None or role.value == old_role or _last_admin(session, user, role):
            return SignedIn(user, False, None)
        user.role = role.value
        # As with a change on the People page: every other login of the person ends.
        revoke_all_within(session, user.id, utcnow())
        return SignedIn(user, False, old_role)


def _last_admin(session: Session, user: User, role: Role) -> bool:
    """Whether the change would leave no admin (then the role is kept)."""
    if user.role != Role.ADMIN.value or role == Role.ADMIN:
        return False
    admins = session.scalars(
        select(User.id).where(User.role == Role.ADMIN.value).with_for_update()
    ).all()
    return len(admins) <= 1


def may_use_password(session: Session, email: str, settings: SsoSettings | None) -> bool:
    """Whether password login is open to this email: always when SSO is off or password
    login is on; otherwise only for a listed break-glass email of an admin account."""
    if settings is None or settings.password_login:
        return True
    email = normalize_email(email or "")
    if email not in settings.break_glass:
        return False
    role = session.scalar(select(User.role).where(User.email == email))
    return role == Role.ADMIN.value
