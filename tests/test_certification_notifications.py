"""Certification tells people: assessors of submissions, trainees of decisions and
certificates, holders of renewal and expiry (a scheduled job), in the app and by email.

Runs on the small programme in tests/fixtures/cert_course (one-year validity, renewal
window of 60 days) on SQLite, or PostgreSQL when DATABASE_URL is set.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocourse.accounts.services import create_user
from cocourse.certification import certificates, notices, portfolios
from cocourse.certification.plugin import REMINDERS_JOB
from cocourse.cohorts import services as cohorts
from cocourse.db import get_session
from cocourse.mail import worker
from cocourse.models import (
    Certificate,
    MailMessage,
    Notification,
    Portfolio,
    Role,
    User,
    utcnow,
)
from cocourse.notifications import kinds
from cocourse.notifications import services as notifications
from cocourse.web import i18n
from cocourse.web.i18n import speaking

from .conftest import PASSWORD, AuthActions, csrf_token, make_app
from .mailserver import smtp_server, smtp_settings, text_of
from .test_certification import (
    CERT_COURSE,
    PROGRAM,
    RIGHT,
    approve,
    course_of,
    decide,
    finish_basics,
    full_log,
    program_of,
    submit,
    take_exam,
)

TITLE = "Test Facilitator"  # the programme's title in the fixture course
COMMENT = "Please log one more session as lead, with a group beyond your own team."


@pytest.fixture
def app(engine, database_url: str, tmp_path: Path) -> Flask:
    return make_app(database_url, tmp_path, CONTENT_DIR=str(CERT_COURSE))


def person(session: Session, email: str, name: str, role: Role = Role.LEARNER) -> User:
    return create_user(session, email, name, PASSWORD, role)


def ready(app: Flask, session: Session, email: str = "rita@example.org") -> tuple[User, Portfolio]:
    """Rita Recruit: basics done, exam passed, a full practicum logged; not yet submitted."""
    user = person(session, email, "Rita Recruit")
    finish_basics(app, user.id)
    take_exam(app, user.id, RIGHT)
    with app.app_context():
        portfolio = portfolios.enrol(
            get_session(), course_of(app), program_of(app), user, utcnow().date()
        )
    full_log(app, user, portfolio.id)
    return user, portfolio


def cohort_of(app: Flask, members: list[User], assessors: list[User]) -> int:
    with app.app_context():
        db = get_session()
        cohort = cohorts.create_cohort(db, f"Cohort {members[0].id}")
        for member in members:
            cohorts.add_member(db, cohort.id, member.id)
        for assessor in assessors:
            cohorts.assign_assessor(db, cohort.id, assessor.id)
        return cohort.id


def deactivate(session: Session, user: User) -> None:
    found = session.get(User, user.id)
    assert found is not None
    found.deactivated_at = utcnow()
    session.commit()


def told(session: Session, user: User, kind: str | None = None) -> list[Notification]:
    """A person's notifications, oldest first (read in a fresh transaction)."""
    session.rollback()
    query = select(Notification).where(Notification.user_id == user.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return list(session.scalars(query.order_by(Notification.id)))


def mails(session: Session, user: User | None = None) -> list[MailMessage]:
    """Notification emails in the outbox (for one person), oldest first."""
    session.rollback()
    query = select(MailMessage).where(MailMessage.template == "notification")
    if user is not None:
        query = query.where(MailMessage.to_address == user.email)
    return list(session.scalars(query.order_by(MailMessage.id)))


def rows(session: Session, model: Any) -> int:
    session.rollback()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


# --- submission ---------------------------------------------------------------------


def test_a_submission_tells_the_cohorts_assessor_and_not_the_admins(app, session, client):
    trainee, portfolio = ready(app, session)
    assessor = person(session, "ann@example.org", "Ann Assessor", Role.ASSESSOR)
    other = person(session, "otto@example.org", "Otto Other", Role.ASSESSOR)  # another cohort
    admin = person(session, "adam@example.org", "Adam Admin", Role.ADMIN)
    cohort_of(app, [trainee], [assessor])
    bystander = person(session, "bea@example.org", "Bea Bystander")
    cohort_of(app, [bystander], [other])
    # Through the page, as the trainee does it.
    AuthActions(client, session).login("rita@example.org")
    page = client.get(f"/certification/{PROGRAM}").get_data(as_text=True)
    response = client.post(
        f"/certification/{PROGRAM}/submit",
        data={"csrf_token": csrf_token(page), "declared": "yes"},
    )
    assert response.status_code == 302
    [note] = told(session, assessor)
    assert note.kind == kinds.PORTFOLIO_SUBMITTED
    assert note.title == f"Rita Recruit submitted a portfolio for {TITLE}"
    assert note.url == f"/reviews/{portfolio.id}"
    assert told(session, admin) == [] and told(session, other) == []
    assert told(session, trainee) == []
    [mail] = mails(session)
    assert mail.to_address == "ann@example.org"
    assert f"Rita Recruit submitted a portfolio for {TITLE}" in mail.subject
    assert f"http://localhost/reviews/{portfolio.id}" in mail.text_body
    # The link opens the portfolio for the assessor.
    AuthActions(client, session).logout()
    AuthActions(client, session).login("ann@example.org")
    assert client.get(note.url).status_code == 200


def test_without_assessors_the_active_admins_are_told(app, session):
    trainee, portfolio = ready(app, session)
    admins = [person(session, f"admin{i}@example.org", f"Admin {i}", Role.ADMIN) for i in range(3)]
    deactivate(session, admins[2])
    lone = person(session, "lone@example.org", "Lone Assessor", Role.ASSESSOR)  # no cohort
    submit(app, trainee, portfolio.id)
    assert [len(told(session, admin)) for admin in admins] == [1, 1, 0]
    assert told(session, lone) == []
    assert sorted(m.to_address for m in mails(session)) == [
        "admin0@example.org",
        "admin1@example.org",
    ]


def test_a_deactivated_assessor_is_not_told(app, session):
    trainee, portfolio = ready(app, session)
    active = person(session, "ann@example.org", "Ann Assessor", Role.ASSESSOR)
    gone = person(session, "gus@example.org", "Gus Gone", Role.ASSESSOR)
    admin = person(session, "adam@example.org", "Adam Admin", Role.ADMIN)
    cohort_of(app, [trainee], [active, gone])
    deactivate(session, gone)
    submit(app, trainee, portfolio.id)
    assert len(told(session, active)) == 1
    assert told(session, gone) == [] and told(session, admin) == []
    assert [m.to_address for m in mails(session)] == ["ann@example.org"]


def test_when_every_assigned_assessor_is_deactivated_the_admins_are_told(app, session):
    trainee, portfolio = ready(app, session)
    gone = person(session, "gus@example.org", "Gus Gone", Role.ASSESSOR)
    admin = person(session, "adam@example.org", "Adam Admin", Role.ADMIN)
    cohort_of(app, [trainee], [gone])
    deactivate(session, gone)
    submit(app, trainee, portfolio.id)
    assert told(session, gone) == []
    assert len(told(session, admin, kinds.PORTFOLIO_SUBMITTED)) == 1


def test_a_trainee_is_never_told_of_their_own_submission(app, session):
    trainee, portfolio = ready(app, session)
    found = session.get(User, trainee.id)
    assert found is not None
    found.role = Role.ADMIN.value  # an admin who certifies too
    session.commit()
    other = person(session, "adam@example.org", "Adam Admin", Role.ADMIN)
    submit(app, trainee, portfolio.id)
    assert told(session, trainee) == []
    assert len(told(session, other)) == 1


def test_a_resubmission_after_changes_were_requested_is_announced_again(app, session):
    trainee, portfolio = ready(app, session)
    assessor = person(session, "ann@example.org", "Ann Assessor", Role.ASSESSOR)
    cohort_of(app, [trainee], [assessor])
    submit(app, trainee, portfolio.id)
    decide(app, assessor, portfolio.id, approve(decision=portfolios.REQUEST_CHANGES, comments="x"))
    submit(app, trainee, portfolio.id)
    found = told(session, assessor, kinds.PORTFOLIO_SUBMITTED)
    assert len(found) == 2 and found[0].key != found[1].key
    assert len(mails(session, assessor)) == 2


# --- decisions and certificates ------------------------------------------------------


def test_a_decision_tells_the_trainee_with_the_comments(app, session):
    trainee, portfolio = ready(app, session)
    assessor = person(session, "ann@example.org", "Ann Assessor", Role.ASSESSOR)
    cohort_of(app, [trainee], [assessor])
    submit(app, trainee, portfolio.id)
    changes = approve(decision=portfolios.REQUEST_CHANGES, comments=COMMENT)
    review, issued = decide(app, assessor, portfolio.id, changes)
    assert issued is None
    [note] = told(session, trainee)
    assert note.kind == kinds.PORTFOLIO_DECIDED and note.key == f"review:{review.id}"
    assert note.title == f"Changes requested on your portfolio for {TITLE}"
    assert note.url == f"/certification/{PROGRAM}"
    assert COMMENT in note.body and "Ann Assessor" in note.body
    [mail] = mails(session, trainee)
    assert mail.to_address == "rita@example.org"
    assert COMMENT in mail.text_body
    assert f"http://localhost/certification/{PROGRAM}" in mail.text_body


def test_an_approval_tells_the_trainee_and_announces_the_certificate(app, session, client):
    trainee, portfolio = ready(app, session)
    assessor = person(session, "ann@example.org", "Ann Assessor", Role.ASSESSOR)
    cohort_of(app, [trainee], [assessor])
    submit(app, trainee, portfolio.id)
    _review, issued = decide(app, assessor, portfolio.id, approve(comments="Well done."))
    assert issued is not None
    decided = told(session, trainee, kinds.PORTFOLIO_DECIDED)
    [issued_note] = told(session, trainee, kinds.CERTIFICATE_ISSUED)
    assert decided[0].title == f"Your portfolio for {TITLE} is approved"
    assert "Well done." in decided[0].body
    assert issued_note.key == f"certificate:{issued.id}:issued"
    assert issued_note.url == f"/verify/{issued.code}"
    with app.app_context():  # as the trainee reads it (English): Dec 5, 2026
        assert i18n.day(issued.expires_on) in issued_note.body
    assert client.get(issued_note.url).status_code == 200
    assert len(mails(session, trainee)) == 2


def test_an_opted_out_trainee_is_told_in_the_app_but_not_by_email(app, session):
    trainee, portfolio = ready(app, session)
    admin = person(session, "adam@example.org", "Adam Admin", Role.ADMIN)
    notifications.set_emails_off(session, trainee.id, [kinds.PORTFOLIO_DECIDED])
    submit(app, trainee, portfolio.id)
    decide(app, admin, portfolio.id, approve())
    assert len(told(session, trainee, kinds.PORTFOLIO_DECIDED)) == 1
    assert len(told(session, trainee, kinds.CERTIFICATE_ISSUED)) == 1
    [mail] = mails(session, trainee)  # the certificate only
    assert "You are certified" in mail.subject


def test_the_decision_email_reaches_a_real_smtp_server(engine, database_url, tmp_path, session):
    with smtp_server() as inbox:
        app = make_app(
            database_url, tmp_path, CONTENT_DIR=str(CERT_COURSE), **smtp_settings(inbox.port)
        )
        trainee, portfolio = ready(app, session)
        admin = person(session, "adam@example.org", "Adam Admin", Role.ADMIN)
        submit(app, trainee, portfolio.id)
        decide(
            app, admin, portfolio.id, approve(decision=portfolios.REQUEST_CHANGES, comments=COMMENT)
        )
        assert worker.run_pending(app) == 2  # the admin's and the trainee's
        [received] = inbox.to("rita@example.org")
        assert received["Subject"] == f"Changes requested on your portfolio for {TITLE}"
        text = text_of(received)
        assert COMMENT in text and f"http://localhost/certification/{PROGRAM}" in text
        [to_admin] = inbox.to("adam@example.org")
        assert f"/reviews/{portfolio.id}" in text_of(to_admin)
    session.rollback()
    assert {m.status for m in session.scalars(select(MailMessage))} == {"sent"}


# --- reminders (the scheduled job) ------------------------------------------------------

EXPIRES = date(2027, 6, 30)


def certificate(session: Session, user: User, expires_on: date, **changes: Any) -> Certificate:
    cert = Certificate(
        user_id=user.id,
        program=PROGRAM,
        code=certificates.new_code(),
        holder_name=user.name,
        valid_from=expires_on - timedelta(days=365),
        expires_on=expires_on,
        badge_salt="00" * 16,
        **changes,
    )
    session.add(cert)
    session.commit()
    return cert


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 30, tzinfo=UTC)


