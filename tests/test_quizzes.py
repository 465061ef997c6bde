"""Taking quizzes: attempts pinned to what was shown, server-side grading, no leaked keys."""

from __future__ import annotations

import dataclasses
import re
import shutil
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from cocourse.cli import cli
from cocourse.content.quiz import parse_quiz_settings
from cocourse.db import get_session
from cocourse.models import LessonCompletion, QuizAttempt, QuizRegrade, utcnow
from cocourse.quiz import engine as quizzes

from .conftest import FIXTURES, AuthActions, csrf_token, make_app, run_concurrently

QUIZ_COURSE = FIXTURES / "quiz_course"
ALL_RIGHT = {
    "q0": "b",
    "q1": ["a", "b"],
    "q2": "b",
    "q3": "Check-In ",
    "q4": "12,5",
    "q5-0": "a",
    "q5-1": "b",
    "q5-2": "c",
    "q5-3": "d",
    "q6-a": "a",
    "q6-b": "b",
    "q7": "I will try a check-in round.",
}


@pytest.fixture
def quiz_course(tmp_path):
    target = tmp_path / "quiz_course"
    shutil.copytree(QUIZ_COURSE, target)
    return target


@pytest.fixture
def app(engine, database_url, tmp_path, quiz_course):
    return make_app(database_url, tmp_path, CONTENT_DIR=str(quiz_course))


@pytest.fixture
def learner(client, session):
    auth = AuthActions(client, session)
    user = auth.create()
    auth.login()
    return user


def start(client, quiz_id="every-kind", lesson="quiz"):
    page = client.get(f"/modules/check/{lesson}").get_data(as_text=True)
    response = client.post(f"/quiz/{quiz_id}/start", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302, response.data
    return int(response.headers["Location"].rsplit("/", 1)[1])


def submit(client, attempt_id, answers):
    page = client.get(f"/quiz/attempts/{attempt_id}").get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), **answers}
    return client.post(f"/quiz/attempts/{attempt_id}", data=data)


def test_a_full_attempt_is_graded_on_the_server(client, learner, session):
    attempt_id = start(client)
    page = client.get(f"/quiz/attempts/{attempt_id}").get_data(as_text=True)
    assert page.count("<fieldset") == 8
    assert "<legend>Question 1 of 8</legend>" in page
    response = submit(client, attempt_id, ALL_RIGHT)
    assert response.headers["Location"] == f"/quiz/attempts/{attempt_id}/result"
    attempt = session.get(QuizAttempt, attempt_id)
    assert (attempt.percent, attempt.passed, attempt.number) == (100.0, True, 1)
    assert attempt.score == attempt.max_score == 8.0  # short text is worth 2, reflection 0
    result = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "100%" in result and "Passed" in result
    assert "Yes: shared influence." in result  # feedback of the chosen option
    completed = session.scalar(
        select(LessonCompletion).where(LessonCompletion.lesson_slug == "quiz")
    )
    assert completed is not None


def test_wrong_and_partial_answers(client, learner, session):
    attempt_id = start(client)
    answers = {**ALL_RIGHT, "q0": "a", "q1": ["a", "c"], "q5-0": "b", "q5-1": "a"}
    submit(client, attempt_id, answers)
    attempt = session.get(QuizAttempt, attempt_id)
    scores = {r["id"]: r["score"] for r in attempt.results}
    assert scores["q-single"] == 0 and scores["q-multi"] == 0 and scores["q-order"] == 0.5
    assert scores["q-reflect"] is None
    assert attempt.score == 5.5 and attempt.passed is True  # 5.5 of 8 = 68.75% >= 60%


