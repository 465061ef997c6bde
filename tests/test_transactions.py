"""One transaction per learner action, events after the commit, and plugins cannot break it."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cocourse.db import get_session, write
from cocourse.hookspecs import hookimpl
from cocourse.learning import progress
from cocourse.models import ActivityEvent, LessonCompletion, QuizAttempt, User
from cocourse.quiz import engine as quizzes

from .conftest import FIXTURES, AuthActions, csrf_token, make_app, post_answers
from .plugins import recorder

# The recorder hears every event; failing_events raises in each one.
BROKEN = ["tests.plugins.recorder", "tests.plugins.failing_events"]


@pytest.fixture
def quiz_app(engine, database_url, tmp_path):
    recorder.calls.clear()
    return make_app(
        database_url, tmp_path, PLUGINS=BROKEN, CONTENT_DIR=str(FIXTURES / "quiz_course")
    )


@pytest.fixture
def course_app(engine, database_url, tmp_path):
    recorder.calls.clear()
    return make_app(database_url, tmp_path, PLUGINS=BROKEN)


def called(name):
    return [kwargs for hook, kwargs in recorder.calls if hook == name]


def failures(caplog, event):
    """What the broken plugin raised in `event`, as logged."""
    return [
        str(record.exc_info[1])
        for record in caplog.records
        if record.name == "cocourse.plugins"
        and record.getMessage() == f"plugin 'tests.plugins.failing_events' failed in {event}"
    ]


def completions(session, user_id):
    session.rollback()  # see what is committed now
    rows = session.execute(
        select(LessonCompletion.module_slug, LessonCompletion.lesson_slug)
        .where(LessonCompletion.user_id == user_id)
        .order_by(LessonCompletion.id)
    )
    return [tuple(row) for row in rows]


def logged_in(app, session):
    client = app.test_client()
    auth = AuthActions(client, session)
    user = auth.create()
    auth.login()
    return client, user


# --- plugins that raise ----------------------------------------------------------------


def test_a_raising_quiz_graded_plugin_does_not_break_a_passing_submission(
    quiz_app, session, caplog
):
    client, user = logged_in(quiz_app, session)
    page = client.get("/modules/check/once").get_data(as_text=True)
    started = client.post("/quiz/one-chance/start", data={"csrf_token": csrf_token(page)})
    attempt_id = int(started.headers["Location"].rsplit("/", 1)[1])
    with caplog.at_level(logging.ERROR, logger="cocourse.plugins"):
        response = post_answers(client, attempt_id, {"q0": "b"})
    result_page = f"/quiz/attempts/{attempt_id}/result"
    assert response.status_code == 302 and response.headers["Location"] == result_page
    assert "Passed" in client.get(result_page).get_data(as_text=True)
    assert session.get(QuizAttempt, attempt_id).passed
    assert completions(session, user.id) == [("check", "once")]
    assert failures(caplog, "quiz_graded") == [f"quiz_graded broke on attempt {attempt_id}"]
    assert failures(caplog, "lesson_completed") == ["lesson_completed broke on check/once"]
    # The other plugin still heard of both, once.
    assert called("quiz_graded") == [{"user_id": user.id, "quiz_id": "one-chance"}]
    assert called("lesson_completed") == [
        {"user_id": user.id, "module_slug": "check", "lesson_slug": "once"}
    ]
    # Submitting again shows the stored result and fires nothing more.
    again = post_answers(client, attempt_id, {"q0": "b"})
    assert again.status_code == 302 and again.headers["Location"] == result_page
    assert len(called("quiz_graded")) == 1 and len(called("lesson_completed")) == 1
    assert session.scalar(select(func.count()).select_from(QuizAttempt)) == 1


def test_a_raising_lesson_completed_plugin_does_not_break_mark_complete(
    course_app, session, caplog
):
    client, user = logged_in(course_app, session)

    def complete(lesson):
        page = client.get(f"/modules/intro/{lesson}").get_data(as_text=True)
        url = f"/modules/intro/{lesson}/complete"
        return client.post(url, data={"csrf_token": csrf_token(page)})

    with caplog.at_level(logging.ERROR, logger="cocourse.plugins"):
        first, second = complete("first"), complete("second")
    assert first.status_code == 302 and first.headers["Location"] == "/modules/intro/second"
    assert second.status_code == 302 and second.headers["Location"] == "/modules/intro"
    assert completions(session, user.id) == [("intro", "first"), ("intro", "second")]
    assert failures(caplog, "lesson_completed") == [
        "lesson_completed broke on intro/first",
        "lesson_completed broke on intro/second",
    ]
    assert failures(caplog, "module_completed") == ["module_completed broke on intro"]
    assert called("module_completed") == [{"user_id": user.id, "module_slug": "intro"}]


def test_a_raising_certificate_issued_plugin_does_not_undo_the_approval(
    engine, database_url, tmp_path, session, caplog
):
    from . import test_certification as cert

    recorder.calls.clear()
    app = make_app(database_url, tmp_path, PLUGINS=BROKEN, CONTENT_DIR=str(cert.CERT_COURSE))
    with caplog.at_level(logging.ERROR, logger="cocourse.plugins"):
        user, certificate = cert.certified(app, AuthActions(app.test_client(), session), session)
    assert failures(caplog, "certificate_issued") == [
        f"certificate_issued broke on certificate {certificate.id}"
    ]
    assert called("certificate_issued") == [
        {"user_id": user.id, "program": cert.PROGRAM, "certificate_id": certificate.id}
    ]


# --- one transaction, events after it ---------------------------------------------------


def _submit(app, user_id, answer, *, course=True):
    """Start and submit the one-chance quiz through the service, as the submit view does."""
    current = app.extensions["cocourse.course"].course
    module, lesson = current.quiz("one-chance")
    pm = app.extensions["cocourse.plugins"]
    types = app.extensions["cocourse.question_types"]
    with app.app_context():
        attempt = quizzes.start(get_session(), user_id, module, lesson)
        return quizzes.submit(
            get_session(),
            pm,
            attempt.id,
            user_id,
            {"q-once": answer},
            types,
            course=current if course else None,
        )


def test_events_fire_after_grade_and_completion_are_committed(quiz_app, engine, session):
    seen = []

    class Witness:
        @hookimpl
        def quiz_graded(self, attempt_id: int) -> None:
            with Session(engine) as other:  # a connection of its own sees only commits
                passed = other.get(QuizAttempt, attempt_id).passed
                done = other.scalar(select(func.count()).select_from(LessonCompletion))
            seen.append((passed, done))

    quiz_app.extensions["cocourse.plugins"].register(Witness())
    user = AuthActions(None, session).create()
    attempt, graded = _submit(quiz_app, user.id, "b")
    assert graded and attempt.passed
    assert seen == [(True, 1)]


def test_grading_and_completing_are_one_transaction(quiz_app, session, monkeypatch):
    """If the completion fails, the grade is not kept either, and the learner may resubmit."""

    def fail(*_args, **_kwargs):
        raise RuntimeError("the completion could not be stored")

    user = AuthActions(None, session).create()
    current = quiz_app.extensions["cocourse.course"].course
    module, lesson = current.quiz("one-chance")
    pm = quiz_app.extensions["cocourse.plugins"]
    types = quiz_app.extensions["cocourse.question_types"]
    with quiz_app.app_context():
        db = get_session()
        attempt = quizzes.start(db, user.id, module, lesson)
        monkeypatch.setattr(progress, "record_completion", fail)
        with pytest.raises(RuntimeError, match="could not be stored"):
            quizzes.submit(db, pm, attempt.id, user.id, {"q-once": "b"}, types, course=current)
        session.rollback()
        assert session.get(QuizAttempt, attempt.id).submitted_at is None
        assert session.scalar(select(func.count()).select_from(ActivityEvent)) == 0
        assert completions(session, user.id) == [] and called("quiz_graded") == []
        monkeypatch.undo()
        attempt, graded = quizzes.submit(
            db, pm, attempt.id, user.id, {"q-once": "b"}, types, course=current
        )
    assert graded and attempt.passed
    assert completions(session, user.id) == [("check", "once")]
    events = [name for name, _ in recorder.calls if name.endswith(("_graded", "_completed"))]
    assert events == ["quiz_graded", "lesson_completed"]


def test_a_failed_attempt_completes_nothing(quiz_app, session):
    user = AuthActions(None, session).create()
    attempt, graded = _submit(quiz_app, user.id, "a")
    assert graded and not attempt.passed
    assert completions(session, user.id) == [] and called("lesson_completed") == []


# --- db.write -----------------------------------------------------------------------------


def _user(email):
    return User(email=email, name=email.split("@")[0], password_hash="not a real hash")


def test_write_refuses_to_nest_and_keeps_nothing_of_the_outer_block(app, session):
    with app.app_context():
        db = get_session()
        with pytest.raises(RuntimeError, match="do not nest"), write(db):
            db.add(_user("outer@example.org"))
            db.flush()
            with write(db):
                db.add(_user("inner@example.org"))
        assert not db.in_transaction()
        with write(db):  # and the session writes again afterwards
            db.add(_user("after@example.org"))
    assert session.scalars(select(User.email)).all() == ["after@example.org"]


def test_write_ends_an_open_read_transaction_first(app, session):
    with app.app_context():
        db = get_session()
        assert db.scalar(select(func.count()).select_from(User)) == 0
        assert db.in_transaction()  # a read, as every page does before it writes
        with write(db):
            db.add(_user("reader@example.org"))
    assert session.scalars(select(User.email)).all() == ["reader@example.org"]


def test_write_rolls_back_when_the_commit_fails(app, session):
    with app.app_context():
        db = get_session()
        with pytest.raises(IntegrityError), write(db):
            db.add_all([_user("twice@example.org"), _user("twice@example.org")])
        assert not db.in_transaction()
        with write(db):
            db.add(_user("once@example.org"))
    assert session.scalars(select(User.email)).all() == ["once@example.org"]


# --- error pages ----------------------------------------------------------------------------


def test_the_500_page_is_titled_internal_server_error(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = client.get("/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "<title>Internal Server Error · cocourse</title>" in html
    assert "<h1>Internal Server Error</h1>" in html
    assert "property object" not in html and "secret internals" not in html
