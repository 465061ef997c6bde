"""The opportunity board: situations where co-creation could help, proposed by anyone,
supported, discussed, and triaged by facilitators (step 1 of the programme).

Every function takes a Session; the ones that change something own their transaction
(`cocourse.db.write`). Checks that depend on who asks (`may_edit`, `may_triage`) are here
too, so that the views only translate their answers into 403 and 404.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import Select, and_, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cocourse.accounts.services import like_pattern
from cocourse.content.model import Course
from cocourse.db import upsert, write
from cocourse.models import (
    Certificate,
    Opportunity,
    OpportunityComment,
    OpportunitySupport,
    QuizAttempt,
    Role,
    User,
    utcnow,
)

# Status values as stored, and how pages name them ("parked" reads "Not for now").
STATUSES: Mapping[str, Any] = {
    "open": _l("Open"),
    "planned": _l("Planned"),
    "workshop": _l("Workshop"),
    # A context of its own: "Done" names other things elsewhere.
    "done": lazy_pgettext("opportunity status", "Done"),
    "parked": _l("Not for now"),
}
# A facilitator says why when an opportunity is set aside or finished.
NEEDS_REASON = frozenset({"parked", "done"})
SCOPES: Mapping[str, Any] = {
    "internal": _l("Inside the organization"),
    "clients": _l("With clients"),
}
SORTS: Mapping[str, Any] = {"support": _l("Most supported"), "new": _l("Newest")}
MIN_TITLE, MAX_TITLE = 3, 200
MAX_TEXT = 4000  # stake, who is involved, a comment
MAX_REASON = 1000
MAX_SEARCH = 100


class OpportunityError(ValueError):
    """Input that cannot be saved; `field` names the form field the message belongs to."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class NotAllowed(PermissionError):
    """The person may not do this to this opportunity."""


@dataclass(frozen=True)
class Proposal:
    """What a person writes when proposing or editing an opportunity."""

    title: str
    stake: str
    involved: str = ""
    scope: str = "internal"


@dataclass(frozen=True)
class BoardFilter:
    """The board's filters: a status, a scope, words in the title, and the order."""

    status: str = ""
    scope: str = ""
    search: str = ""
    sort: str = "support"


@dataclass(frozen=True)
class BoardRow:
    """An opportunity on the board, with its counts and whether the viewer supports it."""

    opportunity: Opportunity
    proposer: str
    supporters: int
    comments: int
    supported: bool


@dataclass(frozen=True)
class Detail:
    """One opportunity with who proposed it, its supporters and a page of its comments."""

    opportunity: Opportunity
    proposer: str
    supporters: int
    supported: bool
    comments: list[OpportunityComment]
    comment_total: int


def clean(proposal: Proposal) -> Proposal:
    """The proposal with spaces tidied; raises OpportunityError for unusable input."""
    title = " ".join(proposal.title.split())
    stake = proposal.stake.strip()
    involved = proposal.involved.strip()
    if len(title) < MIN_TITLE:
        raise OpportunityError(
            "title",
            _("Give the opportunity a title of at least %(least)s characters.", least=MIN_TITLE),
        )
    if len(title) > MAX_TITLE:
        raise OpportunityError(
            "title", _("Use at most %(most)s characters for the title.", most=MAX_TITLE)
        )
    if not stake:
        raise OpportunityError("stake", _("Say what is at stake: why would this be worth it?"))
    if len(stake) > MAX_TEXT:
        raise OpportunityError(
            "stake", _("Use at most %(most)s characters for what is at stake.", most=MAX_TEXT)
        )
    if len(involved) > MAX_TEXT:
        raise OpportunityError(
            "involved", _("Use at most %(most)s characters for who is involved.", most=MAX_TEXT)
        )
    if proposal.scope not in SCOPES:
        raise OpportunityError(
            "scope", _("Choose whether this is inside the organization or with clients.")
        )
    return Proposal(title, stake, involved, proposal.scope)


def get(session: Session, opportunity_id: int) -> Opportunity | None:
    """The opportunity with this id, or None."""
    return session.get(Opportunity, opportunity_id)


def propose(session: Session, user: User, proposal: Proposal) -> Opportunity:
    """Put a new, open opportunity on the board in the person's name."""
    cleaned = clean(proposal)
    now = utcnow()
    found = Opportunity(
        title=cleaned.title,
        stake=cleaned.stake,
        involved=cleaned.involved,
        scope=cleaned.scope,
        status="open",
        status_reason="",
        proposer_id=user.id,
        created_at=now,
        updated_at=now,
    )
    with write(session):
        session.add(found)
    return found