def test_resubmitting_never_creates_a_second_attempt(client, learner, session):
    attempt_id = start(client)
    page = client.get(f"/quiz/attempts/{attempt_id}").get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), **ALL_RIGHT}
    first = client.post(f"/quiz/attempts/{attempt_id}", data=data)
    replay = client.post(f"/quiz/attempts/{attempt_id}", data={**data, "q0": "a"})
    assert first.headers["Location"] == replay.headers["Location"]
    assert session.scalar(select(func.count()).select_from(QuizAttempt)) == 1
    assert session.get(QuizAttempt, attempt_id).percent == 100.0
    assert client.get(f"/quiz/attempts/{attempt_id}").status_code == 302  # back button


def test_starting_twice_resumes_the_open_attempt(client, learner):
    assert start(client) == start(client)


def test_twenty_concurrent_submissions_on_a_one_attempt_quiz_record_one(app, learner, session):
    from cocourse.db import get_session

    module, lesson = app.extensions["cocourse.course"].course.quiz("one-chance")
    pm = app.extensions["cocourse.plugins"]
    types = app.extensions["cocourse.question_types"]

    def work(_i):
        db = get_session()
        try:
            attempt = quizzes.start(db, learner.id, module, lesson)
        except quizzes.QuizError:
            return
        quizzes.submit(db, pm, attempt.id, learner.id, {"q-once": "b"}, types)

    assert run_concurrently(app, 20, work) == []
    rows = session.scalars(select(QuizAttempt)).all()
    assert len(rows) == 1 and rows[0].submitted_at is not None and rows[0].passed


@pytest.mark.parametrize(
    "tampered",
    [
        {"q0": "zz"},  # unknown option id
        {"q0": "a' OR 1=1"},
        {"q1": ["a", "b", "c", "d", "zz"]},  # everything and an unknown id
        {"q2": ["a", "b"]},  # two values for one choice: only the first counts
        {"q4": "1e309"},
        {"q4": "nan"},
        {"q5-0": "a", "q5-1": "a", "q5-2": "a", "q5-3": "a"},  # not a permutation
        {"q6-a": "b", "q6-b": "zz"},
        {"q3": "x" * 20000},
    ],
)
def test_tampered_input_is_graded_wrong_never_500(client, learner, session, tampered):
    attempt_id = start(client)
    answers = {**ALL_RIGHT, **tampered, "score": "100", "q99": "extra"}
    response = submit(client, attempt_id, answers)
    assert response.status_code == 302
    attempt = session.get(QuizAttempt, attempt_id)
    assert attempt.percent < 100
    assert attempt.score < 8.0


def test_other_learners_attempts_are_404(client, learner, session):
    attempt_id = start(client)
    auth = AuthActions(client, session)
    auth.logout()
    auth.create("other@example.org")
    auth.login("other@example.org")
    assert client.get(f"/quiz/attempts/{attempt_id}").status_code == 404
    assert client.get(f"/quiz/attempts/{attempt_id}/result").status_code == 404
    token = csrf_token(client.get("/").get_data(as_text=True))
    assert (
        client.post(f"/quiz/attempts/{attempt_id}", data={"csrf_token": token}).status_code == 404
    )


def test_submission_without_csrf_is_refused(client, learner, session):
    attempt_id = start(client)
    assert client.post(f"/quiz/attempts/{attempt_id}", data=ALL_RIGHT).status_code == 400
    assert session.get(QuizAttempt, attempt_id).submitted_at is None


def test_attempt_limit_and_review_after_passing(client, learner, session):
    attempt_id = start(client, "one-chance", "once")
    result = client.get(submit(client, attempt_id, {"q0": "a"}).headers["Location"])
    html = result.get_data(as_text=True)
    assert "Not passed yet" in html and "No attempts left." in html
    assert "Answers and feedback are shown once you pass" in html
    assert "Correct answer" not in html and ">Right<" not in html
    page = client.get("/modules/check/once").get_data(as_text=True)
    assert "You have used every attempt" in page
    refused = client.post("/quiz/one-chance/start", data={"csrf_token": csrf_token(page)})
    assert refused.status_code == 302
    assert session.scalar(select(func.count()).select_from(QuizAttempt)) == 1


