"""Scores to the platforms' gradebooks (LTI Assignment and Grade Services).

When a quiz is graded or a module or lesson is completed, `queue_*` writes (or updates)
one `lti_score` row per resource link that opens it and per platform the person came
from: the score to show, unsent. `send_pending` posts the unsent rows to their line items
and marks each sent only if it did not change meanwhile; a platform that is down leaves
the row for the next run (the grade job runs every minute, and right after each queueing).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from pylti1p3.service_connector import ServiceConnector
from requests import RequestException
from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session

from cocourse.content.model import Course
from cocourse.db import write
from cocourse.lti import tool
from cocourse.models import LtiAccount, LtiPlatform, LtiResourceLink, LtiScore, QuizAttempt, utcnow

log = logging.getLogger("cocourse.lti")

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
MAXIMUM = 100.0
MAX_TRIES = 50  # about fifty minutes of a platform refusing, then the row waits for a change
BATCH = 200


@dataclass(frozen=True)
class Outcome:
    """What one run of `send_pending` did."""

    sent: int
    failed: int


def _links(session: Session, user_id: int, targets: list[str]) -> list[LtiResourceLink]:
    """The resource links opening one of `targets`, on platforms the person came from,
    that may post scores."""
    query = (
        select(LtiResourceLink)
        .join(LtiAccount, LtiAccount.platform_id == LtiResourceLink.platform_id)
        .where(
            LtiAccount.user_id == user_id,
            LtiResourceLink.target.in_(targets),
            LtiResourceLink.scopes.contains(SCORE_SCOPE),
            or_(
                LtiResourceLink.lineitem_url.is_not(None),
                LtiResourceLink.lineitems_url.is_not(None),
            ),
        )
    )
    return list(session.scalars(query))


def _queue(
    session: Session, links: list[LtiResourceLink], user_id: int, score: float, done: bool
) -> int:
    if not links:
        return 0
    now = utcnow()
    with write(session):
        for link in links:
            row = session.scalar(
                select(LtiScore).where(LtiScore.link_id == link.id, LtiScore.user_id == user_id)
            )
            if row is None:
                session.add(
                    LtiScore(
                        link_id=link.id,
                        user_id=user_id,
                        score=score,
                        completed=done,
                        changed_at=now,
                    )
                )
            elif row.score != score or row.completed != done or row.sent_at is None:
                row.score, row.completed, row.changed_at = score, done, now
                row.sent_at, row.tries, row.last_error = None, 0, None
    return len(links)


def queue_quiz(session: Session, course: Course, user_id: int, quiz_id: str) -> int:
    """The person's best score on a quiz, for links to the quiz or to its lesson."""
    found = course.quiz(quiz_id)
    targets = [f"quiz:{quiz_id}"] + ([f"lesson:{found[0].slug}/{found[1].slug}"] if found else [])
    links = _links(session, user_id, targets)
    if not links:
        return 0
    best = session.execute(
        select(
            func.max(QuizAttempt.percent),
            func.max(case((QuizAttempt.passed.is_(True), 1), else_=0)),
        ).where(
            QuizAttempt.user_id == user_id,
            QuizAttempt.quiz_id == quiz_id,
            QuizAttempt.submitted_at.is_not(None),
        )
    ).one()
    return _queue(session, links, user_id, float(best[0] or 0.0), bool(best[1]))


def queue_completion(session: Session, user_id: int, target: str) -> int:
    """Full marks for a completed module (`module:<slug>`) or lesson without a quiz."""
    return _queue(session, _links(session, user_id, [target]), user_id, MAXIMUM, True)


def send_pending(
    session: Session, now: datetime | None = None, only_user: int | None = None
) -> Outcome:
    """Post unsent scores (oldest change first); how many went and how many failed."""
    query = (
        select(LtiScore, LtiResourceLink, LtiPlatform, LtiAccount.sub)
        .join(LtiResourceLink, LtiResourceLink.id == LtiScore.link_id)
        .join(LtiPlatform, LtiPlatform.id == LtiResourceLink.platform_id)
        .join(
            LtiAccount,
            (LtiAccount.platform_id == LtiPlatform.id) & (LtiAccount.user_id == LtiScore.user_id),
        )
        .where(LtiScore.sent_at.is_(None), LtiScore.tries < MAX_TRIES)
        .order_by(LtiScore.changed_at)
        .limit(BATCH)
    )
    if only_user is not None:
        query = query.where(LtiScore.user_id == only_user)
    rows = session.execute(query).all()
    session.commit()
    sent = failed = 0
    services: dict[int, ServiceConnector] = {}
    for score, link, platform, sub in rows:
        if platform.id not in services:
            services[platform.id] = ServiceConnector(
                tool.registration_of(session, platform), tool.http()
            )
        try:
            column = _post(services[platform.id], link, sub, score, now or utcnow())
        except (LtiException, RequestException, ValueError, KeyError) as exc:
            failed += 1
            message = _describe(exc)
            log.warning("LTI score for link %s not sent: %s", link.id, message)
            _mark(session, score, error=message)
            continue
        sent += 1
        _mark(session, score, sent_at=now or utcnow())
        if column:
            with write(session):
                session.execute(
                    update(LtiResourceLink)
                    .where(LtiResourceLink.id == link.id)
                    .values(lineitem_url=column[:500])
                )
    return Outcome(sent, failed)


def _post(
    connector: ServiceConnector, link: LtiResourceLink, sub: str, score: LtiScore, now: datetime
) -> str | None:
    """Post one score; the URL of the column it made or found, when the link had none."""
    scopes = link.scopes.split()
    data = {"scope": scopes, "lineitems": link.lineitems_url, "lineitem": link.lineitem_url}
    ags = AssignmentsGradesService(connector, {k: v for k, v in data.items() if v})
    grade = (
        Grade()
        .set_score_given(round(score.score * MAXIMUM / 100.0, 2))
        .set_score_maximum(MAXIMUM)
        .set_activity_progress("Completed" if score.completed else "Submitted")
        .set_grading_progress("FullyGraded")
        .set_timestamp(now.isoformat(timespec="milliseconds"))
        .set_user_id(sub)
    )
    if link.lineitem_url:
        ags.put_grade(grade)
        return None
    if LINEITEM_SCOPE not in scopes:
        raise ValueError("the platform gave this link no gradebook column and no right to add one")
    wanted = (
        LineItem()
        .set_label(link.title or link.target)
        .set_score_maximum(MAXIMUM)
        .set_resource_id(link.target)
        .set_resource_link_id(link.link_id)
        .set_tag("cocourse")
    )
    # The column bound to this link (pylti1p3 would otherwise match any column by tag).
    column = ags.find_or_create_lineitem(wanted, find_by="resource_link_id")
    ags.put_grade(grade, column)
    return str(column.get_id())


def _mark(
    session: Session, score: LtiScore, *, sent_at: datetime | None = None, error: str | None = None
) -> None:
    """Record a try, unless the score changed meanwhile (then the new one is pending)."""
    values: dict[str, object] = {"tries": LtiScore.tries + 1, "last_error": error}
    if sent_at is not None:
        values["sent_at"] = sent_at
    with write(session):
        session.execute(
            update(LtiScore)
            .where(LtiScore.id == score.id, LtiScore.changed_at == score.changed_at)
            .values(**values)
        )


def _describe(exc: Exception) -> str:
    response = getattr(exc.args[0], "status_code", None) if exc.args else None
    if response is not None:
        body = getattr(exc.args[0], "text", "")[:200]
        return f"the platform answered HTTP {response}: {body}"
    return str(exc)[:300] or type(exc).__name__
