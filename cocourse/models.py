"""Typed SQLAlchemy models: accounts, lesson completion, quiz attempts (no Flask imports)."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import DateTime, TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite forgets zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        """Store aware datetimes in UTC; refuse naive ones."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use cocourse.models.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        """Attach UTC to values the database returns without a zone."""
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations name constraints stably."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Role(enum.StrEnum):
    """What a person may do: learners study, assessors review, admins manage; sponsors (the
    people who commissioned the programme) learn too and see how the programme works;
    authors learn too and edit the course's files in the studio."""

    LEARNER = "learner"
    ASSESSOR = "assessor"
    ADMIN = "admin"
    SPONSOR = "sponsor"
    AUTHOR = "author"


class User(Base):
    """A person with an account."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.LEARNER.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set when an admin deactivates the account: no login, records kept.
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The interface language the person chose (en, nl, fr); None: their browser's.
    language: Mapped[str | None] = mapped_column(String(8))

    # flask-login's user protocol, written out so models stay free of Flask imports.
    is_anonymous = False
    is_authenticated = True

    @property
    def is_active(self) -> bool:
        """Whether the account may log in (flask-login refuses inactive ones)."""
        return self.deactivated_at is None

    def get_id(self) -> str:
        """The id flask-login stores in the session."""
        return str(self.id)

    @property
    def is_admin(self) -> bool:
        """Whether the person manages the installation."""
        return self.role == Role.ADMIN.value

    @property
    def can_bypass_locks(self) -> bool:
        """Admins, assessors and authors may open any module to check, review or edit it."""
        return self.role in (Role.ADMIN.value, Role.ASSESSOR.value, Role.AUTHOR.value)

    @property
    def can_edit_content(self) -> bool:
        """Admins and authors edit the course's files in the studio."""
        return self.role in (Role.ADMIN.value, Role.AUTHOR.value)