def job(app: Flask) -> Any:
    [found] = [j for j in worker.scheduled_jobs(app) if j.name == REMINDERS_JOB]
    return found


def test_the_reminder_job_is_registered(app):
    found = job(app)
    assert found.hour == "*" and found.minute


def test_reminders_are_sent_once_each_at_their_time(app, session):
    holder = person(session, "hal@example.org", "Hal Holder")
    cert = certificate(session, holder, EXPIRES)
    reminders = job(app)
    before_window = EXPIRES - timedelta(days=61)
    assert worker.run_job(app, reminders, now=at(before_window)) == 0
    expected = [
        (EXPIRES - timedelta(days=60), kinds.RENEWAL_OPEN),
        (EXPIRES - timedelta(days=30), kinds.CERTIFICATE_EXPIRING),
        (EXPIRES, kinds.CERTIFICATE_EXPIRED),
    ]
    for number, (day, kind) in enumerate(expected, start=1):
        assert worker.run_job(app, reminders, now=at(day)) == 1
        assert worker.run_job(app, reminders, now=at(day)) == 0  # run twice: sent once
        assert worker.run_job(app, reminders, now=at(day + timedelta(days=1))) == 0
        assert rows(session, Notification) == number
        assert len(mails(session, holder)) == number
        assert told(session, holder)[-1].kind == kind
    found = told(session, holder)
    assert [n.key for n in found] == [
        f"certificate:{cert.id}:renewal-open",
        f"certificate:{cert.id}:expiring",
        f"certificate:{cert.id}:expired",
    ]
    assert all(n.url == f"/certification/{PROGRAM}" for n in found)
    with app.app_context():
        assert i18n.day(EXPIRES) in found[1].title
        # Expired today, in the 30-day grace period: renewal is still possible.
        assert i18n.day(EXPIRES + timedelta(days=30)) in found[2].body
    assert worker.run_job(app, reminders, now=at(EXPIRES + timedelta(days=100))) == 0
    assert rows(session, Notification) == 3 and len(mails(session)) == 3


