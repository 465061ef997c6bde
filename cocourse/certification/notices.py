"""What certification tells people: submissions to assessors, decisions and certificates to
trainees, and reminders before and after a certificate expires.

The functions that notify work inside the caller's write transaction (see
`cocourse.notifications.services.notify`), so a notification exists exactly when the change
it tells about commits. They link to pages through a `Links` that the caller builds with
`url_for` (`cocourse.certification.links.site_links`), which keeps this module, like the
other services, free of Flask.

Reminders (`send_reminders`) are a scheduled job: each kind is sent once per certificate
(its key names the certificate), so the job may run as often, and on as many hosts, as
the worker likes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from cocourse.certification import requirements
from cocourse.content.model import Course
from cocourse.content.program import Program
from cocourse.db import write
from cocourse.models import (
    Certificate,
    CohortAssessor,
    CohortMember,
    Notification,
    Portfolio,
    Review,
    Role,
    User,
)
from cocourse.notifications import kinds
from cocourse.notifications.services import Message, notify, notify_all

# A holder hears "expires soon" this many days ahead, and "has expired" only during this
# many days after the expiry date (so a first run does not mail long-expired certificates).
EXPIRING_DAYS = 30
EXPIRED_NOTICE_DAYS = 30
_KEY_BATCH = 500


@dataclass(frozen=True)
class Links:
    """Paths on this site that notifications point to (built by the caller with url_for)."""

    review: Callable[[int], str]  # portfolio id -> the assessor's review page
    program: Callable[[str], str]  # programme slug -> the trainee's page of that programme
    verify: Callable[[str], str]  # verification code -> the certificate's public page


# --- submissions and decisions (inside the caller's write transaction) ------------------


def reviewers_of(session: Session, trainee: User) -> list[User]:
    """Who is told of the trainee's submission: the active assessors assigned to any of the
    trainee's cohorts, or, where there is none, every active admin; never the trainee."""
    assigned = (
        select(User)
        .where(
            User.id.in_(
                select(CohortAssessor.user_id)
                .join(CohortMember, CohortMember.cohort_id == CohortAssessor.cohort_id)
                .where(CohortMember.user_id == trainee.id)
            ),
            User.role.in_((Role.ASSESSOR.value, Role.ADMIN.value)),  # who may review
            User.deactivated_at.is_(None),
            User.id != trainee.id,
        )
        .order_by(User.id)
    )
    found = list(session.scalars(assigned))
    if found:
        return found
    admins = (
        select(User)
        .where(
            User.role == Role.ADMIN.value,
            User.deactivated_at.is_(None),
            User.id != trainee.id,
        )
        .order_by(User.id)
    )
    return list(session.scalars(admins))


def portfolio_submitted(
    session: Session, program: Program, portfolio: Portfolio, trainee: User, links: Links
) -> int:
    """Tell the trainee's reviewers about a submission; how many were told.

    The key names the moment of submission, so a portfolio sent again after "request
    changes" (or after a withdrawal) is announced again."""
    assert portfolio.submitted_at is not None
    what = "a renewal portfolio" if portfolio.kind == requirements.RENEWAL else "a portfolio"
    message = Message(
        title=f"{trainee.name} submitted {what} for {program.title}",
        body=(
            f"{trainee.name} submitted {what} for {program.title} on "
            f"{portfolio.submitted_at.date().isoformat()}. It is waiting for your review."
        ),
        url=links.review(portfolio.id),
    )
    key = f"portfolio:{portfolio.id}:submitted:{portfolio.submitted_at.isoformat()}"
    return notify_all(
        session, reviewers_of(session, trainee), kinds.PORTFOLIO_SUBMITTED, key, message
    )


def portfolio_decided(
    session: Session,
    program: Program,
    portfolio: Portfolio,
    trainee: User,
    review: Review,
    links: Links,
) -> bool:
    """Tell the trainee what the assessor decided, with the levels and the comments."""
    approved = review.decision == "approve"  # portfolios.APPROVE (which imports this module)
    if approved:
        title = f"Your portfolio for {program.title} is approved"
        opening = f"{review.assessor_name} approved your portfolio for {program.title}."
    else:
        title = f"Changes requested on your portfolio for {program.title}"
        opening = (
            f"{review.assessor_name} asks for changes to your portfolio for {program.title} "
            "before approving it."
        )
    level_titles = {level.id: level.title for level in program.rubric.levels}
    levels = [
        f"- {criterion.title}: {level_titles.get(review.levels.get(criterion.id, ''), '')}"
        for criterion in program.rubric.criteria
    ]
    parts = [opening, "Rubric:\n" + "\n".join(levels)]
    if review.comments:
        parts.append(f"Comments:\n{review.comments}")
    if not approved:
        parts.append("Change what is asked and submit your portfolio again.")
    message = Message(title=title, body="\n\n".join(parts), url=links.program(program.slug))
    return notify(session, trainee, kinds.PORTFOLIO_DECIDED, f"review:{review.id}", message)


