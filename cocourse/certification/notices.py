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

from flask_babel import gettext as _
from flask_babel import ngettext
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
from cocourse.notifications.services import Message, notify
from cocourse.web.i18n import current_language, day, speaking

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
    key = f"portfolio:{portfolio.id}:submitted:{portfolio.submitted_at.isoformat()}"
    renewal = portfolio.kind == requirements.RENEWAL
    told = 0
    for reviewer in reviewers_of(session, trainee):
        with speaking(reviewer.language):
            words = {
                "name": trainee.name,
                "program": program.title_in(current_language()),
                "date": day(portfolio.submitted_at),
            }
            if renewal:
                title = _("%(name)s submitted a renewal portfolio for %(program)s", **words)
                body = _(
                    "%(name)s submitted a renewal portfolio for %(program)s on %(date)s. It is "
                    "waiting for your review.",
                    **words,
                )
            else:
                title = _("%(name)s submitted a portfolio for %(program)s", **words)
                body = _(
                    "%(name)s submitted a portfolio for %(program)s on %(date)s. It is waiting "
                    "for your review.",
                    **words,
                )
        message = Message(title=title, body=body, url=links.review(portfolio.id))
        told += notify(session, reviewer, kinds.PORTFOLIO_SUBMITTED, key, message)
    return told


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
    level_titles = {level.id: level.title for level in program.rubric.levels}
    levels = [
        f"- {criterion.title}: {level_titles.get(review.levels.get(criterion.id, ''), '')}"
        for criterion in program.rubric.criteria
    ]
    with speaking(trainee.language):
        words = {"program": program.title_in(current_language()), "name": review.assessor_name}
        if approved:
            title = _("Your portfolio for %(program)s is approved", **words)
            opening = _("%(name)s approved your portfolio for %(program)s.", **words)
        else:
            title = _("Changes requested on your portfolio for %(program)s", **words)
            opening = _(
                "%(name)s asks for changes to your portfolio for %(program)s before approving it.",
                **words,
            )
        parts = [opening, _("Rubric:") + "\n" + "\n".join(levels)]
        if review.comments:
            parts.append(_("Comments:") + "\n" + review.comments)
        if not approved:
            parts.append(_("Change what is asked and submit your portfolio again."))
    message = Message(title=title, body="\n\n".join(parts), url=links.program(program.slug))
    return notify(session, trainee, kinds.PORTFOLIO_DECIDED, f"review:{review.id}", message)


def certificate_issued(
    session: Session, program: Program, certificate: Certificate, holder: User, links: Links
) -> bool:
    """Tell the holder about their new certificate, linking its verification page."""
    with speaking(holder.language):
        words = {
            "program": program.title_in(current_language()),
            "start": day(certificate.valid_from),
            "end": day(certificate.expires_on),
        }
        message = Message(
            title=_("You are certified: %(program)s", **words),
            body=_(
                "Your %(program)s certificate is valid from %(start)s until %(end)s. Its "
                "verification page, which you may share, shows anyone that it is valid.",
                **words,
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
    """The reminders a current certificate is due on `today` (each is sent only once), in
    the current language (see `speaking`)."""
    expires = certificate.expires_on
    days_left = (expires - today).days
    words = {"program": program.title_in(current_language()), "date": day(expires)}
    base = f"certificate:{certificate.id}"
    url = links.program(program.slug)
    found = []
    if program.renewal is not None and 0 < days_left <= program.renewal.window_days:
        found.append(
            Reminder(
                kinds.RENEWAL_OPEN,
                f"{base}:renewal-open",
                Message(
                    title=_("You can renew your %(program)s certificate", **words),
                    body=_(
                        "Your %(program)s certificate expires on %(date)s. Its renewal is "
                        "open: start it on the programme's page.",
                        **words,
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
                    title=_("Your %(program)s certificate expires on %(date)s", **words),
                    body=ngettext(
                        "Your %(program)s certificate expires in %(num)d day, on %(date)s.",
                        "Your %(program)s certificate expires in %(num)d days, on %(date)s.",
                        days_left,
                        **words,
                    )
                    + (" " + _("Renew it before then.") if program.renewal else ""),
                    url=url,
                ),
            )
        )
    if -EXPIRED_NOTICE_DAYS < days_left <= 0:
        grace_ends = expires + timedelta(days=program.grace_days)
        if program.renewal is not None and today < grace_ends:
            after = _("You can still renew it until %(date)s.", date=day(grace_ends))
        else:
            after = _("To hold it again, certify again.")
        found.append(
            Reminder(
                kinds.CERTIFICATE_EXPIRED,
                f"{base}:expired",
                Message(
                    title=_("Your %(program)s certificate has expired", **words),
                    body=_("Your %(program)s certificate expired on %(date)s.", **words)
                    + " "
                    + after,
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
        with speaking(holder.language):
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
