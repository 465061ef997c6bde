"""Synthetic certification records: portfolios, practicum logs, reviews and certificates.

Runs after `synthetic.generate` has simulated the learners. Everyone of the seed who passed a
programme's final exam (domain minimums included) gets a portfolio with a full practicum log,
held in the month after the exam. Most portfolios are approved with a certificate (a few of
those revoked since), some wait for review, the rest are still drafts. The rows are the ones
the certification services write, so the review queue, the certificate list and the
checklist work on them.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from cocourse.certification import requirements
from cocourse.certification.certificates import new_code
from cocourse.content.model import Course
from cocourse.content.program import Program
from cocourse.models import (
    AuditEntry,
    Certificate,
    Portfolio,
    PracticumSession,
    QuizAttempt,
    Review,
    User,
)

APPROVED = 0.6  # share of portfolios approved with a certificate
SUBMITTED = 0.2  # share waiting for review (the rest are drafts)
REVOKED = 0.03  # share of certificates revoked since
LOGGED_WITHIN = timedelta(days=30)  # sessions are held in the month after the exam
REFLECTION_TEXT = (
    "the group opened with a check-in and I noticed how the quiet voices came in once we moved "
    "to pairs next time I will start smaller and leave more silence before I speak"
)
WORDS = tuple(REFLECTION_TEXT.split())


@dataclass
class CertificationSummary:
    """What was generated."""

    portfolios: int = 0
    certificates: int = 0
    revoked: int = 0


def certify(
    session: Session, course: Course, email_domain: str, seed: int, now: datetime
) -> CertificationSummary:
    """Add the records inside the caller's write transaction."""
    summary = CertificationSummary()
    for program in course.programs:
        if program.exam is None:
            continue
        candidates = session.scalars(
            select(QuizAttempt.user_id)
            .join(User, User.id == QuizAttempt.user_id)
            .where(
                QuizAttempt.quiz_id == program.exam.quiz,
                QuizAttempt.passed.is_(True),
                User.email.like(f"%@{email_domain}"),
            )
            .distinct()
            .order_by(QuizAttempt.user_id)
        ).all()
        for user_id in candidates:
            # Passing the quiz is not enough: the programme's domain minimums apply too.
            standing = requirements.exam_standing(session, user_id, program.exam)
            if not standing.passed or standing.attempt is None:
                continue
            passed_at = standing.attempt.submitted_at
            assert passed_at is not None  # only submitted attempts pass
            rng = random.Random(f"{seed}/certify/{program.slug}/{user_id}")  # noqa: S311
            _portfolio(session, program, user_id, min(passed_at, now), now, rng, summary)
    return summary


def _portfolio(
    session: Session,
    program: Program,
    user_id: int,
    passed_at: datetime,
    now: datetime,
    rng: random.Random,
    summary: CertificationSummary,
) -> None:
    draw = rng.random()
    status = (
        "approved" if draw < APPROVED else "submitted" if draw < APPROVED + SUBMITTED else "draft"
    )
    portfolio_id = session.scalar(
        insert(Portfolio)
        .returning(Portfolio.id)
        .values(
            user_id=user_id,
            program=program.slug,
            kind="certification",
            status=status,
            enrolled_at=passed_at,
        )
    )
    assert portfolio_id is not None  # RETURNING gives the new row's id
    last = _log(session, program, portfolio_id, passed_at, now, rng)
    summary.portfolios += 1
    if status == "draft":
        return
    session.execute(
        update(Portfolio)
        .where(Portfolio.id == portfolio_id)
        .values(submitted_at=last, decided_at=last if status == "approved" else None)
    )
    if status == "approved":
        _issue(session, program, user_id, portfolio_id, last, now, rng, summary)


def _log(
    session: Session,
    program: Program,
    portfolio_id: int,
    start: datetime,
    now: datetime,
    rng: random.Random,
) -> datetime:
    """A practicum log that meets the programme's rules; when its last reflection was written."""
    rule = program.practicum
    roles = ["lead"] * rule.lead + ["co"] * max(rule.co_facilitated, rule.sessions - rule.lead)
    span = max(0.0, min(LOGGED_WITHIN, now - start).total_seconds())
    words = max(rule.reflection_min_words, 1)
    per_prompt = -(-words // max(len(rule.prompts), 1))
    rows: list[dict[str, Any]] = []
    for number, role in enumerate(roles):
        held = start + timedelta(seconds=rng.uniform(0, span))
        rows.append(
            {
                "portfolio_id": portfolio_id,
                "held_on": held.date(),
                "minutes": rule.min_minutes + rng.choice((0, 15, 30, 60, 90)),
                "participants": rule.min_participants + rng.randrange(0, 20),
                "stakeholder_groups": "two departments" if number < rule.lead_beyond_team else "",
                "beyond_team": role == "lead" and number < rule.lead_beyond_team,
                "role": role,
                "co_facilitators": "",
                "purpose": "Agree the next steps on a shared problem.",
                "methods": "Check-in, 1-2-4-All, harvest on a wall",
                "harvest": "Three agreements with owners and a review date.",
                "reflection": {
                    p.id: " ".join(rng.choice(WORDS) for _ in range(per_prompt))
                    for p in rule.prompts
                },
                "reflected_at": min(held + timedelta(hours=rng.uniform(1, 48)), now),
                "feedback": "",
                "created_at": held,
                "updated_at": held,
            }
        )
    session.execute(insert(PracticumSession), rows)
    return max((row["reflected_at"] for row in rows), default=start)


def _issue(
    session: Session,
    program: Program,
    user_id: int,
    portfolio_id: int,
    decided: datetime,
    now: datetime,
    rng: random.Random,
    summary: CertificationSummary,
) -> None:
    holder = session.get(User, user_id)
    assert holder is not None
    levels = {c.id: rng.choice(program.rubric.passing_levels) for c in program.rubric.criteria}
    session.execute(
        insert(Review).values(
            portfolio_id=portfolio_id,
            assessor_id=None,
            assessor_name="Synthetic assessor",
            decision="approve",
            levels=levels,
            evidence={
                c.id: "Seen in the log and the observed session." for c in program.rubric.criteria
            },
            comments="",
            decided_at=decided,
        )
    )
    revoked = rng.random() < REVOKED
    certificate_id = session.scalar(
        insert(Certificate)
        .returning(Certificate.id)
        .values(
            user_id=user_id,
            program=program.slug,
            code=new_code(),
            portfolio_id=portfolio_id,
            holder_name=holder.name,
            issued_at=decided,
            valid_from=decided.date(),
            expires_on=decided.date() + timedelta(days=program.validity_days),
            revoked_at=now if revoked else None,
            revoked_reason="Synthetic revocation" if revoked else None,
            badge_salt=secrets.token_hex(16),
        )
    )
    session.execute(
        insert(AuditEntry).values(
            actor_id=None,
            actor_name="Synthetic assessor",
            action="certificate-issued",
            subject=f"certificate:{certificate_id}",
            detail={"portfolio": portfolio_id},
            occurred_at=decided,
        )
    )
    summary.certificates += 1
    summary.revoked += int(revoked)