def may_edit(user: User, opportunity: Opportunity) -> bool:
    """The proposer and admins may change what an opportunity says."""
    return user.is_admin or (
        opportunity.proposer_id is not None and opportunity.proposer_id == user.id
    )


def edit(session: Session, user: User, opportunity_id: int, proposal: Proposal) -> Opportunity:
    """Change an opportunity's title, stake, people involved and scope (not its status)."""
    cleaned = clean(proposal)
    with write(session):
        found = session.get(Opportunity, opportunity_id, with_for_update=True)
        if found is None or not may_edit(user, found):
            raise NotAllowed("Only the person who proposed it, or an admin, can edit it.")
        found.title, found.stake = cleaned.title, cleaned.stake
        found.involved, found.scope = cleaned.involved, cleaned.scope
        found.updated_at = utcnow()
    return found


def support(session: Session, opportunity_id: int, user_id: int) -> bool:
    """Add the person's support; idempotent, also when two clicks arrive at once. True if new.

    The primary key (opportunity, person) keeps one row each; ON CONFLICT DO NOTHING lets
    the second of two concurrent inserts pass quietly. An IntegrityError that remains means
    the opportunity (or account) was deleted meanwhile.
    """
    table = OpportunitySupport.__table__
    try:
        with write(session):
            if session.get(Opportunity, opportunity_id) is None:
                raise OpportunityError("opportunity", _("This opportunity no longer exists."))
            result = session.execute(
                upsert(session)(table)
                .values(opportunity_id=opportunity_id, user_id=user_id, created_at=utcnow())
                .on_conflict_do_nothing(index_elements=["opportunity_id", "user_id"])
                .returning(table.c.user_id)
            )
            return result.first() is not None
    except IntegrityError:
        raise OpportunityError("opportunity", _("This opportunity no longer exists.")) from None


def unsupport(session: Session, opportunity_id: int, user_id: int) -> bool:
    """Withdraw the person's support; True if they supported it (idempotent)."""
    with write(session):
        found = session.get(OpportunitySupport, (opportunity_id, user_id))
        if found is None:
            return False
        session.delete(found)
    return True


def comment(session: Session, opportunity_id: int, user: User, body: str) -> OpportunityComment:
    """Add a comment (1 to MAX_TEXT characters) under the person's current name."""
    text = body.strip()
    if not text:
        raise OpportunityError("body", _("Write a comment before posting it."))
    if len(text) > MAX_TEXT:
        raise OpportunityError(
            "body", _("Use at most %(most)s characters for a comment.", most=MAX_TEXT)
        )
    row = OpportunityComment(
        opportunity_id=opportunity_id,
        user_id=user.id,
        author_name=user.name,
        body=text,
        created_at=utcnow(),
    )
    try:
        with write(session):
            if session.get(Opportunity, opportunity_id) is None:
                raise OpportunityError("body", _("This opportunity no longer exists."))
            session.add(row)
    except IntegrityError:
        raise OpportunityError("body", _("This opportunity no longer exists.")) from None
    return row


def may_triage(session: Session, user: User, today: date | None = None) -> bool:
    """Whether the person is a facilitator: an admin, an assessor, or someone holding a
    current certificate (not revoked, not superseded, not expired on `today`)."""
    if user.role in (Role.ADMIN.value, Role.ASSESSOR.value):
        return True
    day = today or utcnow().date()
    held = select(Certificate.id).where(
        Certificate.user_id == user.id,
        Certificate.revoked_at.is_(None),
        Certificate.superseded_at.is_(None),
        Certificate.expires_on >= day,
    )
    return bool(session.scalar(select(exists(held))))


def triage(
    session: Session, user: User, opportunity_id: int, status: str, reason: str
) -> Opportunity:
    """Move an opportunity to a status, with a reason (required for "done" and "parked")."""
    reason = reason.strip()
    if status not in STATUSES:
        raise OpportunityError("status", _("Choose one of the statuses offered."))
    if status in NEEDS_REASON and not reason:
        raise OpportunityError(
            "reason", _("Say why the opportunity is “%(status)s”.", status=STATUSES[status])
        )
    if len(reason) > MAX_REASON:
        raise OpportunityError(
            "reason", _("Use at most %(most)s characters for the reason.", most=MAX_REASON)
        )
    if not may_triage(session, user):
        raise NotAllowed("Only facilitators and admins can change an opportunity's status.")
    with write(session):
        found = session.get(Opportunity, opportunity_id, with_for_update=True)
        if found is None:
            raise OpportunityError("status", _("This opportunity no longer exists."))
        found.status, found.status_reason = status, reason
        found.updated_at = utcnow()
    return found


