"""Taking quizzes: attempts pinned to what was shown, server-side grading, no leaked keys.

For the key: two copies of a quiz hold the same questions with different keys (another
option right, other checked options, the other truth value, other accepted texts and
numbers, the steps written in another order, the pairs matched differently). Attempts drawn
with one seed from each must show the same page, apart from the random values of the form.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, update

from cocourse.cli import cli
from cocourse.content.quiz import parse_quiz_settings
from cocourse.db import get_session
from cocourse.models import LessonCompletion, QuizAttempt, QuizRegrade, utcnow
from cocourse.questions import builtin_types
from cocourse.quiz import engine as quizzes
from cocourse.testing import without_random_values

from .conftest import (
    FIXTURES,
    AuthActions,
    csrf_token,
    make_app,
    post_answers,
    quiz_form_data,
    run_concurrently,
)

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


def submit(client, attempt_id, answers, action="confirm"):
    """Post answers written with answer ids (see `quiz_form_data`)."""
    return post_answers(client, attempt_id, answers, action)


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
    with client.application.app_context():
        data = {"csrf_token": csrf_token(page), **quiz_form_data(session, attempt_id, ALL_RIGHT)}
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
    ("tampered", "sent_back"),
    [
        ({"q0": "zz"}, False),  # unknown option id
        ({"q0": "a' OR 1=1"}, False),
        ({"q1": ["a", "b", "c", "d", "zz"]}, False),  # everything and an unknown id
        ({"q2": ["a", "b"]}, False),  # two values for one choice: only the first counts
        ({"q4": "1e309"}, True),  # not a number it can grade: sent back with a message
        ({"q4": "nan"}, True),
        ({"q5-0": "a", "q5-1": "a", "q5-2": "a", "q5-3": "a"}, False),  # not a permutation
        ({"q6-a": "b", "q6-b": "zz"}, False),
        ({"q3": "x" * 20000}, False),
    ],
)
def test_tampered_input_is_graded_wrong_never_500(client, learner, session, tampered, sent_back):
    attempt_id = start(client)
    answers = {**ALL_RIGHT, **tampered, "score": "100", "q99": "extra"}
    response = submit(client, attempt_id, answers)
    attempt = session.get(QuizAttempt, attempt_id)
    if sent_back:
        assert response.status_code == 422 and attempt.submitted_at is None
        assert attempt.draft and "Some answers need more" in response.get_data(as_text=True)
        return
    assert response.status_code == 302
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


# --- drafts, deadlines and the review step ---------------------------------------------------


def save(client, attempt_id, answers, json=True):
    """Save answers written with answer ids without submitting, as the page's script does
    (JSON) or as its Save button does (a redirect)."""
    with client.application.app_context():
        coded = quiz_form_data(get_session(), attempt_id, answers, action="")
    page = client.get("/account/password").get_data(as_text=True)
    headers = {"Accept": "application/json"} if json else {}
    return client.post(
        f"/quiz/attempts/{attempt_id}/save",
        data={"csrf_token": csrf_token(page), **coded},
        headers=headers,
    )


def past_deadline(session, attempt_id, by=timedelta(minutes=10)):
    session.execute(
        update(QuizAttempt).where(QuizAttempt.id == attempt_id).values(deadline=utcnow() - by)
    )
    session.commit()


def test_saved_answers_come_back_on_the_attempt_page(client, learner, session):
    attempt_id = start(client)
    answers = {"q0": "b", "q1": ["a", "b"], "q3": "check-in", "q5-0": "b", "q6-b": "a"}
    saved = save(client, attempt_id, answers)
    assert saved.status_code == 200 and saved.json["saved_at"]
    attempt = session.get(QuizAttempt, attempt_id)
    shown = quizzes.view(attempt).shown
    page = client.get(f"/quiz/attempts/{attempt_id}").get_data(as_text=True)
    assert f'checked id="q0-{shown[0].value("b")}"' in page
    assert page.count('checked id="q1-') == 2
    assert 'value="check-in"' in page
    assert f'<option selected value="{shown[6].value("a", True)}">' in page
    assert '<option selected value="1">1</option>' in page  # item b in the first position
    assert "Last saved" in page
    # The Save button without JavaScript: a redirect back, with a message.
    button = save(client, attempt_id, {"q0": "a"}, json=False)
    assert button.status_code == 302 and button.headers["Location"].endswith(f"/{attempt_id}")
    session.rollback()  # a new read after the app's write
    assert session.get(QuizAttempt, attempt_id).draft["q0"] == shown[0].value("a")


def test_tampered_drafts_are_cleaned_never_500(client, learner, session):
    attempt_id = start(client)
    page = client.get("/account/password").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        "q0": ["x" * 9000, "y"],  # an array for a scalar, far too long
        "q5-" + "z" * 5000: "1",
        "q99": "extra",
        "score": "100",
    }
    response = client.post(
        f"/quiz/attempts/{attempt_id}/save", data=data, headers={"Accept": "application/json"}
    )
    assert response.status_code == 200
    draft = session.get(QuizAttempt, attempt_id).draft
    assert set(draft) <= {f"q{i}" for i in range(8)} and len(draft["q0"]) <= 5000
    assert client.get(f"/quiz/attempts/{attempt_id}").status_code == 200


def test_saving_someone_elses_or_a_submitted_attempt_is_refused(client, learner, session):
    attempt_id = start(client)
    submit(client, attempt_id, ALL_RIGHT)
    refused = save(client, attempt_id, {"q0": "a"})
    assert refused.status_code == 409 and refused.json["result"].endswith("/result")
    auth = AuthActions(client, session)
    auth.logout()
    auth.create("other@example.org")
    auth.login("other@example.org")
    page = client.get("/account/password").get_data(as_text=True)
    stranger = client.post(
        f"/quiz/attempts/{attempt_id}/save", data={"csrf_token": csrf_token(page), "q0": "x"}
    )
    assert stranger.status_code == 404


def test_a_late_attempt_is_graded_on_the_answers_saved_in_time(client, learner, session):
    attempt_id = start(client, "one-chance", "once")
    save(client, attempt_id, {"q0": "b"})  # right, saved in time
    past_deadline(session, attempt_id)
    late = submit(client, attempt_id, {"q0": "a"})  # wrong, and too late to count
    assert late.headers["Location"].endswith("/result")
    session.rollback()  # a new read after the app's write
    attempt = session.get(QuizAttempt, attempt_id)
    assert attempt.expired and attempt.percent == 100 and attempt.passed
    assert attempt.answers == {"q-once": "b"}
    # A pass is a pass: the quiz's lesson is complete, as after a submit in time.
    assert session.scalars(select(LessonCompletion.lesson_slug)).all() == ["once"]
    result = client.get(late.headers["Location"]).get_data(as_text=True)
    assert "graded on the answers saved before the deadline" in result


def test_a_late_save_closes_the_attempt_on_what_was_saved_before(client, learner, session):
    attempt_id = start(client, "one-chance", "once")
    save(client, attempt_id, {"q0": "a"})
    past_deadline(session, attempt_id)
    refused = save(client, attempt_id, {"q0": "b"})
    assert refused.status_code == 409 and "Time is up" in refused.json["error"]
    session.rollback()  # a new read after the app's write
    attempt = session.get(QuizAttempt, attempt_id)
    assert attempt.submitted_at is not None and attempt.percent == 0  # the saved wrong answer


def test_answers_within_the_grace_period_still_count(client, learner, session):
    attempt_id = start(client, "one-chance", "once")
    past_deadline(session, attempt_id, by=timedelta(seconds=10))  # grace is 30 s
    submit(client, attempt_id, {"q0": "b"}, action="timeup")
    session.rollback()  # a new read after the app's write
    attempt = session.get(QuizAttempt, attempt_id)
    assert not attempt.expired and attempt.percent == 100


def test_late_zero_keeps_the_old_rule(client, learner, session, quiz_course):
    quiz = quiz_course / "check" / "03-once.md"
    quiz.write_text(
        quiz.read_text().replace("  time_limit: 5\n", "  time_limit: 5\n  late: zero\n")
    )
    client.application.extensions["cocourse.course"].reload()
    attempt_id = start(client, "one-chance", "once")
    save(client, attempt_id, {"q0": "b"})
    past_deadline(session, attempt_id)
    # Found on the attempt page: closed there and then.
    assert client.get(f"/quiz/attempts/{attempt_id}").headers["Location"].endswith("/result")
    session.rollback()  # a new read after the app's write
    attempt = session.get(QuizAttempt, attempt_id)
    assert attempt.expired and attempt.percent == 0 and attempt.answers == {}


def test_a_submit_racing_an_autosave_grades_once_and_loses_nothing(app, learner, session):
    from cocourse.db import get_session

    module, lesson = app.extensions["cocourse.course"].course.quiz("every-kind")
    pm = app.extensions["cocourse.plugins"]
    types = app.extensions["cocourse.question_types"]
    with app.app_context():
        attempt_id = quizzes.start(get_session(), learner.id, module, lesson).id
    draft = {"q0": "anything"}
    outcomes = []

    def work(i):
        db = get_session()
        if i % 2:
            try:
                quizzes.save_draft(db, pm, attempt_id, learner.id, draft, types)
                outcomes.append("saved")
            except quizzes.AttemptClosed:
                outcomes.append("closed")
        else:
            _, graded = quizzes.submit(
                db, pm, attempt_id, learner.id, {"q-single": "b"}, types, draft=draft
            )
            outcomes.append("graded" if graded else "stored")

    assert run_concurrently(app, 10, work) == []
    assert outcomes.count("graded") == 1
    attempt = session.get(QuizAttempt, attempt_id)
    assert attempt.submitted_at is not None and attempt.draft == draft


def test_passing_completes_the_module_where_the_quiz_says_so(client, learner, session, quiz_course):
    quiz = quiz_course / "check" / "03-once.md"
    quiz.write_text(
        quiz.read_text().replace("  attempts: 1\n", "  attempts: 1\n  completes: module\n")
    )
    client.application.extensions["cocourse.course"].reload()
    lesson_page = client.get("/modules/check/once").get_data(as_text=True)
    assert "completes it and every lesson of this module without a quiz" in lesson_page
    submit(client, start(client, "one-chance", "once"), {"q0": "b"})
    done = session.scalars(select(LessonCompletion.lesson_slug)).all()
    assert sorted(done) == ["once", "reading"]  # the module's other quizzes stay to be passed


def test_by_default_passing_completes_the_quiz_lesson_and_says_so(client, learner, session):
    assert "Passing this quiz completes this lesson" in client.get("/modules/check/once").get_data(
        as_text=True
    )
    submit(client, start(client, "one-chance", "once"), {"q0": "b"})
    assert session.scalars(select(LessonCompletion.lesson_slug)).all() == ["once"]


def test_pools_draw_and_shuffle_from_a_stored_seed(client, learner, session):
    attempt_id = start(client, "pool", "pool")
    attempt = session.get(QuizAttempt, attempt_id)
    assert len(attempt.questions) == 2
    lesson = client.application.extensions["cocourse.course"].course.quiz("pool")[1]
    drawn = quizzes.draw(lesson, lesson.quiz, attempt.seed)

    def without_tokens(snapshots):  # the form's values are fresh random ones every time
        return [{k: v for k, v in q.items() if not k.endswith("tokens")} for q in snapshots]

    assert without_tokens(drawn) == without_tokens(attempt.questions)


def test_quiz_lessons_cannot_be_marked_complete(client, learner, session):
    page = client.get("/modules/check/quiz").get_data(as_text=True)
    assert "Mark complete" not in page and "Start the quiz" in page
    response = client.post("/modules/check/quiz/complete", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 403
    assert session.scalar(select(LessonCompletion)) is None


# --- nothing in the page gives the key away ---------------------------------------------------

# (what the quiz holds, what the other copy holds instead): every key changed.
OTHER_KEYS = [
    ("- [ ] The manager decides alone.", "- [x] The manager decides alone."),
    ("- [x] The people involved shape the result.", "- [ ] The people involved shape the result."),
    ("- [x] Several teams depend on each other.", "- [ ] Several teams depend on each other."),
    ("- [ ] The outcome is fixed by law.", "- [x] The outcome is fixed by law."),
    ("- [ ] True\n", "- [x] True\n"),
    ("- [x] False\n", "- [ ] False\n"),
    ("- [x] check in\n", "- [x] checking in\n"),
    ("- [x] 12\n", "- [x] 16\n"),
    (
        "1. Alone\n2. In pairs\n3. In foursomes\n4. All together",
        "1. In foursomes\n2. All together\n3. Alone\n4. In pairs",
    ),
    (
        "- check-in -> arriving\n- check-out -> closing",
        "- check-in -> closing\n- check-out -> arriving",
    ),
]


@pytest.fixture
def courses(tmp_path, quiz_course):
    other = tmp_path / "other_keys"
    shutil.copytree(quiz_course, other)
    quiz = other / "check" / "02-quiz.md"
    text = quiz.read_text()
    for before, after in OTHER_KEYS:
        assert before in text, before
        text = text.replace(before, after)
    quiz.write_text(text)
    return quiz_course, other


def test_the_quiz_has_every_built_in_type(quiz_course):
    text = (quiz_course / "check" / "02-quiz.md").read_text()
    assert set(re.findall(r"```quiz (\S+)", text)) == set(builtin_types())


@pytest.mark.parametrize("seed", [1, 2, 3, 12345, 2**31 - 2])
def test_pages_of_quizzes_with_different_keys_are_the_same(
    engine, database_url, tmp_path, courses, session, monkeypatch, seed
):
    monkeypatch.setattr(quizzes.secrets, "randbelow", lambda _n: seed)
    AuthActions(None, session).create()
    pages = []
    for name, content in zip("ab", courses, strict=True):
        client = make_app(database_url, tmp_path / name, CONTENT_DIR=str(content)).test_client()
        AuthActions(client, session).login()
        attempt_id = start(client)
        html = client.get(f"/quiz/attempts/{attempt_id}").get_data(as_text=True)
        snapshots = session.scalar(
            select(QuizAttempt.questions).where(QuizAttempt.id == attempt_id)
        )
        pages.append(without_random_values(html, snapshots).replace(f"/{attempt_id}", "/N"))
        session.execute(delete(QuizAttempt))
        session.commit()
    assert pages[0] == pages[1]
    # Neither feedback nor answer ids reach the page.
    assert "shared influence" not in pages[0] and "Co-creation shares" not in pages[0]
    assert not re.search(r'(name|value|id)="q\d+-?[a-h]?"[^>]*value="[a-h]"', pages[0])


def test_values_are_random_per_attempt_and_never_the_answer_ids(client, learner, session):
    first = start(client)
    snapshots = session.scalar(select(QuizAttempt.questions).where(QuizAttempt.id == first))
    tokens = [t for q in snapshots for t in (q.get("tokens") or {}).values()]
    assert tokens and all(re.fullmatch(r"[0-9a-f]{10}", t) for t in tokens)
    page = client.get(f"/quiz/attempts/{first}").get_data(as_text=True)
    for value in re.findall(r'value="([^"]*)"', page):
        assert value not in {"a", "b", "c", "d"}, value
    # The ordering's positions are chosen per item: no field is named after a position.
    assert not re.search(r'name="q5-\d"', page)


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
    assert "0 answers regraded." in again.output  # already regraded: nothing changes twice


def test_a_regrade_reads_stored_numbers_back(app, client, learner, session, quiz_course, runner):
    attempt_id = start(client)
    submit(client, attempt_id, ALL_RIGHT)
    before = session.get(QuizAttempt, attempt_id).score
    quiz = quiz_course / "check" / "02-quiz.md"
    quiz.write_text(quiz.read_text().replace("tolerance: 1", "tolerance: 0.5"))
    assert app.extensions["cocourse.course"].reload() == ()
    result = runner.invoke(cli, ["regrade", "every-kind"])
    assert result.exit_code == 0, result.output
    assert "0 answers regraded." in result.output  # 12 is still right
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
    from cocourse.content.draw_rules import expand_minimums
    from cocourse.content.loader import default_markdown, load_course

    course = load_course(Defaults.CONTENT_DIR, default_markdown()).course
    _module, lesson = course.quiz("final-exam")
    assert dict(lesson.quiz.draw_per_tag) == {"domain-*": 6, "module-*": 2, "scenario": 8}
    tags = {tag for question in lesson.questions for tag in question.tags}
    wanted = dict(expand_minimums(lesson.quiz.draw_per_tag, tags))
    assert len(wanted) == 6 + 10 + 1  # six domains, ten modules, scenarios
    for seed in range(200):
        drawn = quizzes.draw(lesson, lesson.quiz, seed)
        assert len({q["id"] for q in drawn}) == lesson.quiz.draw == 40
        for tag, least in wanted.items():
            assert sum(1 for q in drawn if tag in q["tags"]) >= least, (seed, tag)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"draw_per_tag": {"a": 1}}, "needs 'draw'"),
        ({"draw": 2, "draw_per_tag": {"a": 3}}, "asks for 3 questions"),
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
