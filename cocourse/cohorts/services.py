"""Cohort services: groups of learners, join codes, assessors, and who may see whose data.

Every function takes a Session. The scoping helpers at the end (`learner_scope`,
`visible_learner_ids`, `can_view_learner`) are what every page that shows a learner's data
checks on the server.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, delete, false, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cocourse.accounts.services import normalize_email
from cocourse.db import upsert, write
from cocourse.models import Cohort, CohortAssessor, CohortMember, Role, User, utcnow

MAX_NAME = 120
MAX_DESCRIPTION = 500
STAFF_ROLES = (Role.ASSESSOR.value, Role.ADMIN.value)
# A role as shown to people (the stored value is the key).
ROLE_NAMES = {
    Role.LEARNER.value: _l("learner"),
    Role.ASSESSOR.value: _l("assessor"),
    Role.ADMIN.value: _l("admin"),
    Role.SPONSOR.value: _l("sponsor"),
    Role.AUTHOR.value: _l("author"),
}
# The same message for a code that was never issued, was replaced, belongs to a deleted
# cohort or is malformed: a wrong guess learns nothing.
UNKNOWN_CODE = "This join code is not valid. Check it with the person who gave it to you."
_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Short codes: 10 symbols of Crockford's base32 (no I, L, O or U), 50 bits, shown and stored
# as ABCD-EFGH-JK. Typed ones are read without case, hyphens or spaces, with Crockford's
# reading of the look-alikes (O as 0, I and L as 1).
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_SYMBOLS = 10
_LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_TYPED = re.compile(r"[\s-]+")


class CohortError(ValueError):
    """A request about cohorts that cannot be carried out; the message says why."""


def unknown_code() -> str:
    """UNKNOWN_CODE in the language of the request."""
    return str(_("This join code is not valid. Check it with the person who gave it to you."))


@dataclass(frozen=True)
class CohortSummary:
    """A cohort on the admin list: how many members, and who assesses it."""

    cohort: Cohort
    members: int
    assessors: tuple[str, ...]


@dataclass(frozen=True)
class LearnerRow:
    """A learner on an assessor's list, with the cohorts the viewer shares with them."""

    user: User
    cohorts: tuple[str, ...]


def new_join_code() -> str:
    """A fresh short join code like `ABCD-EFGH-JK`: 50 random bits from `secrets`, in
    symbols that cannot be mistaken for each other (guessing is rate limited)."""
    symbols = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_SYMBOLS))
    return short_code_form(symbols)


def short_code_form(symbols: str) -> str:
    """Ten code symbols written as a join code is stored and shown: ABCD-EFGH-JK."""
    return f"{symbols[:4]}-{symbols[4:8]}-{symbols[8:]}"


def short_code(typed: str) -> str | None:
    """The stored form of a short code as typed (any case, with or without hyphens or
    spaces, O for 0 and I or L for 1), or None if it cannot be one."""
    symbols = _TYPED.sub("", typed).upper().translate(_LOOK_ALIKES)
    if len(symbols) != CODE_SYMBOLS or any(c not in CODE_ALPHABET for c in symbols):
        return None
    return short_code_form(symbols)