def test_a_late_first_run_sends_what_is_due_then(app, session):
    holder = person(session, "hal@example.org", "Hal Holder")
    certificate(session, holder, EXPIRES)
    # Ten days before expiry: inside the renewal window and the last 30 days at once.
    assert worker.run_job(app, job(app), now=at(EXPIRES - timedelta(days=10))) == 2
    assert {n.kind for n in told(session, holder)} == {
        kinds.RENEWAL_OPEN,
        kinds.CERTIFICATE_EXPIRING,
    }


def test_no_reminders_for_long_expired_revoked_superseded_or_deactivated(app, session):
    people = [person(session, f"p{i}@example.org", f"Person {i}") for i in range(4)]
    certificate(session, people[0], EXPIRES - timedelta(days=200))  # expired long ago
    certificate(session, people[1], EXPIRES, revoked_at=utcnow(), revoked_reason="fraud")
    certificate(session, people[2], EXPIRES, superseded_at=utcnow())  # renewed since
    certificate(session, people[3], EXPIRES)
    deactivate(session, people[3])
    reminders = job(app)
    for offset in (-60, -30, 0, 1):
        assert worker.run_job(app, reminders, now=at(EXPIRES + timedelta(days=offset))) == 0
    assert rows(session, Notification) == 0 and mails(session) == []


