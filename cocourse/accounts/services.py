"""Account services: create, authenticate, change passwords and roles. Each takes a Session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from cocourse.accounts.passwords import password_problem
from cocourse.accounts.sessions import revoke_all_within
from cocourse.db import write
from cocourse.models import Cohort, CohortMember, LoginSession, Role, User, utcnow

MIN_PASSWORD = 10
MAX_PASSWORD = 256
# Checked against when the email is unknown, so both failures cost the same time.
_DUMMY_HASH = generate_password_hash("not a real password, only a timing decoy")


class AccountError(ValueError):
    """A request about accounts that cannot be carried out; the message says why, in the
    language of the request."""


class WrongPasswordError(AccountError):
    """The current password typed to confirm a change is not the person's."""


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def hash_password(password: str) -> str:
    """A memory-hard (scrypt) hash of the password."""
    return generate_password_hash(password, method="scrypt")


def get_user(session: Session, user_id: str | int) -> User | None:
    """The user with this id, or None (also for ids that are not numbers)."""
    try:
        return session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None


def check_new_password(password: str, email: str, name: str) -> None:
    """Raise AccountError (saying why) for a common password or one containing the person's
    email name or a part of their name; length is the forms' business."""
    problem = password_problem(password, email, name)
    if problem is not None:
        raise AccountError(problem)


def create_user(
    session: Session,
    email: str,
    name: str,
    password: str,
    role: Role = Role.LEARNER,
    language: str | None = None,
) -> User:
    """Create an account; raises AccountError if the email is taken or the password is
    common or personal (`check_new_password`). `language`: the interface language the person
    signed up in, kept as their setting."""
    check_new_password(password, email, name)
    user = User(
        email=normalize_email(email),
        name=name.strip(),
        password_hash=hash_password(password),
        role=role.value,
        language=language,
    )
    try:
        with write(session):
            session.add(user)
    except IntegrityError:
        raise AccountError(_("An account with this email already exists.")) from None
    return user


def set_language(session: Session, user: User, language: str | None) -> None:
    """Keep the interface language `user` chose (a shipped language code, or None: the
    browser's)."""
    with write(session):
        user.language = language


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The user if email and password match, else None (same cost for both failures)."""
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    # Imported accounts without a password yet store "!..." (never a match): they must cost
    # the same as any other failure, or timing would tell which accounts exist.
    if user is None or user.password_hash.startswith("!"):
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """Replace the password after checking the current one, and end every login session
    and remember-me token of the person (the caller may start a new one for this browser).

    Raises WrongPasswordError for a wrong current password, and AccountError for a common or
    personal new one."""
    if not check_password_hash(user.password_hash, current):
        raise WrongPasswordError(_("Your current password is not correct."))
    check_new_password(new, user.email, user.name)
    with write(session):
        user.password_hash = hash_password(new)
        session.add(user)
        revoke_all_within(session, user.id, utcnow())


def set_role(session: Session, user_id: int, role: Role) -> User:
    """Give a person a role; the last admin cannot be demoted. A change of role ends all of
    the person's login sessions: they log in again with the new privileges."""
    with write(session):
        # Every active admin's row is locked first (as `deactivate` does, in one order), so
        # two admins demoting each other cannot both succeed.
        admins = _active_admins(session)
        user = session.get(User, user_id, with_for_update=True)
        if user is None:
            raise AccountError(_("There is no such person."))
        if user.role == Role.ADMIN.value and role != Role.ADMIN and admins in ([], [user.id]):
            raise AccountError(_("This is the only admin; make someone else admin first."))
        if user.role != role.value:
            revoke_all_within(session, user.id, utcnow())
        user.role = role.value
    return user


def _active_admins(session: Session) -> list[int]:
    """The ids of the admins who are not deactivated, their rows locked: two admins changing
    each other at the same moment cannot leave nobody in charge."""
    return list(
        session.scalars(
            select(User.id)
            .where(User.role == Role.ADMIN.value, User.deactivated_at.is_(None))
            .order_by(User.id)
            .with_for_update()
        )
    )


