"""Certification: enrolment, practicum log, submission, review, certificates, renewal.

Runs on the small programme in tests/fixtures/cert_course: three qualifying sessions (one
as lead beyond one team, one as co-facilitator), an exam with two tagged domains, a
two-criterion rubric, one-year validity and a renewal with a refresher quiz.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from cocourse.certification import certificates, portfolios, practicum_rules, requirements
from cocourse.certification.links import site_links
from cocourse.config import ConfigError
from cocourse.db import get_session
from cocourse.learning import progress
from cocourse.models import (
    AuditEntry,
    Certificate,
    CohortAssessor,
    CohortMember,
    Portfolio,
    PracticumSession,
    QuizAttempt,
    Review,
    Role,
    StoredFile,
    User,
    utcnow,
)
from cocourse.quiz import engine as quizzes
from cocourse.web import i18n

from .conftest import FIXTURES, AuthActions, csrf_token, make_app, run_concurrently

CERT_COURSE = FIXTURES / "cert_course"
PROGRAM = "facilitator"
REFLECTION = "I opened with a check-in and the group found its own way to a decision today."
RIGHT = {"e-a1": "a", "e-a2": "a", "e-b1": "a", "e-b2": "a"}


@pytest.fixture
def app(engine, database_url: str, tmp_path: Path) -> Flask:
    return make_app(database_url, tmp_path, CONTENT_DIR=str(CERT_COURSE))


def course_of(app: Flask) -> Any:
    return app.extensions["cocourse.course"].course


def program_of(app: Flask) -> Any:
    return course_of(app).program(PROGRAM)


def plugins_of(app: Flask) -> Any:
    return app.extensions["cocourse.plugins"]


def finish_basics(app: Flask, user_id: int) -> None:
    course = course_of(app)
    module = course.module("basics")
    with app.app_context():
        progress.complete_lesson(get_session(), plugins_of(app), user_id, module, module.lessons[0])


def take_exam(app: Flask, user_id: int, answers: dict[str, str], *, complete: bool = True) -> Any:
    """Take the exam through the real quiz services; mark the lesson done if it passed."""
    course = course_of(app)
    module, lesson = course.quiz("exam")
    types = app.extensions["cocourse.question_types"]
    with app.app_context():
        db = get_session()
        attempt = quizzes.start(db, user_id, module, lesson)
        completing = course if complete else None  # with the course, a pass completes it
        attempt, _ = quizzes.submit(
            db, plugins_of(app), attempt.id, user_id, answers, types, course=completing
        )
    return attempt


def values(**changes: Any) -> portfolios.SessionValues:
    base: dict[str, Any] = {
        "held_on": utcnow().date(),
        "minutes": 90,
        "participants": 8,
        "role": "co",
        "stakeholder_groups": "sales, support",
        "beyond_team": False,
        "co_facilitators": "Sam",
        "purpose": "Agree next quarter's priorities.",
        "methods": "1-2-4-All",
        "harvest": "Three priorities with owners.",
        "feedback": "",
        "reflection": {"what": REFLECTION, "next": "Ask for feedback earlier."},
    }
    base.update(changes)
    return portfolios.SessionValues(**base)


def full_log(app: Flask, user: User, portfolio_id: int) -> None:
    """Three qualifying sessions: one lead beyond one team, two as co-facilitator."""
    with app.app_context():
        db = get_session()
        for change in ({"role": "lead", "beyond_team": True}, {}, {}):
            portfolios.save_session(
                db, program_of(app), portfolio_id, user, values(**change), utcnow().date()
            )


def ready_trainee(app: Flask, auth: AuthActions, email: str = "trainee@example.org") -> Any:
    """A trainee who finished the basics, passed the exam and logged a full practicum."""
    user = auth.create(email)
    finish_basics(app, user.id)
    take_exam(app, user.id, RIGHT)
    with app.app_context():
        portfolio = portfolios.enrol(
            get_session(), course_of(app), program_of(app), user, utcnow().date()
        )
    full_log(app, user, portfolio.id)
    return user, portfolio


def approve(**changes: Any) -> portfolios.Decision:
    base: dict[str, Any] = {
        "decision": portfolios.APPROVE,
        "levels": {"design": "shown", "stance": "shown"},
        "evidence": {"design": "Run sheet fits.", "stance": "Stayed neutral."},
        "comments": "",
        "independent": True,
    }
    base.update(changes)
    return portfolios.Decision(**base)


def submit(app: Flask, user: User, portfolio_id: int) -> None:
    with app.test_request_context():  # the notifications link to pages
        portfolios.submit(
            get_session(),
            course_of(app),
            program_of(app),
            portfolio_id,
            user,
            utcnow().date(),
            links=site_links(),
            declared=True,
        )


def decide(app: Flask, assessor: User, portfolio_id: int, decision: portfolios.Decision) -> Any:
    with app.test_request_context():
        return portfolios.decide(
            get_session(),
            plugins_of(app),
            course_of(app),
            program_of(app),
            portfolio_id,
            assessor,
            decision,
            utcnow().date(),
            links=site_links(),
        )


def certified(app: Flask, auth: AuthActions, session: Any) -> tuple[User, Certificate]:
    user, portfolio = ready_trainee(app, auth)
    submit(app, user, portfolio.id)
    admin = auth.create("admin@example.org", Role.ADMIN)
    _review, issued = decide(app, admin, portfolio.id, approve())
    assert issued is not None
    return user, session.get(Certificate, issued.id)


def count(session: Any, column: Any) -> int:
    """A row count seen from a fresh transaction (the app wrote through its own session)."""
    session.rollback()
    return session.scalar(select(func.count(column)))


def fresh(session: Any, query: Any) -> Any:
    """The first result of a query, read in a fresh transaction."""
    session.rollback()
    return session.scalar(query)


# --- the practicum rules, on their own ------------------------------------------------


def entry(**changes: Any) -> practicum_rules.Entry:
    base: dict[str, Any] = {
        "held_on": date(2026, 3, 2),
        "minutes": 60,
        "participants": 5,
        "role": "lead",
        "beyond_team": True,
        "purpose": "A purpose",
        "harvest": "A harvest",
        "reflection": {"what": REFLECTION},
        "reflected_at": datetime(2026, 3, 9, 20, tzinfo=UTC),
    }
    base.update(changes)
    return practicum_rules.Entry(**base)


def test_a_session_at_the_minimums_qualifies(app):
    rule = program_of(app).practicum
    assert practicum_rules.reasons(entry(), rule, window=None, reflection=True) == ()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"minutes": 59}, "shorter than 60 minutes"),
        ({"participants": 4}, "fewer than 5 participants"),
        ({"purpose": "  "}, "no purpose stated"),
        ({"harvest": ""}, "no harvest documented"),
        ({"reflection": {"what": "Too short."}}, "reflection has 2 words; at least 10 needed"),
        (
            {"reflected_at": datetime(2026, 3, 10, 0, 1, tzinfo=UTC)},
            "reflection not written within 7 days",
        ),
        ({"reflected_at": None}, "reflection not written within 7 days"),
        ({"reflection": {"what": "word " * 201}}, "reflection has 201 words; at most 200"),
        (
            {"held_on": date(2026, 3, 1), "reflected_at": datetime(2026, 3, 8, tzinfo=UTC)},
            "held outside the practicum period",
        ),
    ],
)
def test_each_rule_a_session_breaks_is_named(app, change, reason):
    rule = program_of(app).practicum
    window = (date(2026, 3, 2), date(2026, 12, 31))
    found = practicum_rules.reasons(entry(**change), rule, window=window, reflection=True)
    assert len(found) == 1 and found[0].startswith(reason)


def test_renewal_sessions_need_no_reflection_each(app):
    rule = program_of(app).practicum
    found = practicum_rules.reasons(
        entry(reflection={}, reflected_at=None), rule, window=None, reflection=False
    )
    assert found == ()


def test_the_tally_counts_roles_and_reach_of_qualifying_sessions_only():
    pairs = [
        (entry(role="lead", beyond_team=True), ()),
        (entry(role="lead", beyond_team=False), ()),
        (entry(role="co"), ()),
        (entry(role="co"), ("too short",)),
    ]
    found = practicum_rules.tally(pairs)
    assert found == practicum_rules.Tally(qualifying=3, lead=2, co=1, lead_beyond_team=1)
    assert practicum_rules.shortfalls(found, sessions=4, lead=2, co=2, beyond=2) == [
        "3 of 4 qualifying sessions",
        "1 of 2 sessions as co-facilitator",
        "1 of 2 lead sessions with stakeholders beyond one team",
    ]


def test_months_are_added_by_the_calendar():
    assert practicum_rules.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert practicum_rules.add_months(date(2026, 3, 15), 12) == date(2027, 3, 15)


# --- enrolment and the checklist ------------------------------------------------------


def test_enrolment_waits_for_the_prerequisite_tracks(app, auth):
    user = auth.create()
    with app.app_context(), pytest.raises(portfolios.PortfolioError, match="Basics"):
        portfolios.enrol(get_session(), course_of(app), program_of(app), user, utcnow().date())
    finish_basics(app, user.id)
    with app.app_context():
        found = portfolios.enrol(
            get_session(), course_of(app), program_of(app), user, utcnow().date()
        )
        assert found.status == portfolios.DRAFT and found.kind == "certification"
        with pytest.raises(portfolios.PortfolioError, match="already"):
            portfolios.enrol(get_session(), course_of(app), program_of(app), user, utcnow().date())


def test_concurrent_enrolments_leave_one_portfolio(app, auth, session):
    user = auth.create()
    finish_basics(app, user.id)

    def work(_i: int) -> None:
        portfolios.enrol(get_session(), course_of(app), program_of(app), user, utcnow().date())

    errors = run_concurrently(app, 4, work)
    assert all(isinstance(e, portfolios.PortfolioError) for e in errors) and len(errors) == 3
    assert count(session, Portfolio.id) == 1


def test_the_checklist_names_what_is_missing(app, auth):
    user = auth.create()
    finish_basics(app, user.id)
    with app.app_context():
        db = get_session()
        portfolio = portfolios.enrol(db, course_of(app), program_of(app), user, utcnow().date())
        found = requirements.checklist(
            db, course_of(app), program_of(app), portfolio, utcnow().date()
        )
    details = {item.label: (item.met, item.detail) for item in found.requirements}
    assert details == {
        "Module: Assessment": (False, "0/1 lessons"),
        "Final exam": (False, "not taken yet"),
        "Practicum log": (
            False,
            "so far: 0 of 3 qualifying sessions; 0 of 1 sessions as lead facilitator; "
            "0 of 1 sessions as co-facilitator; "
            "0 of 1 lead sessions with stakeholders beyond one team",
        ),
    }
    assert not found.complete


def test_the_exam_needs_every_domain_minimum_as_well_as_the_pass_mark(app, auth):
    user = auth.create()
    # 3 of 4 right: 75% passes the quiz, but domain-b (minimum 100%) has 50%.
    attempt = take_exam(app, user.id, {**RIGHT, "e-b2": "b"}, complete=False)
    assert attempt.passed
    rule = program_of(app).exam
    with app.app_context():
        found = requirements.exam_standing(get_session(), user.id, rule)
    assert not found.passed and found.short == ("domain-b",)
    assert found.domains == {"domain-a": 100.0, "domain-b": 50.0}
    take_exam(app, user.id, RIGHT)
    with app.app_context():
        assert requirements.exam_standing(get_session(), user.id, rule).passed


def test_the_result_page_shows_each_domain_against_its_minimum(app, auth, client):
    user = auth.create()
    attempt = take_exam(app, user.id, {**RIGHT, "e-b2": "b"}, complete=False)
    auth.login()
    page = client.get(f"/quiz/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "Results per competency domain" in page
    assert re.search(
        r"domain-b</th><td>50%</td><td>100%</td>\s*<td><span class=\"badge badge-locked\">Below",
        page,
    )
    assert re.search(
        r"domain-a</th><td>100%</td><td>50%</td>\s*<td><span class=\"badge badge-done\">Met", page
    )


def test_a_domain_the_draw_left_out_does_not_fail_the_exam(app, auth, session):
    user = auth.create()
    attempt = take_exam(app, user.id, RIGHT, complete=False)
    row = fresh(session, select(QuizAttempt).where(QuizAttempt.id == attempt.id))
    row.questions = [q for q in row.questions if "domain-b" not in q.get("tags", [])]
    session.commit()
    with app.app_context():
        found = requirements.exam_standing(get_session(), user.id, program_of(app).exam)
        results = requirements.domain_results(course_of(app), found.attempt)
    assert found.passed and found.domains == {"domain-a": 100.0}
    assert [(r.tag, r.percent, r.met) for r in results] == [
        ("domain-a", 100.0, True),
        ("domain-b", None, True),
    ]


def test_a_complete_portfolio_can_be_submitted_and_then_not_changed(app, auth, session):
    user, portfolio = ready_trainee(app, auth)
    with app.app_context():
        found = requirements.checklist(
            get_session(), course_of(app), program_of(app), portfolio, utcnow().date()
        )
    assert found.complete, found.requirements
    submit(app, user, portfolio.id)
    row = fresh(session, select(PracticumSession.id))
    with app.app_context():
        with pytest.raises(portfolios.PortfolioError, match="under review"):
            portfolios.save_session(
                get_session(), program_of(app), portfolio.id, user, values(), utcnow().date()
            )
        with pytest.raises(portfolios.PortfolioError, match="under review"):
            portfolios.delete_session(get_session(), portfolio.id, user, row)
    assert count(session, PracticumSession.id) == 3


def test_submitting_needs_the_programmes_declaration(app, auth, session, client):
    user, portfolio = ready_trainee(app, auth)
    declaration = program_of(app).practicum.declaration_html
    assert 'href="/modules/basics/start"' in declaration  # linked like a lesson's links
    refusal = pytest.raises(portfolios.PortfolioError, match="Confirm the declaration")
    with app.test_request_context(), refusal:
        portfolios.submit(
            get_session(),
            course_of(app),
            program_of(app),
            portfolio.id,
            user,
            utcnow().date(),
            links=site_links(),
        )
    session.rollback()
    assert session.get(Portfolio, portfolio.id).status == portfolios.DRAFT
    # The page shows the declaration beside a box to tick; the form is refused without it.
    auth.login("trainee@example.org")
    base = f"/certification/{PROGRAM}"
    page = client.get(base).get_data(as_text=True)
    assert declaration in page and "I confirm this declaration" in page
    refused = client.post(
        f"{base}/submit", data={"csrf_token": csrf_token(page)}, follow_redirects=True
    )
    assert "Confirm the declaration" in refused.get_data(as_text=True)
    client.post(f"{base}/submit", data={"csrf_token": csrf_token(page), "declared": "yes"})
    session.rollback()
    assert session.get(Portfolio, portfolio.id).status == portfolios.SUBMITTED
    [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "submitted"))
    assert entry.detail["declared"] is True


def test_a_submission_can_be_withdrawn_until_someone_decides(app, auth, session, client):
    user, portfolio = ready_trainee(app, auth)
    submit(app, user, portfolio.id)
    auth.login("trainee@example.org")
    base = f"/certification/{PROGRAM}"
    page = client.get(base).get_data(as_text=True)
    assert "Withdraw the submission" in page
    response = client.post(f"{base}/withdraw", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    session.rollback()
    found = session.get(Portfolio, portfolio.id)
    assert found.status == portfolios.DRAFT and found.submitted_at is None
    again = client.post(
        f"{base}/withdraw", data={"csrf_token": csrf_token(page)}, follow_redirects=True
    )
    assert "Only a portfolio waiting for review can be withdrawn." in again.get_data(as_text=True)
    submit(app, user, portfolio.id)
    admin = auth.create("admin@example.org", Role.ADMIN)
    decide(app, admin, portfolio.id, approve())
    with app.app_context():
        with pytest.raises(LookupError):  # approved: no longer open, and not someone else's
            portfolios.withdraw(get_session(), portfolio.id, admin)
        with pytest.raises(portfolios.PortfolioError, match="waiting for review"):
            portfolios.withdraw(get_session(), portfolio.id, user)


def test_an_incomplete_portfolio_is_refused_at_submission(app, auth, session):
    user = auth.create()
    finish_basics(app, user.id)
    with app.app_context():
        portfolio_id = portfolios.enrol(
            get_session(), course_of(app), program_of(app), user, utcnow().date()
        ).id
        with pytest.raises(portfolios.PortfolioError, match="not met"):
            portfolios.submit(
                get_session(),
                course_of(app),
                program_of(app),
                portfolio_id,
                user,
                utcnow().date(),
                links=site_links(),
                declared=True,
            )
    session.rollback()
    assert session.get(Portfolio, portfolio_id).status == portfolios.DRAFT


def test_the_practicum_period_starts_with_the_track_not_the_enrolment(app, auth, session):
    from cocourse.models import LessonCompletion

    user, portfolio = ready_trainee(app, auth)
    today = utcnow().date()
    # Held three days ago, before enrolling today, but after starting the track.
    with app.app_context():
        portfolios.save_session(
            get_session(),
            program_of(app),
            portfolio.id,
            user,
            values(held_on=today - timedelta(days=3)),
            today,
        )
    completion = fresh(
        session, select(LessonCompletion).where(LessonCompletion.module_slug == "assessment")
    )
    completion.completed_at = utcnow() - timedelta(days=10)
    session.commit()
    with app.app_context():
        found = requirements.checklist(
            get_session(), course_of(app), program_of(app), portfolio, today
        )
    assert found.window == (today - timedelta(days=10), found.window[1])
    assert all(logged.qualifies for logged in found.sessions)
    completion.completed_at = utcnow()
    session.commit()
    with app.app_context():
        found = requirements.checklist(
            get_session(), course_of(app), program_of(app), portfolio, today
        )
    early = [logged for logged in found.sessions if logged.row.held_on < today]
    assert early and early[0].reasons[0].startswith("held outside the practicum period")


def test_a_corrected_reflection_keeps_the_date_it_was_first_complete(app, auth, session):
    user, portfolio = ready_trainee(app, auth)
    row = fresh(session, select(PracticumSession).order_by(PracticumSession.id))
    first = utcnow() - timedelta(days=20)
    row.reflected_at = first
    session.commit()
    program, today = program_of(app), utcnow().date()
    corrected = {"what": REFLECTION + " Corrected a typo.", "next": "Ask earlier."}
    with app.app_context():
        portfolios.save_session(
            get_session(),
            program,
            portfolio.id,
            user,
            values(reflection=corrected),
            today,
            session_id=row.id,
        )
    assert (
        fresh(session, select(PracticumSession.reflected_at).where(PracticumSession.id == row.id))
        == first
    )
    with app.app_context():
        portfolios.save_session(
            get_session(),
            program,
            portfolio.id,
            user,
            values(reflection={"what": "Short."}),
            today,
            session_id=row.id,
        )
    assert (
        fresh(session, select(PracticumSession.reflected_at).where(PracticumSession.id == row.id))
        is None
    )


def test_a_portfolio_holds_a_bounded_number_of_sessions(app, auth, session, monkeypatch):
    monkeypatch.setattr(portfolios, "MAX_SESSIONS", 3)
    user, portfolio = ready_trainee(app, auth)  # three sessions logged
    limit = pytest.raises(portfolios.PortfolioError, match="at most 3 sessions")
    with app.app_context(), limit:
        portfolios.save_session(
            get_session(), program_of(app), portfolio.id, user, values(), utcnow().date()
        )
    assert count(session, PracticumSession.id) == 3


def test_sessions_in_the_future_and_of_others_are_refused(app, auth):
    user, portfolio = ready_trainee(app, auth)
    other = auth.create("other@example.org")
    tomorrow = utcnow().date() + timedelta(days=1)
    with app.app_context():
        db = get_session()
        with pytest.raises(portfolios.PortfolioError, match="future"):
            portfolios.save_session(
                db, program_of(app), portfolio.id, user, values(held_on=tomorrow), utcnow().date()
            )
        with pytest.raises(LookupError):
            portfolios.save_session(
                db, program_of(app), portfolio.id, other, values(), utcnow().date()
            )


# --- review and issue -----------------------------------------------------------------


def test_approval_issues_one_certificate_and_fires_the_hook_once(app, auth, session):
    fired: list[dict[str, Any]] = []

    class Listener:
        from cocourse.hookspecs import hookimpl

        @hookimpl
        def certificate_issued(self, user_id: int, program: str, certificate_id: int) -> None:
            fired.append({"user": user_id, "program": program, "id": certificate_id})

    app.extensions["cocourse.plugins"].register(Listener())
    user, certificate = certified(app, auth, session)
    assert fired == [{"user": user.id, "program": PROGRAM, "id": certificate.id}]
    assert len(certificate.code) >= 22  # 128 bits or more, URL-safe
    assert certificate.expires_on == certificate.valid_from + timedelta(days=365)
    session.rollback()
    actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-3:] == ["submitted", "certificate-issued", "approve"]


def test_nobody_reviews_their_own_portfolio(app, auth):
    user, portfolio = ready_trainee(app, auth, "assessor@example.org")
    submit(app, user, portfolio.id)
    user.role = Role.ADMIN.value  # even an admin
    with pytest.raises(LookupError):
        decide(app, user, portfolio.id, approve())


def test_assessors_review_only_their_cohorts(app, auth, session):
    user, portfolio = ready_trainee(app, auth)
    submit(app, user, portfolio.id)
    assessor = auth.create("assessor@example.org", Role.ASSESSOR)
    with pytest.raises(LookupError):
        decide(app, assessor, portfolio.id, approve())
    from cocourse.models import Cohort

    cohort = Cohort(name="Intake", join_code="code-1")
    session.add(cohort)
    session.flush()
    session.add_all(
        [
            CohortMember(cohort_id=cohort.id, user_id=user.id),
            CohortAssessor(cohort_id=cohort.id, user_id=assessor.id),
        ]
    )
    session.commit()
    with app.app_context():
        assert [q.owner.id for q in portfolios.queue(get_session(), assessor)] == [user.id]
    _review, issued = decide(app, assessor, portfolio.id, approve())
    assert issued is not None


@pytest.mark.parametrize(
    ("decision", "message"),
    [
        (approve(levels={"design": "shown", "stance": "not-yet"}), "passing level"),
        (approve(levels={"design": "shown"}), "Choose a level"),
        (approve(levels={"design": "shown", "stance": "forged"}), "Choose a level"),
        (approve(evidence={"design": "ok", "stance": " "}), "evidence note"),
        (approve(decision=portfolios.REQUEST_CHANGES), "what the trainee should change"),
        (approve(decision="issue-anyway"), "approve or to request changes"),
        (approve(independent=False), "independent of the trainee"),
    ],
)
def test_bad_decisions_are_refused_and_write_nothing(app, auth, session, decision, message):
    user, portfolio = ready_trainee(app, auth)
    submit(app, user, portfolio.id)
    admin = auth.create("admin@example.org", Role.ADMIN)
    with pytest.raises(portfolios.PortfolioError, match=message):
        decide(app, admin, portfolio.id, decision)
    assert count(session, Review.id) == 0
    assert count(session, Certificate.id) == 0


def test_approval_rechecks_the_requirements(app, auth, session):
    user, portfolio = ready_trainee(app, auth)
    submit(app, user, portfolio.id)
    # A session stops qualifying after submission (say, an admin corrected its duration).
    row = session.scalar(select(PracticumSession).where(PracticumSession.role == "lead"))
    row.minutes = 30
    session.commit()
    admin = auth.create("admin@example.org", Role.ADMIN)
    with pytest.raises(portfolios.PortfolioError, match="no longer meets"):
        decide(app, admin, portfolio.id, approve())
    assert count(session, Certificate.id) == 0


def test_changes_requested_reopen_the_portfolio_for_resubmission(app, auth, session):
    user, portfolio = ready_trainee(app, auth)
    submit(app, user, portfolio.id)
    admin = auth.create("admin@example.org", Role.ADMIN)
    changes = approve(decision=portfolios.REQUEST_CHANGES, comments="Add the harvest photo.")
    _review, issued = decide(app, admin, portfolio.id, changes)
    assert issued is None
    session.rollback()
    assert session.get(Portfolio, portfolio.id).status == portfolios.CHANGES
    full_log(app, user, portfolio.id)  # may edit again
    submit(app, user, portfolio.id)
    _review, issued = decide(app, admin, portfolio.id, approve())
    assert issued is not None


def test_concurrent_approvals_issue_exactly_one_certificate(app, auth, session):
    user, portfolio = ready_trainee(app, auth)
    submit(app, user, portfolio.id)
    admins = [auth.create(f"admin{i}@example.org", Role.ADMIN) for i in range(4)]
    fired: list[int] = []

    class Listener:
        from cocourse.hookspecs import hookimpl

        @hookimpl
        def certificate_issued(self, user_id: int, program: str, certificate_id: int) -> None:
            fired.append(certificate_id)

    app.extensions["cocourse.plugins"].register(Listener())

    def work(i: int) -> None:
        with app.test_request_context():
            portfolios.decide(
                get_session(),
                plugins_of(app),
                course_of(app),
                program_of(app),
                portfolio.id,
                admins[i],
                approve(),
                utcnow().date(),
                links=site_links(),
            )

    errors = run_concurrently(app, 4, work)
    assert len(errors) == 3 and all(isinstance(e, portfolios.PortfolioError) for e in errors)
    assert count(session, Certificate.id) == 1
    assert count(session, Review.id) == 1
    assert len(fired) == 1


# --- status, verification, revocation, renewal -----------------------------------------


def test_status_moves_by_date(app):
    program = program_of(app)
    cert = Certificate(expires_on=date(2027, 6, 30))
    on = certificates.status
    assert on(cert, program, date(2027, 5, 30)) == certificates.VALID
    assert on(cert, program, date(2027, 5, 31)) == certificates.EXPIRING
    assert on(cert, program, date(2027, 6, 30)) == certificates.GRACE
    assert on(cert, program, date(2027, 7, 29)) == certificates.GRACE
    assert on(cert, program, date(2027, 7, 30)) == certificates.EXPIRED
    cert.revoked_at = utcnow()
    assert on(cert, program, date(2027, 5, 1)) == certificates.REVOKED


def test_renewal_issues_a_new_certificate_and_keeps_the_history(app, auth, session, client):
    user, first = certified(app, auth, session)
    # Move the certificate into its renewal window (opens 60 days before expiry).
    first.valid_from -= timedelta(days=330)
    first.expires_on -= timedelta(days=330)
    session.commit()
    today = utcnow().date()
    with app.app_context():
        renewal = portfolios.start_renewal(get_session(), program_of(app), user, today)
        db = get_session()
        for change in ({"role": "lead"}, {}):
            portfolios.save_session(
                db, program_of(app), renewal.id, user, values(reflection={}, **change), today
            )
        found = requirements.checklist(db, course_of(app), program_of(app), renewal, today)
    missing = [item.label for item in found.requirements if not item.met]
    assert missing == ["Refresher quiz", "Continuing development", "Renewal reflection"]
    auth.login("trainee@example.org")
    form = client.get(f"/certification/{PROGRAM}/sessions/new").get_data(as_text=True)
    assert "Outcome and harvest" in form and "What happened?" not in form  # one reflection overall
    module, lesson = course_of(app).quiz("refresher")
    types = app.extensions["cocourse.question_types"]
    with app.app_context():
        db = get_session()
        attempt = quizzes.start(db, user.id, module, lesson)
        quizzes.submit(db, plugins_of(app), attempt.id, user.id, {"r-1": "a"}, types)
        portfolios.save_statement(db, program_of(app), renewal.id, user, {"since": REFLECTION}, 6)
    submit(app, user, renewal.id)
    admin = fresh(session, select(User).where(User.role == Role.ADMIN.value))
    _review, second = decide(app, admin, renewal.id, approve())
    session.rollback()
    old = session.get(Certificate, first.id)
    assert old.superseded_at is not None and second.previous_id == old.id
    # Renewed early: the new period runs on from the old expiry date.
    assert second.valid_from == old.expires_on
    assert second.expires_on == old.expires_on + timedelta(days=365)
    with app.app_context():
        assert [c.id for c in certificates.history(get_session(), user.id)] == [second.id, old.id]


def test_renewal_waits_for_its_window(app, auth, session):
    user, _first = certified(app, auth, session)
    with app.app_context(), pytest.raises(portfolios.PortfolioError, match="Renewal opens on"):
        portfolios.start_renewal(get_session(), program_of(app), user, utcnow().date())


def test_revocation_keeps_the_reason_but_the_public_page_does_not_show_it(
    app, auth, session, client
):
    _user, cert = certified(app, auth, session)
    admin = fresh(session, select(User).where(User.role == Role.ADMIN.value))
    with app.app_context():
        certificates.revoke(get_session(), cert.id, admin, "Misrepresented the practicum")
        with pytest.raises(certificates.CertificateError, match="already"):
            certificates.revoke(get_session(), cert.id, admin, "Again")
    page = client.get(f"/verify/{cert.code}").get_data(as_text=True)
    assert "Revoked" in page and "Misrepresented" not in page
    found = fresh(session, select(AuditEntry).where(AuditEntry.action == "certificate-revoked"))
    assert found.detail == {"reason": "Misrepresented the practicum"}
    assert found.actor_id == admin.id


# --- pages ----------------------------------------------------------------------------


def test_the_verification_page_shows_the_facts_and_nothing_else(app, auth, session, client):
    user, cert = certified(app, auth, session)
    page = client.get(f"/verify/{cert.code}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Trainee" in text and "Test Facilitator" in text and "Valid" in text
    with app.test_request_context():  # the days as an English page writes them
        assert i18n.day(cert.valid_from) in text and i18n.day(cert.expires_on) in text
    assert user.email not in text


@pytest.mark.parametrize("code", ["x" * 43, "short", "A" * 200, "%00"])
def test_unknown_codes_get_one_uniform_404(client, code):
    first = client.get(f"/verify/{code}")
    assert first.status_code == 404
    assert "No certificate has this code" in first.get_data(as_text=True)


def test_verification_is_rate_limited(engine, database_url, tmp_path):
    app = make_app(
        database_url,
        tmp_path,
        CONTENT_DIR=str(CERT_COURSE),
        RATELIMIT_ENABLED=True,
        VERIFY_RATE_LIMIT="3 per minute",
    )
    client = app.test_client()
    codes = [client.get(f"/verify/{'x' * 43}").status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]


def login_as(auth: AuthActions, email: str, role: Role = Role.LEARNER) -> User:
    user = auth.create(email, role)
    auth.login(email)
    return user


def test_certificate_documents_are_for_the_holder_and_admins_only(app, auth, session, client):
    _user, cert = certified(app, auth, session)
    auth.login("trainee@example.org")
    html = client.get(f"/certificates/{cert.id}")
    assert html.status_code == 200 and "<svg" in html.get_data(as_text=True)
    pdf = client.get(f"/certificates/{cert.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    auth.logout()
    login_as(auth, "nosy@example.org")
    assert client.get(f"/certificates/{cert.id}").status_code == 404
    assert client.get(f"/certificates/{cert.id}.pdf").status_code == 404
    assert client.get(f"/certificates/{cert.id + 1}.pdf").status_code == 404


def test_a_name_with_markup_is_escaped_on_every_page(app, auth, session, client):
    _user, cert = certified(app, auth, session)
    cert.holder_name = '<script>alert("x")</script> ليلى 🌱'
    session.commit()
    auth.login("trainee@example.org")
    for url in (f"/verify/{cert.code}", f"/certificates/{cert.id}"):
        text = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in text
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; ليلى 🌱" in text


def test_the_open_badge_assertion_is_hosted_and_hashes_the_email(app, auth, session, client):
    import hashlib

    user, cert = certified(app, auth, session)
    found = client.get(f"/badges/assertions/{cert.code}.json").get_json(force=True)
    assert found["type"] == "Assertion" and found["verification"] == {"type": "hosted"}
    identity = "sha256$" + hashlib.sha256((user.email + cert.badge_salt).encode()).hexdigest()
    assert found["recipient"]["identity"] == identity
    assert user.email not in client.get(f"/badges/assertions/{cert.code}.json").get_data(
        as_text=True
    )
    badge = client.get(found["badge"].replace("http://localhost", "")).get_json(force=True)
    assert badge["type"] == "BadgeClass" and badge["name"] == "Test Facilitator"
    assert client.get(f"/badges/assertions/{'x' * 43}.json").status_code == 404


def post_form(client: Any, url: str, data: dict[str, Any], page: str | None = None) -> Any:
    token = csrf_token(client.get(page or url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token}, content_type="multipart/form-data")


def session_form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "held_on": utcnow().date().isoformat(),
        "minutes": "90",
        "participants": "8",
        "role": "lead",
        "beyond_team": "y",
        "purpose": "Agree priorities",
        "methods": "Open space",
        "harvest": "Priorities with owners",
        "reflection_0": REFLECTION,
        "reflection_1": "Next time, start on time.",
    }
    data.update(changes)
    return data


def test_a_trainee_logs_edits_and_deletes_sessions_through_the_pages(app, auth, session, client):
    user = login_as(auth, "trainee@example.org")
    finish_basics(app, user.id)
    base = f"/certification/{PROGRAM}"
    assert post_form(client, f"{base}/enrol", {}, base).status_code == 302
    created = post_form(client, f"{base}/sessions/new", session_form())
    assert created.status_code == 302
    row = fresh(session, select(PracticumSession))
    assert row.role == "lead" and row.beyond_team and row.reflected_at is not None
    page = client.get(base).get_data(as_text=True)
    assert 'badge-done">Qualifies' in page
    edited = post_form(client, f"{base}/sessions/{row.id}", session_form(minutes="30"))
    assert edited.status_code == 302
    page = client.get(base).get_data(as_text=True)
    assert "Shorter than 60 minutes" in page
    assert post_form(client, f"{base}/sessions/{row.id}/delete", {}, base).status_code == 302
    assert count(session, PracticumSession.id) == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"minutes": "abc"}, "Not a valid integer value"),
        ({"minutes": "0"}, "between 1 and 1440"),
        ({"participants": ""}, "Give the number"),
        ({"held_on": "yesterday"}, "Not a valid date value"),
        ({"role": "boss"}, "Not a valid choice"),
        ({"held_on": "2999-01-01"}, "in the future"),
        ({"purpose": "x" * 20_001}, "Field cannot be longer than 20000 characters"),
    ],
)
def test_bad_session_forms_get_a_message_and_save_nothing(
    app, auth, session, client, changes, message
):
    user = login_as(auth, "trainee@example.org")
    finish_basics(app, user.id)
    base = f"/certification/{PROGRAM}"
    post_form(client, f"{base}/enrol", {}, base)
    response = post_form(client, f"{base}/sessions/new", session_form(**changes))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(session, PracticumSession.id) == 0


def upload(client: Any, base: str, name: str, data: bytes) -> Any:
    return post_form(
        client, f"{base}/sessions/new", {**session_form(), "attachment": (io.BytesIO(data), name)}
    )


def test_attachments_are_checked_stored_and_served_to_the_right_people(app, auth, session, client):
    user = login_as(auth, "trainee@example.org")
    finish_basics(app, user.id)
    base = f"/certification/{PROGRAM}"
    post_form(client, f"{base}/enrol", {}, base)
    wrong_type = upload(client, base, "harvest.exe", b"MZ\x90\x00")
    assert (
        wrong_type.status_code == 400
        and "Attach a file of one of these types" in wrong_type.get_data(as_text=True)
    )
    lying = upload(client, base, "harvest.png", b"%PDF-1.7 not a picture")
    assert lying.status_code == 400 and "not what .png promises" in lying.get_data(as_text=True)
    app.config.update(PRACTICUM_ATTACHMENT_MAX_BYTES=2048, MAX_CONTENT_LENGTH=16 * 1024)
    big = upload(client, base, "harvest.pdf", b"%PDF-" + b"0" * 2048)
    assert big.status_code == 400 and "larger than 2 KB" in big.get_data(as_text=True)
    huge = upload(client, base, "harvest.pdf", b"%PDF-" + b"0" * 20_000)
    assert huge.status_code == 413
    assert count(session, PracticumSession.id) == 0
    uploads = Path(app.instance_path) / "uploads" / "practicum"
    assert not uploads.exists() or not any(uploads.iterdir())

    assert upload(client, base, "../../Harvest notes.pdf", b"%PDF-1.7 notes").status_code == 302
    row = fresh(session, select(PracticumSession))
    assert row.attachment_name == "Harvest notes.pdf" and re.fullmatch(
        r"[0-9a-f]{32}", row.attachment_key
    )
    with client.get(f"/certification/attachments/{row.id}") as served:
        assert served.status_code == 200 and served.data == b"%PDF-1.7 notes"
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert "attachment" in served.headers["Content-Disposition"]
    auth.logout()
    login_as(auth, "other@example.org")
    assert client.get(f"/certification/attachments/{row.id}").status_code == 404
    auth.logout()
    login_as(auth, "assessor@example.org", Role.ASSESSOR)
    assert client.get(f"/certification/attachments/{row.id}").status_code == 404
    auth.logout()
    login_as(auth, "admin@example.org", Role.ADMIN)
    with client.get(f"/certification/attachments/{row.id}") as served:
        assert served.status_code == 200
    # The stored file turned into a link to the secret key: refused, nothing leaks.
    secret = Path(app.instance_path) / "secret_key"
    secret.write_text("top-secret-key")
    stored = uploads / row.attachment_key
    stored.unlink()
    stored.symlink_to(secret)
    with client.get(f"/certification/attachments/{row.id}") as refused:
        assert refused.status_code == 404 and b"top-secret-key" not in refused.data


def test_attachments_in_the_database_are_served_by_every_host(
    engine, database_url, tmp_path, session
):
    """Two apps with instance folders of their own stand for two hosts over one database."""
    here, there = (
        make_app(
            database_url,
            tmp_path / host,
            CONTENT_DIR=str(CERT_COURSE),
            ATTACHMENT_STORAGE="database",
        )
        for host in ("a", "b")
    )
    client = here.test_client()
    user = login_as(AuthActions(client, session), "trainee@example.org")
    finish_basics(here, user.id)
    base = f"/certification/{PROGRAM}"
    post_form(client, f"{base}/enrol", {}, base)
    assert upload(client, base, "notes.pdf", b"%PDF-1.7 first").status_code == 302
    row = fresh(session, select(PracticumSession))
    assert fresh(session, select(StoredFile.data).where(StoredFile.key == row.attachment_key))
    assert not (Path(here.instance_path) / "uploads").exists()

    elsewhere = there.test_client()
    AuthActions(elsewhere, session).login("trainee@example.org")
    with elsewhere.get(f"/certification/attachments/{row.id}") as served:
        assert served.status_code == 200 and served.data == b"%PDF-1.7 first"
        assert served.headers["Content-Type"] == "application/pdf"
        assert "notes.pdf" in served.headers["Content-Disposition"]

    # Replacing the file keeps one row; deleting the session removes it.
    changed = post_form(
        elsewhere,
        f"{base}/sessions/{row.id}",
        {**session_form(), "attachment": (io.BytesIO(b"%PDF-1.7 second"), "notes.pdf")},
    )
    assert changed.status_code == 302
    session.rollback()
    assert session.scalars(select(StoredFile.data)).all() == [b"%PDF-1.7 second"]
    post_form(elsewhere, f"{base}/sessions/{row.id}/delete", {}, base)
    assert count(session, StoredFile.key) == 0


def test_an_unknown_attachment_storage_is_refused(database_url, tmp_path):
    with pytest.raises(ConfigError, match="ATTACHMENT_STORAGE"):
        make_app(database_url, tmp_path, ATTACHMENT_STORAGE="s3")


def test_other_trainees_sessions_cannot_be_edited_by_id(app, auth, session, client):
    owner, portfolio = ready_trainee(app, auth)
    row = fresh(session, select(PracticumSession.id))
    intruder = login_as(auth, "intruder@example.org")
    finish_basics(app, intruder.id)
    base = f"/certification/{PROGRAM}"
    post_form(client, f"{base}/enrol", {}, base)
    assert client.get(f"{base}/sessions/{row}").status_code == 404
    token = csrf_token(client.get(base).get_data(as_text=True))
    assert (
        client.post(
            f"{base}/sessions/{row}", data={**session_form(), "csrf_token": token}
        ).status_code
        == 404
    )
    assert (
        client.post(f"{base}/sessions/{row}/delete", data={"csrf_token": token}).status_code == 404
    )
    assert count(session, PracticumSession.id) == 3


def test_review_pages_are_scoped_and_record_decisions(app, auth, session, client):
    user, portfolio = ready_trainee(app, auth)
    submit(app, user, portfolio.id)
    login_as(auth, "learner2@example.org")
    assert client.get("/reviews/").status_code == 403
    assert client.get(f"/reviews/{portfolio.id}").status_code == 403
    auth.logout()
    login_as(auth, "assessor@example.org", Role.ASSESSOR)
    assert client.get(f"/reviews/{portfolio.id}").status_code == 404
    auth.logout()
    login_as(auth, "admin@example.org", Role.ADMIN)
    page = client.get(f"/reviews/{portfolio.id}").get_data(as_text=True)
    assert "Designing the process" in page and "<strong>structures</strong>" in page
    url = f"/reviews/{portfolio.id}"
    half = post_form(client, url, {"decision": "approve", "level_0": "shown"})
    assert half.status_code == 400 and "Choose a level for Professional stance" in half.get_data(
        as_text=True
    )
    done = post_form(
        client,
        url,
        {
            "decision": "approve",
            "level_0": "shown",
            "evidence_0": "Good design",
            "level_1": "shown",
            "evidence_1": "Neutral",
            "independent": "y",
        },
    )
    assert done.status_code == 302
    assert count(session, Certificate.id) == 1
    again = post_form(
        client, url, {"decision": "approve", "level_0": "shown", "level_1": "shown"}, page=url
    )
    assert again.status_code == 400 and count(session, Certificate.id) == 1


def test_certificate_requests_without_approval_are_refused(app, auth, session, client):
    user = login_as(auth, "trainee@example.org")
    listing = client.get("/certification/").get_data(as_text=True)
    assert "Test Facilitator" in listing and "Not enrolled yet" in listing
    assert client.get("/certificates/1").status_code == 404
    assert client.get("/certificates/1.pdf").status_code == 404
    assert client.get(f"/certification/{PROGRAM}").status_code == 200
    assert client.get("/certification/no-such-programme").status_code == 404
    assert user.id


def test_admins_list_filter_export_and_revoke(app, auth, session, client):
    _user, cert = certified(app, auth, session)
    auth.login("admin@example.org")
    page = client.get("/admin/certificates?status=valid").get_data(as_text=True)
    assert "Trainee" in page and "1 certificate" in page
    assert "0 certificates" in client.get("/admin/certificates?status=expired").get_data(
        as_text=True
    )
    with client.get("/admin/certificates.csv?status=valid") as response:
        lines = response.get_data(as_text=True).splitlines()
    assert lines[0].startswith("certificate_id,name,email,program,status")
    assert len(lines) == 2 and ",valid," in lines[1] and cert.code in lines[1]
    token = csrf_token(page)
    response = client.post(
        f"/admin/certificates/{cert.id}/revoke", data={"csrf_token": token, "reason": "Left"}
    )
    assert response.status_code == 302
    assert "1 certificate" in client.get("/admin/certificates?status=revoked").get_data(
        as_text=True
    )
    trail = client.get("/admin/audit").get_data(as_text=True)
    assert "certificate-revoked" in trail and "certificate-issued" in trail
    auth.logout()
    login_as(auth, "assessor@example.org", Role.ASSESSOR)
    assert client.get("/admin/certificates").status_code == 403
    assert client.get("/admin/audit").status_code == 403


def test_a_revoked_badge_assertion_says_so_with_410(app, auth, session, client):
    _user, cert = certified(app, auth, session)
    admin = fresh(session, select(User).where(User.role == Role.ADMIN.value))
    with app.app_context():
        certificates.revoke(get_session(), cert.id, admin, "Left the organization")
    response = client.get(f"/badges/assertions/{cert.code}.json")
    found = response.get_json(force=True)
    assert response.status_code == 410 and found["revoked"] is True
    assert "Left" not in response.get_data(as_text=True)


def test_a_pdf_the_server_cannot_draw_gets_a_clear_503(app, auth, session, client, monkeypatch):
    from cocourse.certification import document as certificate_document

    _user, cert = certified(app, auth, session)

    def no_font(*_args: Any, **_kwargs: Any) -> bytes:
        raise certificate_document.CertificateFontError("no font has U+4E2D")

    monkeypatch.setattr(certificate_document, "certificate_pdf", no_font)
    auth.login("trainee@example.org")
    response = client.get(f"/certificates/{cert.id}.pdf")
    assert response.status_code == 503
    assert "Print the certificate page instead" in response.get_data(as_text=True)


def test_the_status_filter_in_sql_agrees_with_status_by_date(app, auth, session):
    """`certificates.listing` filters by status in SQL; `certificates.status` works in Python."""
    today = utcnow().date()
    holder = auth.create("holder@example.org")
    offsets = [400, 31, 30, 1, 0, -1, -29, -30, -31, 200]
    for number, days in enumerate(offsets):
        session.add(
            Certificate(
                user_id=holder.id,
                program=PROGRAM,
                code=certificates.new_code(),
                holder_name="Holder",
                valid_from=today - timedelta(days=300),
                expires_on=today + timedelta(days=days),
                superseded_at=None if number == len(offsets) - 1 else utcnow(),
                revoked_at=utcnow() if days == 200 else None,
                badge_salt="salt",
            )
        )
    session.commit()
    program = program_of(app)
    with app.app_context():
        db = get_session()
        everything = {c.id: c for c in db.scalars(select(Certificate))}
        for wanted in certificates.STATUSES:
            rows, total = certificates.listing(db, course_of(app), wanted=wanted, today=today)
            expected = {
                i for i, c in everything.items() if certificates.status(c, program, today) == wanted
            }
            assert {row.certificate.id for row in rows} == expected and total == len(expected), (
                wanted
            )
            assert expected, wanted  # every status occurs in the sample
