"""Portfolio services: enrol, log practicum sessions, submit, review, and issue on approval.

Every function takes a Session; every change runs in one write transaction with its audit
entry, so a failure leaves the previous state. A portfolio can be changed only by its
owner and only while it is a draft or has changes requested.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

import pluggy
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cocourse import audit
from cocourse.certification import (
    certificates,
    from_workshop,
    notices,
    practicum_rules,
    requirements,
)
from cocourse.certification.attachments import Stored
from cocourse.certification.from_workshop import WorkshopFacts
from cocourse.cohorts import services as cohorts
from cocourse.content.model import Course
from cocourse.content.program import Program
from cocourse.db import write
from cocourse.models import Certificate, Portfolio, PracticumSession, Review, Role, User, utcnow
from cocourse.plugins import Event, fire_events
from cocourse.web.i18n import day

DRAFT = "draft"
SUBMITTED = "submitted"
CHANGES = "changes-requested"
APPROVED = "approved"
EDITABLE = (DRAFT, CHANGES)
STATUS_LABELS = {
    DRAFT: _l("In progress"),
    SUBMITTED: _l("Submitted for review"),
    CHANGES: _l("Changes requested"),
    APPROVED: _l("Approved"),
}
# Words the pages show for statuses and roles.
LABELS = {
    "portfolio": STATUS_LABELS,
    "certificate": certificates.LABELS,
    "roles": practicum_rules.ROLES,
}
APPROVE = "approve"
REQUEST_CHANGES = "request-changes"
MAX_TEXT = 20_000
MAX_SHORT = 500
MAX_SESSIONS = 200  # per portfolio: far more than any programme asks for


class PortfolioError(ValueError):
    """A request about a portfolio that cannot be carried out; the message says why."""


def open_portfolio(session: Session, user_id: int, program: str) -> Portfolio | None:
    """The person's portfolio for the programme that is not yet approved, if any."""
    return session.scalar(
        select(Portfolio).where(
            Portfolio.user_id == user_id,
            Portfolio.program == program,
            Portfolio.status != APPROVED,
        )
    )