def clean_name(name: str) -> str:
    """A cohort name without surrounding or repeated spaces; raises CohortError if unusable."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise CohortError(_("Give the cohort a name."))
    if len(cleaned) > MAX_NAME:
        raise CohortError(_("Use at most %(max)s characters for the name.", max=MAX_NAME))
    return cleaned


def _clean_description(description: str) -> str:
    cleaned = description.strip()
    if len(cleaned) > MAX_DESCRIPTION:
        raise CohortError(
            _("Use at most %(max)s characters for the description.", max=MAX_DESCRIPTION)
        )
    return cleaned


def _name_taken(session: Session, name: str, other_than: int | None = None) -> bool:
    """Whether another cohort has this name, ignoring case ("Sales" and "sales" clash)."""
    query = select(Cohort.id).where(func.lower(Cohort.name) == name.lower())
    if other_than is not None:
        query = query.where(Cohort.id != other_than)
    return session.scalar(query.limit(1)) is not None


def get_cohort(session: Session, cohort_id: int) -> Cohort | None:
    """The cohort with this id, or None."""
    return session.get(Cohort, cohort_id)


def create_cohort(session: Session, name: str, description: str = "") -> Cohort:
    """A new cohort with a fresh join code; raises CohortError for a bad or taken name."""
    name, description = clean_name(name), _clean_description(description)
    try:
        with write(session):
            if _name_taken(session, name):
                raise CohortError(_("There is already a cohort called %(name)s.", name=name))
            cohort = Cohort(
                name=name, description=description, join_code=new_join_code(), created_at=utcnow()
            )
            session.add(cohort)
            session.flush()
    except IntegrityError:  # created at the same moment by someone else
        raise CohortError(_("There is already a cohort called %(name)s.", name=name)) from None
    return cohort


def update_cohort(session: Session, cohort_id: int, name: str, description: str) -> Cohort:
    """Rename a cohort and change its description."""
    name, description = clean_name(name), _clean_description(description)
    try:
        with write(session):
            cohort = session.get(Cohort, cohort_id)
            if cohort is None:
                raise CohortError(_("There is no such cohort."))
            if _name_taken(session, name, other_than=cohort_id):
                raise CohortError(_("There is already a cohort called %(name)s.", name=name))
            cohort.name, cohort.description = name, description
            session.flush()
    except IntegrityError:
        raise CohortError(_("There is already a cohort called %(name)s.", name=name)) from None
    return cohort


def regenerate_code(session: Session, cohort_id: int) -> Cohort:
    """Replace the join code; the old code and link stop working at once."""
    with write(session):
        cohort = session.get(Cohort, cohort_id)
        if cohort is None:
            raise CohortError(_("There is no such cohort."))
        cohort.join_code = new_join_code()
    return cohort


def delete_cohort(session: Session, cohort_id: int) -> bool:
    """Delete a cohort with its memberships and assessor assignments (never the accounts)."""
    with write(session):
        # The foreign keys cascade to cohort_member and cohort_assessor.
        result = session.execute(delete(Cohort).where(Cohort.id == cohort_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def list_cohorts(session: Session) -> list[CohortSummary]:
    """Every cohort by name, with its member count (one query) and assessors (one more)."""
    members = (
        select(func.count(CohortMember.id))
        .where(CohortMember.cohort_id == Cohort.id)
        .correlate(Cohort)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Cohort, members.label("members")).order_by(func.lower(Cohort.name), Cohort.id)
    ).all()
    names: dict[int, list[str]] = {}
    for cohort_id, name in session.execute(
        select(CohortAssessor.cohort_id, User.name)
        .join(User, User.id == CohortAssessor.user_id)
        .order_by(User.name, User.id)
    ):
        names.setdefault(cohort_id, []).append(name)
    return [CohortSummary(cohort, count, tuple(names.get(cohort.id, ()))) for cohort, count in rows]


def members(
    session: Session, cohort_id: int, page: int = 1, per_page: int = 50
) -> tuple[list[tuple[User, CohortMember]], int]:
    """One page of a cohort's members by name (with when they joined), and the total."""
    total = (
        session.scalar(
            select(func.count(CohortMember.id)).where(CohortMember.cohort_id == cohort_id)
        )
        or 0
    )
    rows = session.execute(
        select(User, CohortMember)
        .join(CohortMember, CohortMember.user_id == User.id)
        .where(CohortMember.cohort_id == cohort_id)
        .order_by(User.name, User.id)
        .offset((max(page, 1) - 1) * per_page)
        .limit(per_page)
    )
    return [(user, member) for user, member in rows], total


def assessors(session: Session, cohort_id: int) -> list[User]:
    """The people assigned to assess a cohort, by name."""
    return list(
        session.scalars(
            select(User)
            .join(CohortAssessor, CohortAssessor.user_id == User.id)
            .where(CohortAssessor.cohort_id == cohort_id)
            .order_by(User.name, User.id)
        )
    )


def staff(session: Session) -> list[User]:
    """Everyone who may be assigned to a cohort (assessors and admins), by name."""
    return list(
        session.scalars(select(User).where(User.role.in_(STAFF_ROLES)).order_by(User.name, User.id))
    )


def insert_member(session: Session, cohort_id: int, user_id: int) -> bool:
    """Add a membership inside the caller's write transaction; False if it already existed."""
    table = CohortMember.__table__
    result = session.execute(
        upsert(session)(table)
        .values(cohort_id=cohort_id, user_id=user_id, joined_at=utcnow())
        .on_conflict_do_nothing(index_elements=["cohort_id", "user_id"])
        .returning(table.c.id)
    )
    return result.first() is not None


