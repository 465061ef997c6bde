"""Account services: create, authenticate, change passwords and roles. Each takes a Session."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from cocourse.accounts.passwords import password_problem
from cocourse.accounts.sessions import revoke_all_within
from cocourse.db import write
from cocourse.models import Role, User, utcnow

MIN_PASSWORD = 10
MAX_PASSWORD = 256
# Checked against when the email is unknown, so both failures cost the same time.
_DUMMY_HASH = generate_password_hash("not a real password, only a timing decoy")


class AccountError(ValueError):
    """A request about accounts that cannot be carried out; the message says why."""


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
    session: Session, email: str, name: str, password: str, role: Role = Role.LEARNER
) -> User:
    """Create an account; raises AccountError if the email is taken or the password is
    common or personal (`check_new_password`)."""
    check_new_password(password, email, name)
    user = User(
        email=normalize_email(email),
        name=name.strip(),
        password_hash=hash_password(password),
        role=role.value,
    )
    try:
        with write(session):
            session.add(user)
    except IntegrityError:
        raise AccountError("An account with this email already exists.") from None
    return user


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

    Raises AccountError for a wrong current password, and for a common or personal new one."""
    if not check_password_hash(user.password_hash, current):
        raise AccountError("Your current password is not correct.")
    check_new_password(new, user.email, user.name)
    with write(session):
        user.password_hash = hash_password(new)
        session.add(user)
        revoke_all_within(session, user.id, utcnow())


def set_role(session: Session, user_id: int, role: Role) -> User:
    """Give a person a role; the last admin cannot be demoted. A change of role ends all of
    the person's login sessions: they log in again with the new privileges."""
    with write(session):
        user = session.get(User, user_id, with_for_update=True)
        if user is None:
            raise AccountError("There is no such person.")
        if user.role == Role.ADMIN.value and role != Role.ADMIN:
            # Lock every admin row so two admins demoting each other cannot both succeed.
            admins = session.scalars(
                select(User.id).where(User.role == Role.ADMIN.value).with_for_update()
            ).all()
            if len(admins) == 1:
                raise AccountError("This is the only admin; make someone else admin first.")
        if user.role != role.value:
            revoke_all_within(session, user.id, utcnow())
        user.role = role.value
    return user


def has_admin(session: Session) -> bool:
    """Whether any admin account exists yet."""
    found = session.scalar(select(User.id).where(User.role == Role.ADMIN.value).limit(1))
    return found is not None


def list_users(session: Session, page: int, per_page: int = 50) -> tuple[list[User], int]:
    """One page of people ordered by name, and the total count."""
    total = session.scalar(select(func.count()).select_from(User)) or 0
    rows = session.scalars(
        select(User).order_by(User.name, User.id).offset((page - 1) * per_page).limit(per_page)
    )
    return list(rows), total
