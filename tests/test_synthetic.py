"""Synthetic data: what `cocourse synthetic` writes, that reports read it, and the same seed
giving the same data."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import delete, func, select

from cocourse import create_app
from cocourse.accounts.services import authenticate
from cocourse.cli import cli
from cocourse.config import Defaults
from cocourse.db import get_session
from cocourse.devtools.synthetic import Options, SimulatedQuiz, SyntheticError, domain, generate
from cocourse.learning.progress import Standing
from cocourse.models import (
    ActivityEvent,
    Base,
    Cohort,
    CohortAssessor,
    CohortMember,
    LessonCompletion,
    QuizAttempt,
    Role,
    User,
)
from cocourse.quiz import engine as quizzes
from cocourse.reports import cohort_matrix as cohort_report
from cocourse.reports.item_analysis import AttemptRecord, Response, analyse

from .conftest import PASSWORD, AuthActions, make_app, track

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
FIRST_QUIZ = "tasting-01-what-co-creation-is-check"


@pytest.fixture
def app(engine, database_url, tmp_path):
    """The app serving the bundled course."""
    return make_app(database_url, tmp_path, CONTENT_DIR=Defaults.CONTENT_DIR)


def run(app, learners=60, cohorts=3, seed=1, **more):
    """Generate into the test database."""
    course = app.extensions["cocourse.course"].course
    types = app.extensions["cocourse.question_types"]
    options = Options(learners=learners, cohorts=cohorts, seed=seed, now=NOW, **more)
    with app.app_context():
        return generate(get_session(), course, types, options)


def count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_counts_add_up_and_progress_follows_the_course(app, session):
    summary = run(app)
    course = app.extensions["cocourse.course"].course
    learners = session.scalars(select(User).where(User.role == Role.LEARNER.value)).all()
    assert len(learners) == summary.learners == 60
    assert count(session, User, User.role == Role.ASSESSOR.value) == summary.assessors == 1
    assert all(user.email.endswith("@" + domain(1)) for user in learners)
    assert count(session, Cohort) == summary.cohorts == 3
    per_learner = Counter(session.scalars(select(CohortMember.user_id)))
    assert set(per_learner.values()) <= {1, 2} and len(per_learner) == 60
    assert sum(per_learner.values()) == summary.memberships
    assert 0 < count(session, CohortAssessor) < 3  # some cohorts, not all, have an assessor
    assert count(session, LessonCompletion) == summary.completions > 60
    assert count(session, QuizAttempt) == summary.attempts == sum(summary.attempts_by_quiz.values())
    assert count(session, ActivityEvent) == summary.events

    done: dict[int, dict[str, set[str]]] = {}
    for user_id, module, lesson in session.execute(
        select(LessonCompletion.user_id, LessonCompletion.module_slug, LessonCompletion.lesson_slug)
    ):
        done.setdefault(user_id, {}).setdefault(module, set()).add(lesson)
    for user_id, modules in done.items():
        standing = Standing(course, {slug: frozenset(ls) for slug, ls in modules.items()})
        for slug in modules:  # nobody completed anything in a module that is locked for them
            assert not standing.locked_by(course.module(slug)), (user_id, slug)
    # Many go further than the first module, fewer reach the second track.
    firsts = Counter(m for modules in done.values() for m in modules)
    tracks = course.tracks
    assert firsts[tracks[0].modules[0].slug] > firsts[tracks[1].modules[0].slug]
    assert firsts[tracks[0].modules[-1].slug] > 0


def test_attempts_and_events_match_what_the_services_record(app, session):
    run(app)
    attempts = session.scalars(select(QuizAttempt).order_by(QuizAttempt.id)).all()
    by_learner_quiz: dict[tuple[int, str], list[QuizAttempt]] = {}
    for attempt in attempts:
        by_learner_quiz.setdefault((attempt.user_id, attempt.quiz_id), []).append(attempt)
        assert attempt.started_at < attempt.submitted_at <= NOW
        assert attempt.percent == round(100 * attempt.score / attempt.max_score, 2)
        assert attempt.passed == (attempt.percent >= attempt.pass_mark)
        assert [q["id"] for q in attempt.questions] == [r["id"] for r in attempt.results]
    completed = set(
        session.execute(
            select(LessonCompletion.user_id, LessonCompletion.module_slug).where(
                LessonCompletion.lesson_slug == "check"
            )
        )
    )
    for (user_id, _quiz), taken in by_learner_quiz.items():
        assert [a.number for a in taken] == list(range(1, len(taken) + 1))
        assert not any(a.passed for a in taken[:-1])  # nobody retakes a passed quiz
        passed_at_last = bool(taken[-1].passed)
        assert ((user_id, taken[-1].module_slug) in completed) == passed_at_last
    events = Counter(session.execute(select(ActivityEvent.verb, ActivityEvent.object_type)))
    assert events[("attempted", "quiz")] == len(attempts)
    assert events[("passed", "quiz")] == sum(1 for a in attempts if a.passed)
    assert events[("completed", "lesson")] == count(session, LessonCompletion)
    assert events[("viewed", "lesson")] >= events[("completed", "lesson")]
    assert events[("completed", "module")] > events[("completed", "track")] > 0
    # Events without a result hold SQL NULL, as activity.record writes them.
    assert count(session, ActivityEvent, ActivityEvent.result.is_(None)) == sum(
        n for (verb, _), n in events.items() if verb not in ("attempted", "passed")
    )
    first_seen = dict(
        session.execute(
            select(ActivityEvent.user_id, func.min(ActivityEvent.occurred_at)).group_by(
                ActivityEvent.user_id
            )
        ).all()
    )
    for user in session.scalars(select(User).where(User.id.in_(first_seen))):
        assert user.created_at <= first_seen[user.id] <= NOW


def test_a_simulated_attempt_is_what_quizzes_draw_and_submit_make(app, session):
    course = app.extensions["cocourse.course"].course
    types = app.extensions["cocourse.question_types"]
    pm = app.extensions["cocourse.plugins"]
    user = AuthActions(None, session).create()
    rng = random.Random(5)
    for quiz_id in (FIRST_QUIZ, "final-exam"):  # every question type, and a pool
        module, lesson = course.quiz(quiz_id)
        simulated = SimulatedQuiz(module, lesson, types, seed=1)
        for seed in range(25):
            # The same draw, order and right sides; the form's random values are new each time.
            drawn = [
                {k: v for k, v in snapshot.items() if not k.endswith("tokens")}
                for snapshot in quizzes.draw(lesson, lesson.quiz, seed)
            ]
            assert [s for _q, s in simulated.draw(seed)] == drawn
        for number in range(1, 9):
            taken = simulated.take(rng.gauss(0, 1.5), rng)
            attempt = QuizAttempt(
                user_id=user.id,
                quiz_id=quiz_id,
                module_slug=module.slug,
                lesson_slug=lesson.slug,
                number=number,
                pass_mark=lesson.quiz.pass_mark,
                content_hash=lesson.content_hash,
                seed=taken.seed,
                questions=taken.questions,
                started_at=NOW,
            )
            session.add(attempt)
            session.commit()
            with app.app_context():
                stored, graded = quizzes.submit(
                    get_session(), pm, attempt.id, user.id, taken.responses, types, now=NOW
                )
                assert graded
                assert stored.answers == taken.answers
                assert stored.results == taken.results
                assert (stored.score, stored.max_score, stored.percent, stored.passed) == (
                    taken.score,
                    taken.max_score,
                    taken.percent,
                    taken.passed,
                )


def test_reports_work_on_the_data_and_items_look_real(app, session):
    run(app, learners=300, cohorts=3)
    course = app.extensions["cocourse.course"].course
    stats = analyse(quizzes.item_records(session, FIRST_QUIZ))
    assert stats.attempts == count(session, QuizAttempt, QuizAttempt.quiz_id == FIRST_QUIZ) > 300
    scored = [item for item in stats.items if item.type != "reflection"]
    assert len(scored) == 7
    for item in scored:
        assert 0.3 <= item.facility <= 0.97, item
        assert item.discrimination is not None and item.discrimination > 0.1, item
        assert not item.flags
    assert stats.reliability is not None and stats.reliability > 0.4
    choice = next(item for item in scored if item.type == "single-choice")
    assert len(choice.options) >= 3  # wrong options get chosen too

    cohort = session.scalars(select(Cohort).order_by(Cohort.id)).first()
    members = count(session, CohortMember, CohortMember.cohort_id == cohort.id)
    rows, total = cohort_report.matrix(session, course, cohort.id, course.modules, per_page=members)
    assert total == len(rows) == members
    statuses = Counter(cell.status for row in rows for cell in row.cells)
    assert {"complete", "in-progress", "not-started", "locked"} <= set(statuses)
    assert any(cell.best_score is not None for row in rows for cell in row.cells)

    client = app.test_client()
    auth = AuthActions(client, session)
    auth.create("admin@example.org", Role.ADMIN)
    auth.login("admin@example.org")
    assert client.get(f"/reports/cohorts/{cohort.id}").status_code == 200
    with client.get(f"/reports/cohorts/{cohort.id}.csv") as response:
        lines = response.get_data(as_text=True).splitlines()
    assert len(lines) == members + 1
    page = client.get(f"/reports/quizzes/{FIRST_QUIZ}").get_data(as_text=True)
    assert f"{stats.attempts} graded attempts" in page


def dump(session):
    """The generated data without database ids or join codes, keyed by email and name."""
    emails = dict(session.execute(select(User.id, User.email)).all())
    names = dict(session.execute(select(Cohort.id, Cohort.name)).all())
    return {
        "users": sorted(session.execute(select(User.email, User.name, User.role, User.created_at))),
        "members": sorted(
            (emails[u], names[c], at)
            for c, u, at in session.execute(
                select(CohortMember.cohort_id, CohortMember.user_id, CohortMember.joined_at)
            )
        ),
        "assessors": sorted(
            (emails[u], names[c])
            for c, u in session.execute(select(CohortAssessor.cohort_id, CohortAssessor.user_id))
        ),
        "completions": sorted(
            (emails[row[0]], *row[1:])
            for row in session.execute(
                select(
                    LessonCompletion.user_id,
                    LessonCompletion.module_slug,
                    LessonCompletion.lesson_slug,
                    LessonCompletion.completed_at,
                )
            )
        ),
        "attempts": sorted(
            (
                emails[a.user_id],
                a.quiz_id,
                a.number,
                a.seed,
                a.percent,
                repr(a.answers),
                a.started_at,
            )
            for a in session.scalars(select(QuizAttempt))
        ),
        "events": sorted(
            (emails[e.user_id], e.verb, e.object_id, repr(e.result), e.occurred_at)
            for e in session.scalars(select(ActivityEvent))
        ),
    }


def empty(session):
    for table in reversed(Base.metadata.sorted_tables):
        session.execute(delete(table))
    session.commit()


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data(app, session):
    run(app, learners=40, seed=7)
    first = dump(session)
    empty(session)
    run(app, learners=40, seed=7)
    assert dump(session) == first
    empty(session)
    run(app, learners=40, seed=8)
    other = dump(session)
    assert other["attempts"] != first["attempts"]
    assert len(other["users"]) == len(first["users"])


def test_refuses_a_database_with_accounts_unless_forced(app, session):
    AuthActions(None, session).create("someone@example.org")
    with pytest.raises(SyntheticError, match="already has 1 account.*--force"):
        run(app, learners=5, cohorts=2)
    assert count(session, User) == 1 and count(session, Cohort) == 0
    session.rollback()
    run(app, learners=5, cohorts=2, force=True)
    with pytest.raises(SyntheticError, match="seed 1"):
        run(app, learners=5, cohorts=2, force=True)
    summary = run(app, learners=5, cohorts=2, seed=2, force=True)
    assert summary.learners == 5
    session.rollback()  # see the other connection's commits
    names = set(session.scalars(select(Cohort.name)))
    assert "Head office" in names and "Head office (seed 2)" in names
    assert count(session, User) == 1 + 2 * (5 + 1)


@pytest.fixture
def env(monkeypatch, tmp_path, engine, database_url):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("COCOURSE_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("COCOURSE_CONTENT_DIR", Defaults.CONTENT_DIR)


def invoke(args):
    """Run the command with an app whose connections are closed after the test."""
    info = ScriptInfo(create_app=lambda: track(create_app()), load_dotenv_defaults=False)
    return CliRunner().invoke(cli, args, obj=info)


def test_the_command_generates_refuses_and_sets_a_password(env, session):
    args = ["synthetic", "--learners", "12", "--cohorts", "2", "--seed", "3"]
    result = invoke([*args, "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert "Generated 12 learners and 1 assessor(s) in 2 cohorts" in result.output
    assert "@seed3.example.org" in result.output
    assert authenticate(session, f"learner-00001@{domain(3)}", PASSWORD) is not None
    again = invoke(args)
    assert again.exit_code == 1
    assert "already has 13 account(s)" in again.output and "--force" in again.output
    short = invoke([*args, "--seed", "4", "--force", "--password", "short"])
    assert short.exit_code == 2 and "at least 10 characters" in short.output
    forced = invoke(["synthetic", "--learners", "3", "--cohorts", "1", "--force"])
    assert forced.exit_code == 0, forced.output
    assert "nobody can log in as them" in forced.output
    assert authenticate(session, f"learner-00001@{domain(1)}", PASSWORD) is None


# The report changes made after benchmarking on synthetic data (see docs/benchmarks.md).


def snapshot_records(session, quiz_id):
    """Item-analysis records built from the full question snapshots, as item_records once did."""
    found = []
    for attempt in session.scalars(
        select(QuizAttempt).where(QuizAttempt.quiz_id == quiz_id).order_by(QuizAttempt.id)
    ):
        scores = {r["id"]: r["score"] for r in attempt.results}
        items = {
            (q["id"], q["source_hash"]): Response(
                scores[q["id"]], attempt.answers.get(q["id"]), q["type"]
            )
            for q in attempt.questions
            if scores.get(q["id"]) is not None
        }
        found.append(AttemptRecord(attempt.percent / 100, items))
    return found


def test_item_records_read_versions_without_every_snapshot(app, session):
    course = app.extensions["cocourse.course"].course
    types = app.extensions["cocourse.question_types"]
    users = [AuthActions(None, session).create(f"l{i}@example.org") for i in range(3)]
    rng = random.Random(3)
    for quiz_id in (FIRST_QUIZ, "final-exam"):  # a pool draws different questions each time
        module, lesson = course.quiz(quiz_id)
        simulated = SimulatedQuiz(module, lesson, types, seed=1)
        for number in range(1, 13):
            taken = simulated.take(rng.gauss(0, 1), rng)
            session.add(
                QuizAttempt(
                    user_id=users[number % 3].id,
                    quiz_id=quiz_id,
                    module_slug=module.slug,
                    lesson_slug=lesson.slug,
                    number=number,
                    pass_mark=80,
                    # Two lesson versions, as after an edit.
                    content_hash=lesson.content_hash if number % 2 else "an older version",
                    seed=taken.seed,
                    questions=taken.questions,
                    started_at=NOW,
                    submitted_at=NOW,
                    answers=taken.answers,
                    results=taken.results,
                    score=taken.score,
                    max_score=taken.max_score,
                    percent=taken.percent,
                    passed=taken.passed,
                )
            )
    session.commit()
    for quiz_id in (FIRST_QUIZ, "final-exam"):
        records = list(quizzes.item_records(session, quiz_id))
        assert len(records) == 12
        assert records == snapshot_records(session, quiz_id)


def test_discrimination_counts_ties_at_the_cut_in_proportion_whatever_the_order(app, session):
    run(app, learners=120, cohorts=2)
    records = list(quizzes.item_records(session, FIRST_QUIZ))
    stats = analyse(records)
    shuffled = analyse(random.Random(1).sample(records, len(records)))
    for mine, other in zip(stats.items, shuffled.items, strict=True):
        assert mine.facility == pytest.approx(other.facility)
        assert mine.discrimination == pytest.approx(other.discrimination)
    for item in stats.items[:3]:
        pairs = sorted(
            (r.total, r.items[(item.question_id, item.version)].score)
            for r in records
            if (item.question_id, item.version) in r.items
        )
        size = max(1, round(0.27 * len(pairs)))
        assert item.discrimination == pytest.approx(
            tie_shared_mean(pairs[::-1], size) - tie_shared_mean(pairs, size)
        )


def tie_shared_mean(pairs, size):
    """Mean score of the first `size` pairs, the pairs tied with the last one sharing its
    places equally (a slow, obvious version of the rule)."""
    edge = pairs[size - 1][0]
    before = [score for total, score in pairs[:size] if total != edge]
    tied = [score for total, score in pairs if total == edge]
    return (sum(before) + sum(tied) * (size - len(before)) / len(tied)) / size


def test_learners_who_passed_the_exam_get_portfolios_and_certificates(
    engine, database_url, tmp_path, session
):
    from cocourse.certification import certificates, requirements
    from cocourse.models import Certificate, Portfolio, PracticumSession

    from .test_certification import CERT_COURSE

    app = make_app(database_url, tmp_path, CONTENT_DIR=str(CERT_COURSE))
    course = app.extensions["cocourse.course"].course
    types = app.extensions["cocourse.question_types"]
    with app.app_context():
        summary = generate(get_session(), course, types, Options(learners=120, cohorts=2))
    program = course.program("facilitator")
    session.rollback()
    with app.app_context():
        candidates = set(
            get_session().scalars(select(QuizAttempt.user_id).where(QuizAttempt.quiz_id == "exam"))
        )
        passed = sum(
            requirements.exam_standing(get_session(), user_id, program.exam).passed
            for user_id in candidates
        )
    assert passed > 10 and count(session, Portfolio) == summary.portfolios == passed
    assert count(session, Certificate) == summary.certificates > 0
    assert count(session, PracticumSession) == passed * program.practicum.sessions
    statuses = Counter(session.scalars(select(Portfolio.status)))
    assert set(statuses) <= {"approved", "submitted", "draft"} and statuses["approved"] > 0
    today = datetime.now(UTC).date()
    with app.app_context():
        db = get_session()
        for portfolio in db.scalars(select(Portfolio)):
            # Every synthetic portfolio meets the programme's rules, as a submitted one must.
            found = requirements.checklist(db, course, program, portfolio, today)
            assert found.complete, [(r.label, r.detail) for r in found.requirements if not r.met]
        rows, total = certificates.listing(db, course, today=today)
    assert total == summary.certificates
    assert {row.status for row in rows} <= {certificates.VALID, certificates.REVOKED}