class LessonCompletion(Base):
    """A learner marked a lesson complete (once; the content hash records the version)."""

    __tablename__ = "lesson_completion"
    __table_args__ = (UniqueConstraint("user_id", "module_slug", "lesson_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    module_slug: Mapped[str] = mapped_column(String(100))
    lesson_slug: Mapped[str] = mapped_column(String(100))
    content_hash: Mapped[str] = mapped_column(String(64))
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class QuizAttempt(Base):
    """One attempt at a quiz, pinned to the questions exactly as they were drawn and shown."""

    __tablename__ = "quiz_attempt"
    __table_args__ = (
        # Attempt numbers are unique per learner and quiz: concurrent starts cannot both win.
        UniqueConstraint("user_id", "quiz_id", "number"),
        # Item analysis and regrades read a quiz's submitted attempts.
        Index("ix_quiz_attempt_quiz_id_submitted_at", "quiz_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    quiz_id: Mapped[str] = mapped_column(String(100))
    module_slug: Mapped[str] = mapped_column(String(100))
    lesson_slug: Mapped[str] = mapped_column(String(100))
    number: Mapped[int]
    pass_mark: Mapped[int]  # percent, as set when the attempt started
    content_hash: Mapped[str] = mapped_column(String(64))
    # The language of the translation it was taken in; None: the original.
    language: Mapped[str | None] = mapped_column(String(8))
    seed: Mapped[int]
    # The drawn questions in the order shown, options in the order shown (JSON snapshots).
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    results: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)  # per question
    score: Mapped[float | None]  # points earned
    max_score: Mapped[float | None]
    percent: Mapped[float | None]
    passed: Mapped[bool | None]
    expired: Mapped[bool] = mapped_column(default=False)
    # The answers saved before submitting, as the form sent them ({field name: [values]}).
    draft: Mapped[dict[str, list[str]] | None] = mapped_column(JSON)
    draft_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class QuizRegrade(Base):
    """A score changed by `cocourse regrade`: what it was, what it became, and when."""

    __tablename__ = "quiz_regrade"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("quiz_attempt.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str] = mapped_column(String(100))
    old_score: Mapped[float | None]
    new_score: Mapped[float | None]
    old_hash: Mapped[str] = mapped_column(String(64))
    new_hash: Mapped[str] = mapped_column(String(64))
    regraded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class QuizItemAttempt(Base):
    """A graded attempt as item analysis counts it: one row per submitted attempt that did
    not run out of time, kept by grading and regrades (`quiz.engine.record_items`)."""

    __tablename__ = "quiz_item_attempt"
    __table_args__ = (
        Index(
            "ix_quiz_item_attempt_quiz_id_item_set", "quiz_id", "item_set", "items_total", "user_id"
        ),
    )

    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("quiz_attempt.id", ondelete="CASCADE"), primary_key=True
    )
    quiz_id: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[int]
    percent: Mapped[float]  # the attempt's percent (0 when it has none)
    item_set: Mapped[str] = mapped_column(String(64))  # sha256 of its sorted item keys
    items_total: Mapped[float]  # its item scores summed in item-key order


class QuizItemResponse(Base):
    """One scored answer of a QuizItemAttempt: the question version, the score and the
    response, with the attempt's quiz, learner, percent and item set copied for grouping."""

    __tablename__ = "quiz_item_response"
    __table_args__ = (
        Index(
            "ix_quiz_item_response_quiz_item",
            "quiz_id",
            "question_id",
            "version",
            "type",
            "percent",
            "answer",
            "score",
            "item_set",
            "user_id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("quiz_item_attempt.attempt_id", ondelete="CASCADE"), index=True
    )
    quiz_id: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[int]
    question_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(64))  # the question's source hash
    type: Mapped[str] = mapped_column(String(100))
    score: Mapped[float]
    percent: Mapped[float]
    item_set: Mapped[str] = mapped_column(String(64))
    answer: Mapped[str] = mapped_column(Text)  # the stored response as JSON


class ActivityEvent(Base):
    """One thing a learner did (append-only): viewed or completed a lesson, attempted or
    passed a quiz, completed a module or a track."""

    __tablename__ = "activity_event"
    __table_args__ = (
        Index("ix_activity_event_user_id_occurred_at", "user_id", "occurred_at"),
        # The module funnels count events per lesson.
        Index("ix_activity_event_object", "object_type", "object_id", "verb"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    verb: Mapped[str] = mapped_column(String(32))
    object_type: Mapped[str] = mapped_column(String(16))  # lesson, quiz, module, track
    object_id: Mapped[str] = mapped_column(String(200))  # e.g. "module-slug/lesson-slug"
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The event's xAPI statement as JSON text: built once, then exported as it is.
    statement: Mapped[str | None] = mapped_column(Text)


# Covering indexes for the module funnel and item analysis (migration 0019): they read these
# columns of every row of a module or quiz, and SQLite would otherwise fetch each quiz
# attempt's whole row, its question snapshot included, to reach them.
Index(
    "ix_lesson_completion_module",
    LessonCompletion.module_slug,
    LessonCompletion.lesson_slug,
    LessonCompletion.user_id,
    LessonCompletion.completed_at,
)
# On PostgreSQL, which keeps the question snapshots out of line (TOAST) so that reading these
# columns from the table is cheap, only the item-analysis count needs it: partial, so that its
# planner does not take this wider index for what ix_quiz_attempt_quiz_id_submitted_at serves.
Index(
    "ix_quiz_attempt_quiz_id_graded",
    QuizAttempt.quiz_id,
    QuizAttempt.user_id,
    QuizAttempt.started_at,
    QuizAttempt.submitted_at,
    QuizAttempt.passed,
    QuizAttempt.expired,
    postgresql_where=QuizAttempt.expired.is_(False),
)
Index(
    "ix_activity_event_object_user",
    ActivityEvent.object_type,
    ActivityEvent.object_id,
    ActivityEvent.verb,
    ActivityEvent.user_id,
    ActivityEvent.occurred_at,
)


class ModuleStep(Base):
    """A step of a module a learner reached, and when they first did: the rows the module
    funnel and the module list count (kept by `cocourse.learning.module_steps`).

    What was done, written where it is recorded: a lesson first viewed (`viewed`) and
    completed (`lesson`), a quiz first begun (`quiz-begun`), submitted (`quiz-attempted`)
    and passed (`quiz-passed`). What follows from those for the module's lessons as
    `layout` names them: the learner's start (`started`), every quiz passed
    (`quizzes-passed`) and every required lesson complete (`completed`); and each row's
    `seconds` from that start.
    """

    __tablename__ = "module_step"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    module_slug: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    # The lesson slug or quiz id; "" for started, quizzes-passed and completed.
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    reached_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # From the learner's start in the module; None until the rows are brought up to date.
    seconds: Mapped[float | None]
    # The digest of the module's lessons the row was brought up to date for (None: not yet).
    layout: Mapped[str | None] = mapped_column(String(16))


# The funnel's and the module list's counts and medians read this index only.
Index(
    "ix_module_step_step",
    ModuleStep.module_slug,
    ModuleStep.kind,
    ModuleStep.key,
    ModuleStep.seconds,
    ModuleStep.user_id,
)
# Finds the learners whose rows are not up to date with a module's layout.
Index("ix_module_step_layout", ModuleStep.module_slug, ModuleStep.layout, ModuleStep.user_id)


class Cohort(Base):
    """A group of learners: an organization, a department, an intake of recruits."""

    __tablename__ = "cohort"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    # Shared as an invite link: ABCD-EFGH-JK, 50 bits from `secrets` (guessing is rate
    # limited); cohorts made before short codes keep their 128-bit code.
    join_code: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CohortMember(Base):
    """A learner in a cohort (a learner may belong to several)."""

    __tablename__ = "cohort_member"
    __table_args__ = (UniqueConstraint("cohort_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CohortAssessor(Base):
    """An assessor assigned to a cohort: they see its learners' progress and reports."""

    __tablename__ = "cohort_assessor"
    __table_args__ = (UniqueConstraint("cohort_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))


class Portfolio(Base):
    """A trainee's way to one certificate: enrolment, practicum log, submission, decision.

    `kind` is "certification" for a first certificate and "renewal" for renewing one. A
    person has at most one open (not yet approved) portfolio per programme.
    """

    __tablename__ = "portfolio"
    __table_args__ = (
        Index(
            "uq_portfolio_open",
            "user_id",
            "program",
            unique=True,
            sqlite_where=text("status != 'approved'"),
            postgresql_where=text("status != 'approved'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    program: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))  # certification, renewal
    # draft, submitted, changes-requested, approved
    status: Mapped[str] = mapped_column(String(20), default="draft")
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A renewal's reflection on the validity period, by prompt id, and the hours of
    # continuing development the holder declares for that period.
    statement: Mapped[dict[str, str] | None] = mapped_column(JSON)
    development_hours: Mapped[int | None]


class PracticumSession(Base):
    """One facilitated session in a practicum log, with its reflection."""

    __tablename__ = "practicum_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    portfolio_id: Mapped[int] = mapped_column(
        ForeignKey("portfolio.id", ondelete="CASCADE"), index=True
    )
    held_on: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int]
    participants: Mapped[int]
    stakeholder_groups: Mapped[str] = mapped_column(String(500), default="")
    beyond_team: Mapped[bool] = mapped_column(default=False)
    role: Mapped[str] = mapped_column(String(16))  # lead, co
    co_facilitators: Mapped[str] = mapped_column(String(500), default="")
    purpose: Mapped[str] = mapped_column(Text, default="")
    methods: Mapped[str] = mapped_column(Text, default="")
    harvest: Mapped[str] = mapped_column(Text, default="")
    reflection: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # by prompt id
    reflected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    feedback: Mapped[str] = mapped_column(Text, default="")
    attachment_name: Mapped[str | None] = mapped_column(String(200))
    attachment_key: Mapped[str | None] = mapped_column(String(64))  # the stored file's name
    attachment_type: Mapped[str | None] = mapped_column(String(100))
    attachment_size: Mapped[int | None]
    # Made from a workshop the trainee facilitated: its facts come from the workshop record.
    workshop_id: Mapped[int | None] = mapped_column(
        ForeignKey("workshop.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Review(Base):
    """An assessor's decision on a submitted portfolio (kept forever: the audit trail)."""

    __tablename__ = "review"

    id: Mapped[int] = mapped_column(primary_key=True)
    portfolio_id: Mapped[int] = mapped_column(
        ForeignKey("portfolio.id", ondelete="CASCADE"), index=True
    )
    assessor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    assessor_name: Mapped[str] = mapped_column(String(120))
    decision: Mapped[str] = mapped_column(String(20))  # approve, request-changes
    levels: Mapped[dict[str, str]] = mapped_column(JSON)  # rubric criterion -> level
    evidence: Mapped[dict[str, str]] = mapped_column(JSON)  # rubric criterion -> note
    comments: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Certificate(Base):
    """A certificate: verifiable by its code, valid until `expires_on`, renewable.

    The current certificate of a person and programme is the one not superseded; a unique
    index keeps it to one even when two approvals race.
    """

    __tablename__ = "certificate"
    __table_args__ = (
        Index(
            "uq_certificate_current",
            "user_id",
            "program",
            unique=True,
            sqlite_where=text("superseded_at IS NULL"),
            postgresql_where=text("superseded_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    program: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(64), unique=True)
    portfolio_id: Mapped[int | None] = mapped_column(
        ForeignKey("portfolio.id", ondelete="SET NULL")
    )
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id"))
    holder_name: Mapped[str] = mapped_column(String(120))  # as it was when issued
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    valid_from: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    # Open Badges: the recipient's email is published only hashed with this salt.
    badge_salt: Mapped[str] = mapped_column(String(64))


class AuditEntry(Base):
    """Who did what to a portfolio or certificate, and when (append-only)."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(60))  # e.g. "portfolio:12"
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class LoginSession(Base):
    """One login on one device. The session cookie carries a random token; the row's id is
    only its SHA-256, so a copy of the database logs nobody in."""

    __tablename__ = "login_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # The remember-me family this login came from, if any: reuse of a rotated token ends it.
    family: Mapped[str | None] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    address: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")


class RememberToken(Base):
    """A "keep me logged in" token, stored hashed; each use replaces it with a new one of the
    same family, and a replaced token presented again ends the whole family."""

    __tablename__ = "remember_token"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the token
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    family: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LoginThrottle(Base):
    """Failed logins for one email (known or not), keyed by a hash of it: the backoff."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MailMessage(Base):
    """One outgoing email, queued in the transaction of the change that caused it.

    A worker claims a row (status "sending" with a lease) before sending it, and marks it
    "sent" only after the mail server accepted it; a claim whose lease ran out (a worker
    that crashed) is taken again. Delivery is therefore at least once: a resent copy keeps
    its `message_id`, so mail programs can recognise a duplicate."""

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(255))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    template: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(16), default="queued")  # sending, sent, failed
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(String(500), default="")
    # An iCalendar object sent with the message (text/calendar), such as an invitation.
    calendar: Mapped[str | None] = mapped_column(Text)


class AccountToken(Base):
    """A single-use link sent by email: an invitation, a password reset or an email change.

    The link carries a random token; the row's id is only its SHA-256. A newer token of the
    same purpose for the same person replaces (deletes) the older one."""

    __tablename__ = "account_token"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the token
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # invitation, reset, email
    new_email: Mapped[str | None] = mapped_column(String(254))  # for an email change
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CohortDueDate(Base):
    """The date by which a cohort's members should finish a track or a module."""

    __tablename__ = "cohort_due_date"
    __table_args__ = (UniqueConstraint("cohort_id", "target_kind", "target_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    target_kind: Mapped[str] = mapped_column(String(8))  # track, module
    target_slug: Mapped[str] = mapped_column(String(100))
    due_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Notification(Base):
    """Something a person is told about in the app (and, unless they switched it off, by
    email). `key` names the occasion: a second notification with the same key for the same
    person is never stored, which makes scheduled reminders safe to run twice or on two
    hosts at once."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("user_id", "key"),
        Index("ix_notification_unread", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(500), default="")  # a path on this site
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class EmailOptOut(Base):
    """A person who asked for no email of one notification kind (in-app stays)."""

    __tablename__ = "email_opt_out"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)


class Opportunity(Base):
    """A situation where co-creation could help, proposed on the opportunity board."""

    __tablename__ = "opportunity"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    stake: Mapped[str] = mapped_column(Text, default="")  # what is at stake
    involved: Mapped[str] = mapped_column(Text, default="")  # who is involved
    scope: Mapped[str] = mapped_column(String(16), default="internal")  # internal, clients
    # open, planned, workshop, done, parked ("not for now")
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    proposer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OpportunitySupport(Base):
    """Someone who supports an opportunity (once each)."""

    __tablename__ = "opportunity_support"

    opportunity_id: Mapped[int] = mapped_column(
        ForeignKey("opportunity.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OpportunityComment(Base):
    """A comment on an opportunity."""

    __tablename__ = "opportunity_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(
        ForeignKey("opportunity.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Workshop(Base):
    """A live session: a tasting workshop, a solution workshop or a learning-and-exchange
    venue. `starts_at` is UTC; `timezone` is the zone it was scheduled in, in which its
    date and time are shown. `sequence` counts the changes sent out as calendar updates."""

    __tablename__ = "workshop"
    __table_args__ = (Index("ix_workshop_starts_at", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # tasting, solution, exchange
    title: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_minutes: Mapped[int]
    timezone: Mapped[str] = mapped_column(String(64))
    place: Mapped[str] = mapped_column(String(300), default="")
    video_url: Mapped[str] = mapped_column(String(500), default="")
    capacity: Mapped[int]
    opportunity_id: Mapped[int | None] = mapped_column(
        ForeignKey("opportunity.id", ondelete="SET NULL"), index=True
    )
    facilitator_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    template: Mapped[str] = mapped_column(String(64), default="")
    agenda: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # title, minutes
    status: Mapped[str] = mapped_column(String(16), default="scheduled")  # cancelled
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WorkshopHost(Base):
    """A co-facilitator of a workshop."""

    __tablename__ = "workshop_host"

    workshop_id: Mapped[int] = mapped_column(
        ForeignKey("workshop.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )


class WorkshopSeat(Base):
    """A place at a workshop: a colleague with an account, or a guest by email. Confirmed,
    waiting (moved up in order of `created_at` when a seat frees) or cancelled. A guest's
    personal link carries a random token; `token_hash` is its SHA-256."""

    __tablename__ = "workshop_seat"
    __table_args__ = (
        UniqueConstraint("workshop_id", "user_id"),
        UniqueConstraint("workshop_id", "guest_email"),
        Index("ix_workshop_seat_status", "workshop_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    guest_email: Mapped[str | None] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(12))  # confirmed, waiting, cancelled
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    feedback_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    feedback: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WorkshopAction(Base):
    """A decision or action from a workshop's harvest, with an owner and a due date."""

    __tablename__ = "workshop_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(
        ForeignKey("workshop.id", ondelete="CASCADE"), index=True
    )
    opportunity_id: Mapped[int | None] = mapped_column(
        ForeignKey("opportunity.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(12))  # decision, action
    text: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    owner_name: Mapped[str] = mapped_column(String(120), default="")
    due_on: Mapped[date | None] = mapped_column(Date)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LrsForwarding(Base):
    """How far the activity log has been sent to the learning record store (one row per
    endpoint): the last event sent, and what went wrong last."""

    __tablename__ = "lrs_forwarding"

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(500), unique=True)
    last_event_id: Mapped[int] = mapped_column(default=0)
    sent: Mapped[int] = mapped_column(default=0)  # statements the store accepted
    conflicts: Mapped[int] = mapped_column(default=0)  # refused as differing (409)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LtiPlatform(Base):
    """A learning platform (Moodle, Canvas...) registered by an admin to launch cocourse as
    an LTI 1.3 tool: what the platform told the admin, and how far cocourse trusts it."""

    __tablename__ = "lti_platform"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    auth_login_url: Mapped[str] = mapped_column(String(500))
    auth_token_url: Mapped[str] = mapped_column(String(500))
    key_set_url: Mapped[str] = mapped_column(String(500))
    # Deployment ids, one per line: a launch from any other deployment is refused.
    deployments: Mapped[str] = mapped_column(Text, default="")
    # Whether a first launch may join an existing account that has the launch's email.
    link_by_email: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def deployment_ids(self) -> list[str]:
        """The registered deployment ids."""
        return [line.strip() for line in self.deployments.splitlines() if line.strip()]


class LtiKey(Base):
    """A key pair cocourse signs its LTI messages with; the newest active one signs, and
    retired ones stay published for a while so that tokens already signed still verify."""

    __tablename__ = "lti_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(100), unique=True)
    private_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LtiAccount(Base):
    """The cocourse account of a platform's user (the launch's `sub`)."""

    __tablename__ = "lti_account"
    __table_args__ = (UniqueConstraint("platform_id", "sub"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id", ondelete="CASCADE"))
    sub: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LtiContext(Base):
    """A platform's course (the launch's context), kept as a cocourse cohort."""

    __tablename__ = "lti_context"
    __table_args__ = (UniqueConstraint("platform_id", "context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id", ondelete="CASCADE"))
    context_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255), default="")
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"))
    # Names and Role Provisioning Services, when the platform offers it.
    memberships_url: Mapped[str | None] = mapped_column(String(500))
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sync_error: Mapped[str | None] = mapped_column(Text)


class LtiResourceLink(Base):
    """A placement of cocourse in a platform's course: what it opens, and the gradebook
    column (line item) its score goes to."""

    __tablename__ = "lti_resource_link"
    __table_args__ = (UniqueConstraint("platform_id", "link_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id", ondelete="CASCADE"))
    link_id: Mapped[str] = mapped_column(String(255))
    context_id: Mapped[int | None] = mapped_column(
        ForeignKey("lti_context.id", ondelete="SET NULL")
    )
    target: Mapped[str] = mapped_column(String(300))  # module:<slug>, lesson:<m>/<l>, quiz:<id>
    title: Mapped[str] = mapped_column(String(255), default="")
    lineitem_url: Mapped[str | None] = mapped_column(String(500))
    lineitems_url: Mapped[str | None] = mapped_column(String(500))
    scopes: Mapped[str] = mapped_column(Text, default="")  # the AGS scopes granted, spaces


class LtiScore(Base):
    """A score waiting for (or sent to) a platform's gradebook: one row per person and
    resource link, updated when the score changes, sent by the grade job."""

    __tablename__ = "lti_score"
    __table_args__ = (UniqueConstraint("link_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("lti_resource_link.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    score: Mapped[float] = mapped_column()  # 0 to 100
    completed: Mapped[bool] = mapped_column(default=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    tries: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class LtiLaunchValue(Base):
    """Short-lived LTI login state kept on the server (nonces, launch data), shared by every
    worker and host: a launch arrives as a cross-site POST, without the session cookie."""

    __tablename__ = "lti_launch_value"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ContentSignal(Base):
    """The latest "content changed" announcement (one row): every server process, on every
    host, compares its token with the one it saw last and reloads when it differs."""

    __tablename__ = "content_signal"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StoredFile(Base):
    """A file kept in the database (`ATTACHMENT_STORAGE = "database"`), so that every host
    of a scaled-out installation can serve it; named by a random key."""

    __tablename__ = "stored_file"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PageVersion(Base):
    """What the page cache keys pages by (`cocourse.page_versions`): a random token per
    scope, replaced in the same transaction as every write that can change a page. Scope 0
    is everyone's pages; scope N (a person's id) is the pages only person N sees."""

    __tablename__ = "page_version"

    scope: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(String(32))