def add_member(session: Session, cohort_id: int, user_id: int) -> bool:
    """Put a person in a cohort; idempotent, also under concurrent requests. True if new."""
    try:
        with write(session):
            if session.get(Cohort, cohort_id) is None:
                raise CohortError(_("There is no such cohort."))
            if session.get(User, user_id) is None:
                raise CohortError(_("There is no such person."))
            return insert_member(session, cohort_id, user_id)
    except IntegrityError:  # the cohort or the account was deleted meanwhile
        raise CohortError(_("The cohort or the account no longer exists.")) from None


def add_member_by_email(session: Session, cohort_id: int, email: str) -> tuple[User, bool]:
    """Put the person with this email in a cohort; the person and whether they are new."""
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        raise CohortError(
            _(
                "There is no account with the email %(email)s. Add new people with a CSV file.",
                email=normalize_email(email),
            )
        )
    return user, add_member(session, cohort_id, user.id)


def remove_member(session: Session, cohort_id: int, user_id: int) -> bool:
    """Take a person out of a cohort (their account and progress stay); True if they were in."""
    with write(session):
        result = session.execute(
            delete(CohortMember).where(
                CohortMember.cohort_id == cohort_id, CohortMember.user_id == user_id
            )
        )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def assign_assessor(session: Session, cohort_id: int, user_id: int) -> bool:
    """Let an assessor (or admin) see a cohort's learners; idempotent. True if new."""
    table = CohortAssessor.__table__
    try:
        with write(session):
            if session.get(Cohort, cohort_id) is None:
                raise CohortError(_("There is no such cohort."))
            user = session.get(User, user_id)
            if user is None:
                raise CohortError(_("There is no such person."))
            if user.role not in STAFF_ROLES:
                raise CohortError(
                    _(
                        "%(name)s is a %(role)s; only assessors and admins can be assigned.",
                        name=user.name,
                        role=ROLE_NAMES.get(user.role, user.role),
                    )
                )
            result = session.execute(
                upsert(session)(table)
                .values(cohort_id=cohort_id, user_id=user_id)
                .on_conflict_do_nothing(index_elements=["cohort_id", "user_id"])
                .returning(table.c.id)
            )
            return result.first() is not None
    except IntegrityError:
        raise CohortError(_("The cohort or the account no longer exists.")) from None


def unassign_assessor(session: Session, cohort_id: int, user_id: int) -> bool:
    """Stop an assessor seeing a cohort's learners; True if they were assigned."""
    with write(session):
        result = session.execute(
            delete(CohortAssessor).where(
                CohortAssessor.cohort_id == cohort_id, CohortAssessor.user_id == user_id
            )
        )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def clean_code(code: str) -> str | None:
    """The code from what a person typed or pasted (a bare code or a whole join link): a
    short code in its stored form, else a long (older) code exactly as given, else None."""
    candidate = code.strip().rstrip("/").rsplit("/", 1)[-1]
    short = short_code(candidate)
    if short is not None:
        return short
    return candidate if _CODE.fullmatch(candidate) else None


def _by_code(session: Session, cleaned: str) -> Cohort | None:
    return session.scalar(select(Cohort).where(Cohort.join_code == cleaned))


def find_by_code(session: Session, code: str) -> Cohort | None:
    """The cohort this join code (or join link) opens, or None."""
    cleaned = clean_code(code)
    if cleaned is None:
        return None
    return _by_code(session, cleaned)


def join_by_code(session: Session, user_id: int, code: str) -> tuple[Cohort, bool]:
    """A person joins the cohort of a join code: the cohort, and whether they are new in it.

    Raises CohortError with UNKNOWN_CODE whatever is wrong with the code.
    """
    cleaned = clean_code(code)
    if cleaned is None:
        raise CohortError(unknown_code())
    try:
        with write(session):
            cohort = _by_code(session, cleaned)
            if cohort is None:
                raise CohortError(unknown_code())
            return cohort, insert_member(session, cohort.id, user_id)
    except IntegrityError:  # the cohort was deleted between the lookup and the insert
        raise CohortError(unknown_code()) from None