def _supporters() -> Any:
    return (
        select(OpportunitySupport.opportunity_id, func.count().label("n"))
        .group_by(OpportunitySupport.opportunity_id)
        .subquery()
    )


def _comment_counts() -> Any:
    return (
        select(OpportunityComment.opportunity_id, func.count().label("n"))
        .group_by(OpportunityComment.opportunity_id)
        .subquery()
    )


def _filtered(query: Select[Any], wanted: BoardFilter) -> Select[Any]:
    if wanted.status in STATUSES:
        query = query.where(Opportunity.status == wanted.status)
    if wanted.scope in SCOPES:
        query = query.where(Opportunity.scope == wanted.scope)
    search = wanted.search.strip()[:MAX_SEARCH]
    if search:
        query = query.where(func.lower(Opportunity.title).like(like_pattern(search), escape="\\"))
    return query


def board(
    session: Session, viewer_id: int, wanted: BoardFilter, page: int, per_page: int
) -> tuple[list[BoardRow], int]:
    """One page of the opportunities matching the filters, and how many match."""
    total = session.scalar(_filtered(select(func.count(Opportunity.id)), wanted)) or 0
    supporters, comments = _supporters(), _comment_counts()
    backed = func.coalesce(supporters.c.n, 0)
    mine = exists().where(
        and_(
            OpportunitySupport.opportunity_id == Opportunity.id,
            OpportunitySupport.user_id == viewer_id,
        )
    )
    query = (
        select(Opportunity, User.name, backed, func.coalesce(comments.c.n, 0), mine)
        .outerjoin(User, User.id == Opportunity.proposer_id)
        .outerjoin(supporters, supporters.c.opportunity_id == Opportunity.id)
        .outerjoin(comments, comments.c.opportunity_id == Opportunity.id)
    )
    newest = (Opportunity.created_at.desc(), Opportunity.id.desc())
    order = newest if wanted.sort == "new" else (backed.desc(), *newest)
    rows = session.execute(
        _filtered(query, wanted).order_by(*order).offset((page - 1) * per_page).limit(per_page)
    )
    return [
        BoardRow(found, name or "A former member", int(n), int(c), bool(own))
        for found, name, n, c, own in rows
    ], total


def status_counts(session: Session) -> dict[str, int]:
    """How many opportunities have each status (every status, zero included)."""
    rows = session.execute(
        select(Opportunity.status, func.count(Opportunity.id)).group_by(Opportunity.status)
    )
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({status: int(n) for status, n in rows})
    return counts


def detail(
    session: Session, opportunity_id: int, viewer_id: int, page: int, per_page: int
) -> Detail | None:
    """An opportunity with its supporters count, the viewer's support and a page of comments
    (oldest first); None when there is no such opportunity."""
    found = session.get(Opportunity, opportunity_id)
    if found is None:
        return None
    proposer = session.get(User, found.proposer_id) if found.proposer_id else None
    backers = select(func.count()).where(OpportunitySupport.opportunity_id == opportunity_id)
    own = session.get(OpportunitySupport, (opportunity_id, viewer_id)) is not None
    comments = session.scalars(
        select(OpportunityComment)
        .where(OpportunityComment.opportunity_id == opportunity_id)
        .order_by(OpportunityComment.created_at, OpportunityComment.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return Detail(
        opportunity=found,
        proposer=proposer.name if proposer else "A former member",
        supporters=session.scalar(backers) or 0,
        supported=own,
        comments=list(comments),
        comment_total=comment_count(session, opportunity_id),
    )


def comment_count(session: Session, opportunity_id: int) -> int:
    """How many comments an opportunity has."""
    query = select(func.count(OpportunityComment.id)).where(
        OpportunityComment.opportunity_id == opportunity_id
    )
    return session.scalar(query) or 0


# A reflection question tagged `opportunity` in the course asks for one; after the quiz, the
# learner may put their answer on the board.
TAG = "opportunity"


def from_attempt(
    session: Session, course: Course, attempt_id: int, user_id: int
) -> tuple[str, str] | None:
    """(module slug, answer) of the first answered question tagged `opportunity` in the
    person's own submitted attempt; None when there is no such answer."""
    attempt = session.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.user_id != user_id or attempt.submitted_at is None:
        return None
    found = course.quiz(attempt.quiz_id)
    if found is None:
        return None
    _module, lesson = found
    answers = attempt.answers or {}
    for question in lesson.questions:
        text = answers.get(question.id)
        if TAG in question.tags and isinstance(text, str) and text.strip():
            return attempt.module_slug, text.strip()[:MAX_TEXT]
    return None