def test_time_limit_is_enforced_on_the_server(app, learner, session):
    from cocourse.db import get_session

    module, lesson = app.extensions["cocourse.course"].course.quiz("one-chance")
    pm = app.extensions["cocourse.plugins"]
    types = app.extensions["cocourse.question_types"]
    with app.app_context():
        db = get_session()
        attempt = quizzes.start(db, learner.id, module, lesson)
        late = attempt.deadline + quizzes.GRACE + timedelta(seconds=1)
        attempt, graded = quizzes.submit(
            db, pm, attempt.id, learner.id, {"q-once": "b"}, types, late
        )
    assert graded and attempt.expired and attempt.percent == 0 and not attempt.passed


def test_pools_draw_and_shuffle_from_a_stored_seed(client, learner, session):
    attempt_id = start(client, "pool", "pool")
    attempt = session.get(QuizAttempt, attempt_id)
    assert len(attempt.questions) == 2
    lesson = client.application.extensions["cocourse.course"].course.quiz("pool")[1]
    assert quizzes.draw(lesson, lesson.quiz, attempt.seed) == attempt.questions


def test_quiz_lessons_cannot_be_marked_complete(client, learner, session):
    page = client.get("/modules/check/quiz").get_data(as_text=True)
    assert "Mark complete" not in page and "Start the quiz" in page
    response = client.post("/modules/check/quiz/complete", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 403
    assert session.scalar(select(LessonCompletion)) is None


def _normalized(html):
    return re.sub(r'name="csrf_token"[^>]*value="[^"]+"', "", html)


def test_nothing_before_submission_reveals_the_answer_key(
    engine, database_url, tmp_path, quiz_course, session, monkeypatch
):
    """Two quizzes that differ only in which option is correct produce identical pages."""
    other = tmp_path / "other_course"
    shutil.copytree(quiz_course, other)
    quiz = other / "check" / "02-quiz.md"
    text = quiz.read_text()
    text = text.replace("- [ ] The manager decides alone.", "- [x] The manager decides alone.")
    text = text.replace(
        "- [x] The people involved shape the result.", "- [ ] The people involved shape the result."
    )
    quiz.write_text(text)
    monkeypatch.setattr(quizzes.secrets, "randbelow", lambda _n: 12345)
    AuthActions(None, session).create()
    pages = []
    for name, content in (("a", quiz_course), ("b", other)):
        app = make_app(database_url, tmp_path / name, CONTENT_DIR=str(content))
        client = app.test_client()
        AuthActions(client, session).login()
        lesson = client.get("/modules/check/quiz").get_data(as_text=True)
        attempt_id = start(client)
        attempt = client.get(f"/quiz/attempts/{attempt_id}").get_data(as_text=True)
        pages.append((_normalized(lesson), _normalized(attempt).replace(f"/{attempt_id}", "/N")))
        for row in session.scalars(select(QuizAttempt)):
            session.delete(row)
        session.commit()
    assert pages[0] == pages[1]
    assert "shared influence" not in pages[0][1] and "Co-creation shares" not in pages[0][1]


def test_reviews_show_the_attempt_as_taken_and_regrade_is_explicit(
    app, client, learner, session, quiz_course, runner
):
    attempt_id = start(client)
    submit(client, attempt_id, {**ALL_RIGHT, "q0": "c"})
    before = session.get(QuizAttempt, attempt_id).score
    quiz = quiz_course / "check" / "02-quiz.md"
    text = quiz.read_text().replace(
        "- [ ] An expert team decides.", "- [x] An expert team decides."
    )
    text = text.replace(
        "- [x] The people involved shape the result.", "- [ ] The people involved shape the result."
    )
    quiz.write_text(text.replace("Which fits co-creation best?", "Which fits best?"))
    assert app.extensions["cocourse.course"].reload() == ()
    session.rollback()  # end the read snapshot, then read again
    assert session.get(QuizAttempt, attempt_id).score == before  # no silent regrade
    html = client.get(f"/quiz/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "Which fits co-creation best?" in html  # the wording the learner saw
    result = runner.invoke(cli, ["regrade", "every-kind"])
    assert result.exit_code == 0, result.output
    assert "question q-single: 0.0 -> 1.0" in result.output
    session.rollback()  # end the read snapshot, then read again
    assert session.get(QuizAttempt, attempt_id).score == before + 1
    change = session.scalar(select(QuizRegrade))
    assert (change.question_id, change.old_score, change.new_score) == ("q-single", 0.0, 1.0)
    again = runner.invoke(cli, ["regrade", "every-kind"])
    assert "0 answer(s) regraded." in again.output  # already regraded: nothing changes twice


def test_a_regrade_reads_stored_numbers_back(app, client, learner, session, quiz_course, runner):
    attempt_id = start(client)
    submit(client, attempt_id, ALL_RIGHT)
    before = session.get(QuizAttempt, attempt_id).score
    quiz = quiz_course / "check" / "02-quiz.md"
    quiz.write_text(quiz.read_text().replace("tolerance: 1", "tolerance: 0.5"))
    assert app.extensions["cocourse.course"].reload() == ()
    result = runner.invoke(cli, ["regrade", "every-kind"])
    assert result.exit_code == 0, result.output
    assert "0 answer(s) regraded." in result.output  # 12 is still right
    session.rollback()
    assert session.get(QuizAttempt, attempt_id).score == before


def test_text_after_the_answer_list_is_reported(quiz_course):
    from cocourse.content.lint import lint_path

    quiz = quiz_course / "check" / "03-once.md"
    quiz.write_text(quiz.read_text().replace("- [x] Right\n", "- [x] Right\n\nStray text.\n"))
    found = [(p.code, p.line) for p in lint_path(quiz_course)]
    assert ("C169", 16) in found


def test_a_short_reflection_is_sent_back_with_everything_kept(client, learner, session):
    attempt_id = start(client)
    response = submit(client, attempt_id, {**ALL_RIGHT, "q7": "Too short"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Write at least 3 words before you submit." in html
    assert 'value="Check-In "' in html  # what was typed is still there
    assert session.get(QuizAttempt, attempt_id).submitted_at is None


def test_a_question_whose_type_is_gone_scores_zero(app, learner, session):
    from cocourse.db import get_session

    module, lesson = app.extensions["cocourse.course"].course.quiz("one-chance")
    pm = app.extensions["cocourse.plugins"]
    with app.app_context():
        attempt = quizzes.start(get_session(), learner.id, module, lesson)
        attempt, _ = quizzes.submit(get_session(), pm, attempt.id, learner.id, {"q-once": "b"}, {})
    assert attempt.percent == 0 and "not installed" in attempt.results[0]["feedback"][0]


def test_a_failed_attempt_waits_as_the_quiz_says(engine, database_url, tmp_path, session):
    settings, problems = parse_quiz_settings(
        {"id": "one-chance", "attempts": 5, "retake_wait_hours": [48, 336]}, "x.md", 1
    )
    assert problems == [] and settings.retake_wait_hours == (48, 336)
    app = make_app(database_url, tmp_path, CONTENT_DIR=str(FIXTURES / "quiz_course"))
    module, lesson = app.extensions["cocourse.course"].course.quiz("one-chance")
    lesson = dataclasses.replace(lesson, quiz=settings)
    pm = app.extensions["cocourse.plugins"]
    types = app.extensions["cocourse.question_types"]
    user = AuthActions(None, session).create()
    now = utcnow()
    with app.app_context():
        db = get_session()
        first = quizzes.start(db, user.id, module, lesson, now)
        quizzes.submit(db, pm, first.id, user.id, {"q-once": "a"}, types, now)
        with pytest.raises(quizzes.QuizError, match="again from"):
            quizzes.start(db, user.id, module, lesson, now + timedelta(hours=47))
        second = quizzes.start(db, user.id, module, lesson, now + timedelta(hours=48))
        later = now + timedelta(hours=49)
        quizzes.submit(db, pm, second.id, user.id, {"q-once": "a"}, types, later)
        with pytest.raises(quizzes.QuizError, match="again from"):
            quizzes.start(db, user.id, module, lesson, later + timedelta(days=13))
        third = quizzes.start(db, user.id, module, lesson, later + timedelta(days=14))
        quizzes.submit(
            db, pm, third.id, user.id, {"q-once": "b"}, types, later + timedelta(days=14)
        )
        # Passed: a further attempt needs no wait.
        quizzes.start(db, user.id, module, lesson, later + timedelta(days=14, minutes=1))


@pytest.mark.parametrize("waits", ["48", [], [-1], [1.5], ["x"]])
def test_bad_retake_waits_are_named(waits):
    _settings, problems = parse_quiz_settings({"id": "q", "retake_wait_hours": waits}, "x.md", 3)
    assert [(p.code, p.line) for p in problems] == [("C165", 3)]
    assert "retake_wait_hours" in problems[0].message


def test_the_result_page_says_when_a_retake_opens(app, client, learner, session, quiz_course):
    quiz = quiz_course / "check" / "02-quiz.md"
    quiz.write_text(
        quiz.read_text().replace("  attempts: 3\n", "  attempts: 3\n  retake_wait_hours: [48]\n")
    )
    assert app.extensions["cocourse.course"].reload() == ()
    attempt_id = start(client)
    wrong = {"q0": "a", "q1": ["c"], "q2": "a", "q3": "no", "q4": "99"}
    submit(client, attempt_id, {**ALL_RIGHT, **wrong})
    page = client.get(f"/quiz/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "You can try again from" in page and "Try again</button>" not in page
    token = csrf_token(page)
    refused = client.post(
        "/quiz/every-kind/start", data={"csrf_token": token}, follow_redirects=True
    )
    assert "You can take this quiz again from" in refused.get_data(as_text=True)
    session.rollback()
    assert session.scalar(select(func.count(QuizAttempt.id))) == 1


def test_a_per_tag_draw_gives_every_attempt_its_minimum_of_each_tag():
    from cocourse.config import Defaults
    from cocourse.content.loader import default_markdown, load_course

    course = load_course(Defaults.CONTENT_DIR, default_markdown()).course
    _module, lesson = course.quiz("final-exam")
    wanted = dict(lesson.quiz.draw_per_tag)
    assert wanted == {f"domain-{i}": 6 for i in range(1, 7)}
    for seed in range(200):
        drawn = quizzes.draw(lesson, lesson.quiz, seed)
        assert len({q["id"] for q in drawn}) == lesson.quiz.draw == 40
        for tag, least in wanted.items():
            assert sum(1 for q in drawn if tag in q["tags"]) >= least, (seed, tag)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"draw_per_tag": {"a": 1}}, "needs 'draw'"),
        ({"draw": 2, "draw_per_tag": {"a": 2, "b": 1}}, "asks for 3 questions"),
        ({"draw": 2, "draw_per_tag": {"a": 0}}, "whole numbers above zero"),
        ({"draw": 2, "draw_per_tag": ["a"]}, "whole numbers above zero"),
    ],
)
def test_bad_per_tag_draws_are_named(settings, message):
    _settings, problems = parse_quiz_settings({"id": "q", **settings}, "x.md", 2)
    assert len(problems) == 1 and message in problems[0].message


def test_a_per_tag_draw_needs_enough_tagged_questions(quiz_course):
    from cocourse.content.lint import lint_path

    pool = quiz_course / "check" / "04-pool.md"
    pool.write_text(
        pool.read_text().replace("  draw: 2\n", "  draw: 2\n  draw_per_tag: {rare: 1}\n")
    )
    found = [(p.code, p.message) for p in lint_path(quiz_course)]
    assert ("C166", "draw_per_tag needs 1 question(s) tagged 'rare'; the quiz has 0") in found