def memberships(session: Session, user_id: int) -> list[tuple[Cohort, CohortMember]]:
    """The cohorts a person is in, by name, with when they joined."""
    rows = session.execute(
        select(Cohort, CohortMember)
        .join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .where(CohortMember.user_id == user_id)
        .order_by(func.lower(Cohort.name), Cohort.id)
    )
    return [(cohort, member) for cohort, member in rows]


def assessed_by(session: Session, user_id: int) -> list[Cohort]:
    """The cohorts a person is assigned to assess, by name."""
    return list(
        session.scalars(
            select(Cohort)
            .join(CohortAssessor, CohortAssessor.cohort_id == Cohort.id)
            .where(CohortAssessor.user_id == user_id)
            .order_by(func.lower(Cohort.name), Cohort.id)
        )
    )


def is_member(session: Session, cohort_id: int, user_id: int) -> bool:
    """Whether a person is in a cohort."""
    found = session.scalar(
        select(CohortMember.id).where(
            CohortMember.cohort_id == cohort_id, CohortMember.user_id == user_id
        )
    )
    return found is not None


def _role(viewer: User | None) -> str | None:
    if viewer is None or not viewer.is_authenticated:
        return None
    return viewer.role


def _assessed_cohorts(viewer_id: int) -> Select[int]:
    return select(CohortAssessor.cohort_id).where(CohortAssessor.user_id == viewer_id)


def learner_scope(viewer: User | None) -> Select[int] | None:
    """A query of the user ids the viewer may see, for `User.id.in_(...)`; None: everyone."""
    role = _role(viewer)
    if role == Role.ADMIN.value:
        return None
    if viewer is None or role is None:
        return select(User.id).where(false())
    if role == Role.ASSESSOR.value:
        return select(CohortMember.user_id).where(
            CohortMember.cohort_id.in_(_assessed_cohorts(viewer.id))
        )
    return select(User.id).where(User.id == viewer.id)


def visible_learner_ids(session: Session, viewer: User | None) -> set[int] | None:
    """The ids of the learners the viewer may see; None means everyone (no filter)."""
    scope = learner_scope(viewer)
    return None if scope is None else set(session.scalars(scope))


def can_view_learner(session: Session, viewer: User | None, learner_id: int) -> bool:
    """Whether the viewer may see this learner's data (one query at most)."""
    role = _role(viewer)
    if viewer is None or role is None:
        return False
    if role == Role.ADMIN.value:
        return True
    if role == Role.ASSESSOR.value:
        found = session.scalar(
            select(CohortMember.id)
            .where(
                CohortMember.user_id == learner_id,
                CohortMember.cohort_id.in_(_assessed_cohorts(viewer.id)),
            )
            .limit(1)
        )
        return found is not None
    return viewer.id == learner_id


def cohort_names(
    session: Session, viewer: User | None, user_ids: Iterable[int]
) -> dict[int, tuple[str, ...]]:
    """For each person, the names of their cohorts that the viewer may see (admins: all;
    assessors: the ones they are assigned to)."""
    ids = list(user_ids)
    role = _role(viewer)
    if not ids or viewer is None or role is None:
        return {}
    query = (
        select(CohortMember.user_id, Cohort.name)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .where(CohortMember.user_id.in_(ids))
        .order_by(func.lower(Cohort.name), Cohort.id)
    )
    if role != Role.ADMIN.value:
        query = query.where(CohortMember.cohort_id.in_(_assessed_cohorts(viewer.id)))
    found: dict[int, list[str]] = {}
    for user_id, name in session.execute(query):
        found.setdefault(user_id, []).append(name)
    return {user_id: tuple(names) for user_id, names in found.items()}


def list_learners(
    session: Session, viewer: User | None, page: int = 1, per_page: int = 50
) -> tuple[list[LearnerRow], int]:
    """One page of the people the viewer may see, by name, with their cohorts; and the total."""
    query = select(User)
    scope = learner_scope(viewer)
    if scope is not None:
        query = query.where(User.id.in_(scope))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    users = list(
        session.scalars(
            query.order_by(User.name, User.id).offset((max(page, 1) - 1) * per_page).limit(per_page)
        )
    )
    names = cohort_names(session, viewer, (user.id for user in users))
    return [LearnerRow(user, names.get(user.id, ())) for user in users], total
