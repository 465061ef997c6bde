"""Account services: create, authenticate, change passwords and roles. Each takes a Session."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from cocourse.db import write
from cocourse.models import Role, User

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


def create_user(
    session: Session, email: str, name: str, password: str, role: Role = Role.LEARNER
) -> User:
    """Create an account; raises AccountError if the email is taken."""
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
    """Replace the password after checking the current one."""
    if not check_password_hash(user.password_hash, current):
        raise AccountError("Your current password is not correct.")
    with write(session):
        user.password_hash = hash_password(new)
        session.add(user)


def set_role(session: Session, user_id: int, role: Role) -> User:
    """Give a person a role; the last admin cannot be demoted."""
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