def latest(session: Session, user_id: int, program: str) -> Portfolio | None:
    """The person's most recent portfolio for the programme."""
    return session.scalar(
        select(Portfolio)
        .where(Portfolio.user_id == user_id, Portfolio.program == program)
        .order_by(Portfolio.id.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class Standing:
    """Where a person stands in one programme: open portfolio and current certificate."""

    program: Program
    portfolio: Portfolio | None
    certificate: Certificate | None
    certificate_status: str | None


def standings(
    session: Session, user_id: int, programs: Sequence[Program], today: date
) -> list[Standing]:
    """The person's standing in every programme (two queries, whatever the number)."""
    open_ones = {
        p.program: p
        for p in session.scalars(
            select(Portfolio).where(Portfolio.user_id == user_id, Portfolio.status != APPROVED)
        )
    }
    held = {
        c.program: c
        for c in session.scalars(
            select(Certificate).where(
                Certificate.user_id == user_id, Certificate.superseded_at.is_(None)
            )
        )
    }
    found = []
    for program in programs:
        cert = held.get(program.slug)
        state = certificates.status(cert, program, today) if cert else None
        found.append(Standing(program, open_ones.get(program.slug), cert, state))
    return found


def _create(session: Session, user: User, program: Program, kind: str) -> Portfolio:
    portfolio = Portfolio(user_id=user.id, program=program.slug, kind=kind, status=DRAFT)
    try:
        with write(session):
            if open_portfolio(session, user.id, program.slug) is not None:
                raise PortfolioError(_("You already have a portfolio in progress."))
            session.add(portfolio)
            session.flush()
            audit.record(session, user, f"enrolled-{kind}", f"portfolio:{portfolio.id}")
    except IntegrityError:
        # A concurrent enrolment won the unique index: theirs is the open portfolio.
        raise PortfolioError(_("You already have a portfolio in progress.")) from None
    return portfolio


def enrol(session: Session, course: Course, program: Program, user: User, today: date) -> Portfolio:
    """Start a first certification once the prerequisite tracks are complete."""
    missing = requirements.enrolment_blockers(session, course, program, user.id)
    if missing:
        raise PortfolioError(
            _("Complete these tracks first: %(tracks)s.", tracks=", ".join(missing))
        )
    held = certificates.current(session, user.id, program.slug)
    if held is not None and certificates.status(held, program, today) not in (
        certificates.EXPIRED,
        certificates.REVOKED,
    ):
        raise PortfolioError(_("You hold this certificate already; renew it instead."))
    return _create(session, user, program, requirements.CERTIFICATION)


def start_renewal(session: Session, program: Program, user: User, today: date) -> Portfolio:
    """Open a renewal portfolio while the current certificate is in its renewal window."""
    held = certificates.current(session, user.id, program.slug)
    if program.renewal is None or held is None:
        raise PortfolioError(_("There is no certificate to renew."))
    state = certificates.status(held, program, today)
    if state in (certificates.EXPIRED, certificates.REVOKED):
        raise PortfolioError(_("This certificate can no longer be renewed; certify again."))
    opens = requirements.renewal_opens(held, program)
    if today < opens:
        raise PortfolioError(_("Renewal opens on %(date)s.", date=day(opens)))
    return _create(session, user, program, requirements.RENEWAL)


def _editable(session: Session, portfolio_id: int, user: User) -> Portfolio:
    """The portfolio, locked for this transaction, if its owner may still change it."""
    portfolio = session.get(Portfolio, portfolio_id, with_for_update=True, populate_existing=True)
    if portfolio is None or portfolio.user_id != user.id:
        raise LookupError(portfolio_id)
    if portfolio.status not in EDITABLE:
        raise PortfolioError(_("This portfolio is under review or decided; it cannot be changed."))
    return portfolio


@dataclass(frozen=True)
class SessionValues:
    """A practicum session as entered on the form (already validated for type)."""

    held_on: date
    minutes: int
    participants: int
    role: str
    stakeholder_groups: str
    beyond_team: bool
    co_facilitators: str
    purpose: str
    methods: str
    harvest: str
    feedback: str
    reflection: Mapping[str, str]


def _check_values(values: SessionValues, today: date) -> None:
    if values.held_on > today:
        raise PortfolioError(
            _("Log sessions once they have taken place (the date is in the future).")
        )
    if values.role not in practicum_rules.ROLES:
        raise PortfolioError(_("Choose lead facilitator or co-facilitator."))
    if not 1 <= values.minutes <= 24 * 60:
        raise PortfolioError(_("Give the duration in minutes, between 1 and 1440."))
    if not 1 <= values.participants <= 10_000:
        raise PortfolioError(_("Give the number of participants, between 1 and 10000."))
    short = (values.stakeholder_groups, values.co_facilitators)
    if any(len(text) > MAX_SHORT for text in short):
        raise PortfolioError(
            _(
                "Keep stakeholder groups and co-facilitators under %(count)s characters.",
                count=MAX_SHORT,
            )
        )
    texts = (
        values.purpose,
        values.methods,
        values.harvest,
        values.feedback,
        *values.reflection.values(),
    )
    if any(len(text) > MAX_TEXT for text in texts):
        raise PortfolioError(_("Keep each text under %(count)s characters.", count=MAX_TEXT))


def save_session(
    session: Session,
    program: Program,
    portfolio_id: int,
    user: User,
    values: SessionValues,
    today: date,
    *,
    session_id: int | None = None,
    attachment: Stored | None = None,
    record: WorkshopFacts | None = None,
) -> tuple[PracticumSession, str | None]:
    """Add or change a logged session; returns it and the key of a replaced attachment.

    `attachment` is a file already kept by an attachment store (`attachments.Store.put`). With a
    workshop `record`, the session's date, length, participants, role, co-facilitators and
    feedback are the record's, whatever `values` says.
    """
    if record is not None:
        values = replace(
            values,
            held_on=record.held_on,
            minutes=record.minutes,
            participants=record.participants,
            role=record.role,
            co_facilitators=record.co_facilitators,
            feedback=record.feedback,
        )
    _check_values(values, today)
    rule = program.practicum
    reflection = {p.id: values.reflection.get(p.id, "").strip() for p in rule.prompts}
    with write(session):
        portfolio = _editable(session, portfolio_id, user)
        if session_id is None:
            logged = session.scalar(
                select(func.count(PracticumSession.id)).where(
                    PracticumSession.portfolio_id == portfolio.id
                )
            )
            if (logged or 0) >= MAX_SESSIONS:
                raise PortfolioError(
                    _("A portfolio holds at most %(count)s sessions.", count=MAX_SESSIONS)
                )
            if record is not None and record.workshop_id in from_workshop.logged(
                session, portfolio.id
            ):
                raise PortfolioError(_("That workshop is in your log already."))
            row = PracticumSession(
                portfolio_id=portfolio.id,
                reflection={},
                workshop_id=record.workshop_id if record else None,
            )
            session.add(row)
        else:
            found = session.get(PracticumSession, session_id)
            if found is None or found.portfolio_id != portfolio.id:
                raise LookupError(session_id)
            row = found
        for name in ("held_on", "minutes", "participants", "role", "beyond_team"):
            setattr(row, name, getattr(values, name))
        for name in (
            "stakeholder_groups",
            "co_facilitators",
            "purpose",
            "methods",
            "harvest",
            "feedback",
        ):
            setattr(row, name, getattr(values, name).strip())
        row.reflection = reflection
        enough = (
            practicum_rules.reflection_words(reflection, rule.prompts) >= rule.reflection_min_words
        )
        if not enough:
            row.reflected_at = None
        elif row.reflected_at is None:
            # The deadline checks when the reflection first reached its minimum length;
            # correcting it later keeps that date.
            row.reflected_at = utcnow()
        replaced = None
        if attachment is not None:
            replaced = row.attachment_key
            row.attachment_name, row.attachment_key = attachment.name, attachment.key
            row.attachment_type, row.attachment_size = attachment.media_type, attachment.size
        row.updated_at = utcnow()
        session.flush()
        action = "session-added" if session_id is None else "session-changed"
        audit.record(session, user, action, f"portfolio:{portfolio.id}", practicum_session=row.id)
    return row, replaced


def delete_session(session: Session, portfolio_id: int, user: User, session_id: int) -> str | None:
    """Delete a logged session; returns its attachment key for the caller to remove."""
    with write(session):
        portfolio = _editable(session, portfolio_id, user)
        row = session.get(PracticumSession, session_id)
        if row is None or row.portfolio_id != portfolio.id:
            raise LookupError(session_id)
        key = row.attachment_key
        session.delete(row)
        audit.record(
            session,
            user,
            "session-deleted",
            f"portfolio:{portfolio.id}",
            practicum_session=session_id,
        )
    return key


def save_statement(
    session: Session,
    program: Program,
    portfolio_id: int,
    user: User,
    texts: Mapping[str, str],
    development_hours: int | None,
) -> None:
    """Store a renewal portfolio's reflection on the validity period and declared hours."""
    if program.renewal is None:
        raise PortfolioError(_("This programme has no renewal."))
    if any(len(text) > MAX_TEXT for text in texts.values()):
        raise PortfolioError(_("Keep each text under %(count)s characters.", count=MAX_TEXT))
    if development_hours is not None and not 0 <= development_hours <= 10_000:
        raise PortfolioError(_("Give the hours of development as a number from 0 to 10000."))
    with write(session):
        portfolio = _editable(session, portfolio_id, user)
        if portfolio.kind != requirements.RENEWAL:
            raise PortfolioError(_("Only a renewal has a renewal reflection."))
        portfolio.statement = {p.id: texts.get(p.id, "").strip() for p in program.renewal.prompts}
        portfolio.development_hours = development_hours
        audit.record(session, user, "statement-saved", f"portfolio:{portfolio.id}")


def submit(
    session: Session,
    course: Course,
    program: Program,
    portfolio_id: int,
    user: User,
    today: date,
    *,
    links: notices.Links,
    declared: bool = False,
) -> Portfolio:
    """Send a complete portfolio for review; refused while any requirement is unmet, or
    when the programme has a declaration (such as following its code of ethics) that the
    trainee has not confirmed (`declared`).

    The trainee's assessors (or the admins, where none is assigned) are notified in the
    same transaction; `links` gives the review page they are pointed to."""
    if program.practicum.declaration_html and not declared:
        raise PortfolioError(_("Confirm the declaration before you submit your portfolio."))
    with write(session):
        portfolio = _editable(session, portfolio_id, user)
        found = requirements.checklist(session, course, program, portfolio, today)
        if not found.complete:
            raise PortfolioError(_("Some requirements are not met yet; see the checklist."))
        portfolio.status = SUBMITTED
        portfolio.submitted_at = utcnow()
        audit.record(
            session,
            user,
            "submitted",
            f"portfolio:{portfolio.id}",
            checklist=requirements.summary(found),
            declared=declared,
        )
        notices.portfolio_submitted(session, program, portfolio, user, links)
    return portfolio


def withdraw(session: Session, portfolio_id: int, user: User) -> Portfolio:
    """Take a submitted portfolio back before anyone decides on it, to change it."""
    with write(session):
        portfolio = session.get(
            Portfolio, portfolio_id, with_for_update=True, populate_existing=True
        )
        if portfolio is None or portfolio.user_id != user.id:
            raise LookupError(portfolio_id)
        if portfolio.status != SUBMITTED:
            raise PortfolioError(_("Only a portfolio waiting for review can be withdrawn."))
        portfolio.status = DRAFT
        portfolio.submitted_at = None
        audit.record(session, user, "withdrawn", f"portfolio:{portfolio.id}")
    return portfolio


def may_review(session: Session, viewer: User, portfolio: Portfolio) -> bool:
    """Admins review anyone's portfolio, assessors their cohorts'; nobody their own."""
    if portfolio.user_id == viewer.id:
        return False
    if viewer.role == Role.ADMIN.value:
        return True
    return viewer.role == Role.ASSESSOR.value and cohorts.can_view_learner(
        session, viewer, portfolio.user_id
    )


@dataclass(frozen=True)
class Queued:
    """A portfolio waiting for review, with its owner."""

    portfolio: Portfolio
    owner: User


def queue(session: Session, viewer: User) -> list[Queued]:
    """Submitted portfolios the viewer may review, oldest submission first."""
    query = (
        select(Portfolio, User)
        .join(User, User.id == Portfolio.user_id)
        .where(Portfolio.status == SUBMITTED, Portfolio.user_id != viewer.id)
        .order_by(Portfolio.submitted_at)
    )
    scope = cohorts.learner_scope(viewer)
    if scope is not None:
        query = query.where(Portfolio.user_id.in_(scope))
    return [Queued(p, u) for p, u in session.execute(query).all()]


def reviews(session: Session, portfolio_id: int) -> list[Review]:
    """Every decision on a portfolio, oldest first."""
    return list(
        session.scalars(
            select(Review).where(Review.portfolio_id == portfolio_id).order_by(Review.id)
        )
    )


@dataclass(frozen=True)
class Decision:
    """What an assessor decided, as entered on the review form."""

    decision: str
    levels: Mapping[str, str]
    evidence: Mapping[str, str]
    comments: str
    # The assessor declares they are not the trainee's line manager and did not co-facilitate
    # the observed session; an approval needs the declaration.
    independent: bool = False


def _check_decision(program: Program, decision: Decision) -> None:
    if decision.decision not in (APPROVE, REQUEST_CHANGES):
        raise PortfolioError(_("Choose to approve or to request changes."))
    levels = {level.id: level for level in program.rubric.levels}
    for criterion in program.rubric.criteria:
        if decision.levels.get(criterion.id) not in levels:
            raise PortfolioError(
                _("Choose a level for “%(criterion)s”.", criterion=criterion.title)
            )
        if not decision.evidence.get(criterion.id, "").strip():
            raise PortfolioError(
                _("Write an evidence note for “%(criterion)s”.", criterion=criterion.title)
            )
    texts = (decision.comments, *decision.evidence.values())
    if any(len(text) > MAX_TEXT for text in texts):
        raise PortfolioError(_("Keep each text under %(count)s characters.", count=MAX_TEXT))
    if decision.decision == APPROVE and not decision.independent:
        raise PortfolioError(
            _("An approval needs your declaration that you are independent of the trainee.")
        )
    if decision.decision == APPROVE:
        low = [
            c.title for c in program.rubric.criteria if not levels[decision.levels[c.id]].passing
        ]
        if low:
            raise PortfolioError(
                _(
                    "An approval needs a passing level in every criterion; not in: %(criteria)s.",
                    criteria=", ".join(low),
                )
            )
    elif not decision.comments.strip():
        raise PortfolioError(_("Say in the comments what the trainee should change."))


def decide(
    session: Session,
    pm: pluggy.PluginManager,
    course: Course,
    program: Program,
    portfolio_id: int,
    assessor: User,
    decision: Decision,
    today: date,
    *,
    links: notices.Links,
) -> tuple[Review, Certificate | None]:
    """Record a review; an approval re-checks every requirement and issues the certificate.

    The trainee is notified of the decision (and of the certificate) in the same
    transaction, pointed to the pages `links` gives; `certificate_issued` fires after the
    commit (a plugin that raises is only logged).
    """
    _check_decision(program, decision)
    try:
        with write(session):
            portfolio = session.get(
                Portfolio, portfolio_id, with_for_update=True, populate_existing=True
            )
            if portfolio is None or portfolio.program != program.slug:
                raise LookupError(portfolio_id)
            if not may_review(session, assessor, portfolio):
                raise LookupError(portfolio_id)
            if portfolio.status != SUBMITTED:
                raise PortfolioError(
                    _("This portfolio is not waiting for review (it may just have been decided).")
                )
            holder = session.get(User, portfolio.user_id)
            assert holder is not None  # the foreign key cascades deletes
            issued = None
            if decision.decision == APPROVE:
                found = requirements.checklist(session, course, program, portfolio, today)
                if not found.complete:
                    message = _(
                        "The portfolio no longer meets every requirement; request changes instead."
                    )
                    raise PortfolioError(message)
            review = Review(
                portfolio_id=portfolio.id,
                assessor_id=assessor.id,
                assessor_name=assessor.name,
                decision=decision.decision,
                levels=dict(decision.levels),
                evidence={k: v.strip() for k, v in decision.evidence.items()},
                comments=decision.comments.strip(),
            )
            session.add(review)
            portfolio.decided_at = utcnow()
            portfolio.status = APPROVED if decision.decision == APPROVE else CHANGES
            if decision.decision == APPROVE:
                issued = certificates.issue(session, holder, program, portfolio, today, assessor)
            session.flush()
            audit.record(
                session,
                assessor,
                decision.decision,
                f"portfolio:{portfolio.id}",
                review=review.id,
                levels=review.levels,
                independent=decision.independent,
            )
            notices.portfolio_decided(session, program, portfolio, holder, review, links)
            if issued is not None:
                notices.certificate_issued(session, program, issued, holder, links)
    except IntegrityError:
        raise PortfolioError(
            _("Another decision was recorded at the same moment; reload the page.")
        ) from None
    if issued is not None:
        args = {"user_id": holder.id, "program": program.slug, "certificate_id": issued.id}
        fire_events(pm, [Event("certificate_issued", args)])
    return review, issued
