"""Item analysis from the rows grading keeps (`reports.item_store`) gives the figures the
computation over every attempt's JSON gives (`analyse(item_records(...))`), follows grading
and regrades, and the report pages run as many queries whatever the number of learners."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from cocourse.cli import cli
from cocourse.config import Defaults
from cocourse.devtools.synthetic import Options, generate
from cocourse.models import CohortMember, QuizAttempt, QuizItemAttempt, QuizItemResponse
from cocourse.quiz import engine as quizzes
from cocourse.reports.item_analysis import QuizStats, analyse
from cocourse.reports.item_store import quiz_stats

from .conftest import PASSWORD, admin_client_of, make_app
from .test_query_counts import more_attempts
from .test_quizzes import ALL_RIGHT, QUIZ_COURSE, start, submit

MODULE = "tasting-01-what-co-creation-is"
FIRST_QUIZ = "tasting-01-what-co-creation-is-check"


@pytest.fixture
def course_app(engine, database_url, tmp_path):
    """The app serving the bundled course."""
    return make_app(database_url, tmp_path, CONTENT_DIR=Defaults.CONTENT_DIR)


def synthetic(app, session, learners: int, seed: int, force: bool = False) -> None:
    course = app.extensions["cocourse.course"].course
    types = app.extensions["cocourse.question_types"]
    options = Options(learners=learners, cohorts=3, seed=seed, password=PASSWORD, force=force)
    generate(session, course, types, options)


def close(mine: float | None, theirs: float | None) -> bool:
    if mine is None or theirs is None:
        return mine is theirs
    return mine == pytest.approx(theirs, rel=1e-9, abs=1e-12)


def assert_same(fast: QuizStats, slow: QuizStats) -> None:
    """The same figures, up to the order floating-point sums were added in."""
    assert fast.attempts == slow.attempts
    assert fast.reliability_name == slow.reliability_name
    assert fast.reliability_attempts == slow.reliability_attempts
    assert close(fast.reliability, slow.reliability)
    assert len(fast.items) == len(slow.items)
    for mine, theirs in zip(fast.items, slow.items, strict=True):
        assert (mine.question_id, mine.version, mine.type, mine.attempts) == (
            theirs.question_id,
            theirs.version,
            theirs.type,
            theirs.attempts,
        )
        assert close(mine.facility, theirs.facility)
        assert close(mine.discrimination, theirs.discrimination)
        assert mine.options == theirs.options
        assert mine.flags == theirs.flags


def test_the_rows_give_the_figures_of_every_attempt_on_generated_data(course_app, session):
    synthetic(course_app, session, learners=120, seed=5)
    types = course_app.extensions["cocourse.question_types"]
    quiz_ids = list(session.scalars(select(QuizAttempt.quiz_id).distinct()))
    assert FIRST_QUIZ in quiz_ids and len(quiz_ids) > 3
    # Bulk-inserted attempts have no rows yet: the first analysis writes them.
    assert session.scalar(select(func.count()).select_from(QuizItemAttempt)) == 0
    cohort = select(CohortMember.user_id).where(
        CohortMember.cohort_id == session.scalar(select(func.min(CohortMember.cohort_id)))
    )
    for quiz_id in quiz_ids:
        for learners in (None, cohort):
            slow = analyse(quizzes.item_records(session, quiz_id, learners), types)
            fast = quiz_stats(session, quiz_id, learners, types)
            assert_same(fast, slow)
    stats = quiz_stats(session, FIRST_QUIZ, None, types)
    assert stats.attempts > 50 and stats.reliability is not None
    assert any(item.options for item in stats.items)
    graded = select(func.count()).where(
        QuizAttempt.submitted_at.is_not(None), QuizAttempt.expired.is_(False)
    )
    assert session.scalar(select(func.count()).select_from(QuizItemAttempt)) == session.scalar(
        graded
    )


def test_the_rows_are_written_once(course_app, session):
    synthetic(course_app, session, learners=40, seed=2)
    assert quizzes.fill_item_rows(session, FIRST_QUIZ) > 0
    rows = session.scalar(select(func.count()).select_from(QuizItemResponse))
    assert quizzes.fill_item_rows(session, FIRST_QUIZ) == 0
    assert session.scalar(select(func.count()).select_from(QuizItemResponse)) == rows


@pytest.fixture
def quiz_app(engine, database_url, tmp_path):
    """The app serving a copy of the quiz fixture course (which a test may edit)."""
    target = tmp_path / "quiz_course"
    import shutil

    shutil.copytree(QUIZ_COURSE, target)
    return make_app(database_url, tmp_path, CONTENT_DIR=str(target)), target


def test_grading_writes_the_rows_and_a_regrade_rewrites_them(quiz_app, session):
    from .conftest import AuthActions

    app, course_dir = quiz_app
    client = app.test_client()
    auth = AuthActions(client, session)
    auth.create()
    auth.login()
    types = app.extensions["cocourse.question_types"]
    for answers in (ALL_RIGHT, {**ALL_RIGHT, "q0": "c"}, {**ALL_RIGHT, "q0": "c", "q2": "a"}):
        attempt_id = start(client)
        assert submit(client, attempt_id, answers).status_code == 302
    session.rollback()
    # Grading wrote the rows: the analysis writes none.
    assert session.scalar(select(func.count()).select_from(QuizItemAttempt)) == 3
    assert quizzes.fill_item_rows(session, "every-kind") == 0
    before = quiz_stats(session, "every-kind", None, types)
    assert_same(before, analyse(quizzes.item_records(session, "every-kind"), types))

    quiz = course_dir / "check" / "02-quiz.md"
    text = quiz.read_text().replace(
        "- [ ] An expert team decides.", "- [x] An expert team decides."
    )
    text = text.replace(
        "- [x] The people involved shape the result.", "- [ ] The people involved shape the result."
    )
    quiz.write_text(text)
    assert app.extensions["cocourse.course"].reload() == ()
    result = app.test_cli_runner().invoke(cli, ["regrade", "every-kind"])
    assert result.exit_code == 0, result.output
    assert "question q-single" in result.output
    session.rollback()
    after = quiz_stats(session, "every-kind", None, types)
    assert_same(after, analyse(quizzes.item_records(session, "every-kind"), types))
    assert [i.facility for i in after.items] != [i.facility for i in before.items]


# -- queries per report page ---------------------------------------------------------------

PAGES = (
    "/reports/modules",
    f"/reports/modules/{MODULE}",
    f"/reports/modules/{MODULE}.csv",
    "/reports/quizzes",
    f"/reports/quizzes/{FIRST_QUIZ}",
    f"/reports/quizzes/{FIRST_QUIZ}.csv",
)


def statements(app, client, path: str) -> list[str]:
    """The statements one request for `path` runs, after a request that warms caches (and
    writes the item rows of attempts stored in bulk)."""
    assert client.get(path).status_code == 200, path
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        if "FROM content_signal" not in statement:  # the course-reload poll, on a timer
            seen.append(statement)

    engine = app.extensions["cocourse.engine"]
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(path)
        assert response.status_code == 200, path
        response.get_data()  # a CSV streams: read it all
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def test_report_pages_run_as_many_queries_with_more_learners_and_attempts(course_app, session):
    synthetic(course_app, session, learners=60, seed=3)
    client = admin_client_of(course_app, session)
    before = {path: statements(course_app, client, path) for path in PAGES}
    synthetic(course_app, session, learners=200, seed=4, force=True)
    more_attempts(session, QuizAttempt.quiz_id == FIRST_QUIZ, copies=2)
    after = {path: statements(course_app, client, path) for path in PAGES}
    for path in PAGES:
        assert before[path], f"{path} ran no query: nothing was measured"
        assert after[path] == before[path], path