def certificate_issued(
    session: Session, program: Program, certificate: Certificate, holder: User, links: Links
) -> bool:
    """Tell the holder about their new certificate, linking its verification page."""
    message = Message(
        title=f"You are certified: {program.title}",
        body=(
            f"Your {program.title} certificate is valid from "
            f"{certificate.valid_from.isoformat()} until {certificate.expires_on.isoformat()}. "
            "Its verification page, which you may share, shows anyone that it is valid."
        ),
        url=links.verify(certificate.code),
    )
    key = f"certificate:{certificate.id}:issued"
    return notify(session, holder, kinds.CERTIFICATE_ISSUED, key, message)


# --- reminders (a scheduled job) -----------------------------------------------------


@dataclass(frozen=True)
class Reminder:
    """One reminder due for a certificate."""

    kind: str
    key: str
    message: Message


def due(certificate: Certificate, program: Program, today: date, links: Links) -> list[Reminder]:
    """The reminders a current certificate is due on `today` (each is sent only once)."""
    expires = certificate.expires_on
    days_left = (expires - today).days
    base = f"certificate:{certificate.id}"
    url = links.program(program.slug)
    found = []
    if program.renewal is not None and 0 < days_left <= program.renewal.window_days:
        found.append(
            Reminder(
                kinds.RENEWAL_OPEN,
                f"{base}:renewal-open",
                Message(
                    title=f"You can renew your {program.title} certificate",
                    body=(
                        f"Your {program.title} certificate expires on {expires.isoformat()}. "
                        "Its renewal is open: start it on the programme's page."
                    ),
                    url=url,
                ),
            )
        )
    if 0 < days_left <= EXPIRING_DAYS:
        found.append(
            Reminder(
                kinds.CERTIFICATE_EXPIRING,
                f"{base}:expiring",
                Message(
                    title=f"Your {program.title} certificate expires on {expires.isoformat()}",
                    body=(
                        f"Your {program.title} certificate expires in {days_left} "
                        f"day{'s' if days_left != 1 else ''}, on {expires.isoformat()}."
                        + (" Renew it before then." if program.renewal else "")
                    ),
                    url=url,
                ),
            )
        )
    if -EXPIRED_NOTICE_DAYS < days_left <= 0:
        grace_ends = expires + timedelta(days=program.grace_days)
        if program.renewal is not None and today < grace_ends:
            after = f"You can still renew it until {grace_ends.isoformat()}."
        else:
            after = "To hold it again, certify again."
        found.append(
            Reminder(
                kinds.CERTIFICATE_EXPIRED,
                f"{base}:expired",
                Message(
                    title=f"Your {program.title} certificate has expired",
                    body=(
                        f"Your {program.title} certificate expired on {expires.isoformat()}. "
                        + after
                    ),
                    url=url,
                ),
            )
        )
    return found


def _candidates(
    session: Session, programs: Sequence[Program], today: date
) -> list[tuple[Certificate, User]]:
    """Current certificates of active holders whose expiry is near enough to be due a
    reminder: only those, never every certificate ever issued."""
    windows = []
    for program in programs:
        ahead = max(EXPIRING_DAYS, program.renewal.window_days if program.renewal else 0)
        windows.append(
            and_(
                Certificate.program == program.slug,
                Certificate.expires_on > today - timedelta(days=EXPIRED_NOTICE_DAYS),
                Certificate.expires_on <= today + timedelta(days=ahead),
            )
        )
    if not windows:
        return []
    query = (
        select(Certificate, User)
        .join(User, User.id == Certificate.user_id)
        .where(
            Certificate.revoked_at.is_(None),
            Certificate.superseded_at.is_(None),
            User.deactivated_at.is_(None),
            or_(*windows),
        )
        .order_by(Certificate.id)
    )
    return [(cert, user) for cert, user in session.execute(query).all()]


def _sent(session: Session, keys: Iterable[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which (user id, key) pairs already have a notification (a few queries in all)."""
    wanted = sorted(set(keys))
    found: set[tuple[int, str]] = set()
    for start in range(0, len(wanted), _KEY_BATCH):
        batch = wanted[start : start + _KEY_BATCH]
        rows = session.execute(
            select(Notification.user_id, Notification.key).where(
                # (user_id, key) is the unique index's order: both columns let it be used.
                Notification.user_id.in_({user_id for user_id, _key in batch}),
                Notification.key.in_({key for _user_id, key in batch}),
            )
        )
        found.update((user_id, key) for user_id, key in rows)
    return found


def send_reminders(session: Session, course: Course, today: date, links: Links) -> int:
    """Send the renewal, expiring and expired reminders due on `today`; how many were sent.

    Safe to run any number of times: a reminder already sent is not sent again."""
    pending: list[tuple[User, Reminder]] = []
    for cert, holder in _candidates(session, course.programs, today):
        program = course.program(cert.program)
        if program is None:
            continue
        pending.extend((holder, reminder) for reminder in due(cert, program, today, links))
    sent = _sent(session, ((holder.id, r.key) for holder, r in pending))
    todo = [(holder, r) for holder, r in pending if (holder.id, r.key) not in sent]
    if not todo:
        return 0
    told = 0
    with write(session):
        for holder, reminder in todo:
            told += notify(session, holder, reminder.kind, reminder.key, reminder.message)
    return told