def test_an_expiry_notice_is_sent_only_within_30_days_of_expiry(app, session):
    holder = person(session, "hal@example.org", "Hal Holder")
    certificate(session, holder, EXPIRES)
    # Deployed long after: neither the renewal, the expiring nor the expired notice.
    assert worker.run_job(app, job(app), now=at(EXPIRES + timedelta(days=30))) == 0
    assert worker.run_job(app, job(app), now=at(EXPIRES + timedelta(days=29))) == 1
    assert [n.kind for n in told(session, holder)] == [kinds.CERTIFICATE_EXPIRED]


def test_which_reminders_are_due_by_date(app):
    program = program_of(app)
    links = notices.Links(
        review=lambda i: f"/r/{i}", program=lambda s: f"/p/{s}", verify=lambda c: f"/v/{c}"
    )
    cert = Certificate(id=1, expires_on=EXPIRES, program=PROGRAM)

    def due(days_before: int) -> list[str]:
        today = EXPIRES - timedelta(days=days_before)
        return [r.kind for r in notices.due(cert, program, today, links)]

    assert due(61) == []
    assert due(60) == [kinds.RENEWAL_OPEN]
    assert due(31) == [kinds.RENEWAL_OPEN]
    assert due(30) == [kinds.RENEWAL_OPEN, kinds.CERTIFICATE_EXPIRING]
    assert due(1) == [kinds.RENEWAL_OPEN, kinds.CERTIFICATE_EXPIRING]
    assert due(0) == [kinds.CERTIFICATE_EXPIRED]
    assert due(-29) == [kinds.CERTIFICATE_EXPIRED]
    assert due(-30) == []


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (None, ["You can renew your", "expires in 30 days, on", "Renew it before then."]),
        ("nl", ["Je kunt je certificaat", "verloopt over 30 dagen, op", "Hernieuw het"]),
        ("fr", ["Vous pouvez renouveler", "expire dans 30 jours, le", "Renouvelez-le"]),
    ],
)
def test_reminders_are_written_in_the_holders_language(app, language, words):
    program = program_of(app)
    links = notices.Links(
        review=lambda i: f"/r/{i}", program=lambda s: f"/p/{s}", verify=lambda c: f"/v/{c}"
    )
    cert = Certificate(id=1, expires_on=EXPIRES, program=PROGRAM)
    with app.app_context(), speaking(language):
        found = notices.due(cert, program, EXPIRES - timedelta(days=30), links)
    text = " ".join(f"{r.message.title} {r.message.body}" for r in found)
    for word in words:
        assert word in text


def test_the_job_reads_only_certificates_near_their_dates(app, session):
    holders = [person(session, f"h{i}@example.org", f"Holder {i}") for i in range(4)]
    near = certificate(session, holders[0], EXPIRES)
    certificate(session, holders[1], EXPIRES + timedelta(days=61))  # window not open yet
    certificate(session, holders[2], EXPIRES - timedelta(days=400))  # long expired
    just_expired = certificate(session, holders[3], EXPIRES - timedelta(days=29))
    with app.app_context():
        found = notices._candidates(get_session(), course_of(app).programs, EXPIRES)
    assert sorted(c.id for c, _u in found) == sorted([near.id, just_expired.id])