def deactivate(session: Session, user_id: int, actor_id: int) -> tuple[User, bool]:
    """Deactivate an account: no more logins, every login session and remember-me token
    ends at once; records stay. The person and whether anything changed.

    Refused for oneself and for the last active admin (AccountError says why)."""
    if user_id == actor_id:
        raise AccountError(_("You cannot deactivate your own account."))
    with write(session):
        admins = _active_admins(session)  # locked first, in one order, by every caller
        if actor_id not in admins:  # deactivated or demoted a moment ago by someone else
            raise AccountError(_("Your own account is no longer an active admin."))
        user = session.get(User, user_id, with_for_update=True)
        if user is None:
            raise AccountError(_("There is no such person."))
        if user.deactivated_at is not None:
            return user, False
        if user.id in admins and len(admins) == 1:
            raise AccountError(_("This is the only active admin; it cannot be deactivated."))
        now = utcnow()
        user.deactivated_at = now
        revoke_all_within(session, user.id, now)
    return user, True


def reactivate(session: Session, user_id: int) -> tuple[User, bool]:
    """Let a deactivated person log in again (with their password, as before); the person
    and whether anything changed."""
    with write(session):
        user = session.get(User, user_id, with_for_update=True)
        if user is None:
            raise AccountError(_("There is no such person."))
        changed = user.deactivated_at is not None
        user.deactivated_at = None
    return user, changed


def has_admin(session: Session) -> bool:
    """Whether any admin account exists yet."""
    found = session.scalar(select(User.id).where(User.role == Role.ADMIN.value).limit(1))
    return found is not None


@dataclass(frozen=True)
class PeopleFilter:
    """What the People page is narrowed to; empty values mean no filter."""

    search: str = ""  # part of the name or email, any case
    role: str = ""  # a Role value
    cohort_id: int | None = None
    status: str = ""  # "active" or "deactivated"


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its own % _ and \\ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def _filtered(query: Select[Any], wanted: PeopleFilter) -> Select[Any]:
    search = wanted.search.strip()
    if search:
        pattern = like_pattern(search)
        query = query.where(
            or_(
                func.lower(User.name).like(pattern, escape="\\"),
                func.lower(User.email).like(pattern, escape="\\"),
            )
        )
    if wanted.role:
        query = query.where(User.role == wanted.role)
    if wanted.status == "active":
        query = query.where(User.deactivated_at.is_(None))
    elif wanted.status == "deactivated":
        query = query.where(User.deactivated_at.is_not(None))
    if wanted.cohort_id is not None:
        members = select(CohortMember.user_id).where(CohortMember.cohort_id == wanted.cohort_id)
        query = query.where(User.id.in_(members))
    return query


def list_users(
    session: Session, page: int, per_page: int = 50, wanted: PeopleFilter | None = None
) -> tuple[list[User], int]:
    """One page of the people matching a filter, ordered by name, and how many match."""
    query = _filtered(select(User), wanted or PeopleFilter())
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(User.name, User.id).offset((page - 1) * per_page).limit(per_page)
    )
    return list(rows), total


def cohort_choices(session: Session) -> list[tuple[int, str]]:
    """Every cohort's id and name, by name, for the People page's cohort filter."""
    rows = session.execute(select(Cohort.id, Cohort.name).order_by(func.lower(Cohort.name)))
    return [(cohort_id, name) for cohort_id, name in rows]


@dataclass(frozen=True)
class LoginSummary:
    """When a person last logged in, and how many of their logins are live now."""

    last_login: datetime | None
    live: int


def login_summary(session: Session, user_id: int) -> LoginSummary:
    """The person's last login and live login sessions (from the login session rows)."""
    now = utcnow()
    last = session.scalar(
        select(func.max(LoginSession.created_at)).where(LoginSession.user_id == user_id)
    )
    live = session.scalar(
        select(func.count(LoginSession.id)).where(
            LoginSession.user_id == user_id,
            LoginSession.revoked_at.is_(None),
            LoginSession.expires_at > now,
        )
    )
    if last is not None and last.tzinfo is None:  # SQLite forgets zones in aggregates
        last = last.replace(tzinfo=UTC)
    return LoginSummary(last, int(live or 0))
