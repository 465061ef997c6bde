"""The activity log: events recorded once with the change they describe, the learner's page and
CSV download, and the admins' xAPI export."""

from __future__ import annotations

import csv
import io
import json
import shutil
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from cocourse.learning import activity
from cocourse.models import ActivityEvent
from cocourse.quiz import engine as quizzes

from .conftest import (
    FIXTURES,
    AuthActions,
    admin_client_of,
    csrf_token,
    make_app,
    post_answers,
    run_concurrently,
)
from .test_quizzes import ALL_RIGHT

WRONG = {**ALL_RIGHT, "q0": "a", "q1": ["a", "c"], "q2": "a", "q3": "nope", "q4": "99"}


def complete(client, module, lesson):
    page = client.get(f"/modules/{module}/{lesson}")
    token = csrf_token(page.get_data(as_text=True))
    return client.post(f"/modules/{module}/{lesson}/complete", data={"csrf_token": token})


def events(session, verb=None):
    """Every event as (user, verb, object type, object id), in the order recorded."""
    session.rollback()  # a fresh snapshot
    query = select(ActivityEvent).order_by(ActivityEvent.id)
    if verb is not None:
        query = query.where(ActivityEvent.verb == verb)
    return [(e.user_id, e.verb, e.object_type, e.object_id) for e in session.scalars(query)]


def add(session, user_id, verb, object_type, object_id, result=None, at=None):
    """Arrange an event directly through the service."""
    activity.record(session, user_id, [activity.Event(verb, object_type, object_id, result)], at)
    session.commit()


# Recording


def test_completing_a_lesson_twice_records_it_once(client, learner, session):
    complete(client, "intro", "first")
    complete(client, "intro", "first")
    assert events(session, "completed") == [(learner.id, "completed", "lesson", "intro/first")]


def test_finishing_modules_and_the_last_module_of_a_track(client, learner, session):
    complete(client, "intro", "first")
    complete(client, "intro", "second")
    complete(client, "intro", "second")
    assert events(session, "completed") == [
        (learner.id, "completed", "lesson", "intro/first"),
        (learner.id, "completed", "lesson", "intro/second"),
        (learner.id, "completed", "module", "intro"),
    ]
    complete(client, "second", "only")
    assert events(session, "completed")[3:] == [
        (learner.id, "completed", "lesson", "second/only"),
        (learner.id, "completed", "module", "second"),
        (learner.id, "completed", "track", "basics"),
    ]
    complete(client, "adv", "deep")  # the last (only) module of the track "advanced"
    assert events(session, "completed")[6:] == [
        (learner.id, "completed", "lesson", "adv/deep"),
        (learner.id, "completed", "module", "adv"),
        (learner.id, "completed", "track", "advanced"),
    ]
    session.rollback()
    stored = session.scalars(select(ActivityEvent).where(ActivityEvent.verb == "completed"))
    assert all(event.result is None for event in stored)


def test_an_optional_lesson_does_not_finish_a_module_again(
    engine, database_url, tmp_path, course_copy, session
):
    (course_copy / "intro" / "03-extra.md").write_text(
        "---\ntitle: Extra reading\noptional: true\n---\nMore.\n"
    )
    client = make_app(database_url, tmp_path, CONTENT_DIR=str(course_copy)).test_client()
    auth = AuthActions(client, session)
    user = auth.create()
    auth.login()
    for lesson in ("first", "second", "extra"):
        complete(client, "intro", lesson)
    assert [e for e in events(session, "completed") if e[2] != "lesson"] == [
        (user.id, "completed", "module", "intro")
    ]


def test_concurrent_completions_record_each_event_once(app, session):
    auth = AuthActions(None, session)
    user = auth.create()
    clients = []
    for _ in range(8):
        client = app.test_client()
        AuthActions(client, session).login()
        clients.append(client)

    def post_all(lessons):
        tokens = [
            csrf_token(c.get(f"/modules/{lessons[i % len(lessons)]}").get_data(as_text=True))
            for i, c in enumerate(clients)
        ]
        statuses = []

        def work(i):
            path = f"/modules/{lessons[i % len(lessons)]}/complete"
            statuses.append(clients[i].post(path, data={"csrf_token": tokens[i]}).status_code)

        assert run_concurrently(app, len(clients), work) == []
        assert statuses == [302] * len(clients)

    post_all(["intro/first", "intro/second"])
    post_all(["second/only"])
    found = events(session, "completed")
    assert sorted(found[:2]) == [
        (user.id, "completed", "lesson", "intro/first"),
        (user.id, "completed", "lesson", "intro/second"),
    ]
    assert found[2:] == [
        (user.id, "completed", "module", "intro"),
        (user.id, "completed", "lesson", "second/only"),
        (user.id, "completed", "module", "second"),
        (user.id, "completed", "track", "basics"),
    ]


def test_viewing_a_lesson_is_recorded_at_most_every_thirty_minutes(app, client, learner, session):
    assert client.get("/modules/intro/first").status_code == 200
    assert client.get("/modules/intro/first").status_code == 200
    assert client.get("/modules/intro/second").status_code == 200
    assert events(session, "viewed") == [
        (learner.id, "viewed", "lesson", "intro/first"),
        (learner.id, "viewed", "lesson", "intro/second"),
    ]
    first = session.scalar(select(ActivityEvent).order_by(ActivityEvent.id))
    soon = first.occurred_at + activity.VIEW_INTERVAL - timedelta(seconds=1)
    later = first.occurred_at + activity.VIEW_INTERVAL + timedelta(seconds=1)
    intro = app.extensions["cocourse.course"].course.module("intro")
    assert activity.record_view(session, learner.id, intro, "first", soon) is False
    assert activity.record_view(session, learner.id, intro, "first", later) is True
    assert activity.record_view(session, learner.id, intro, "first", later) is False
    assert len(events(session, "viewed")) == 3


def test_locked_and_anonymous_lesson_requests_record_no_view(client, auth, session):
    assert client.get("/modules/intro/first").status_code == 302  # to the login page
    auth.create()
    auth.login()
    assert client.get("/modules/second/only").status_code == 403
    assert events(session) == []


@pytest.fixture
def quiz_client(engine, database_url, tmp_path, session):
    course = tmp_path / "quiz_course"
    shutil.copytree(FIXTURES / "quiz_course", course)
    client = make_app(database_url, tmp_path, CONTENT_DIR=str(course)).test_client()
    auth = AuthActions(client, session)
    client.user = auth.create()
    auth.login()
    return client


def take_quiz(client, answers, quiz_id="every-kind", lesson="quiz", twice=False):
    page = client.get(f"/modules/check/{lesson}").get_data(as_text=True)
    started = client.post(f"/quiz/{quiz_id}/start", data={"csrf_token": csrf_token(page)})
    attempt_id = int(started.headers["Location"].rsplit("/", 1)[1])
    for _ in range(2 if twice else 1):
        assert post_answers(client, attempt_id, answers).status_code == 302
    return attempt_id


def test_every_quiz_attempt_and_every_pass_is_recorded_once(quiz_client, session):
    user_id = quiz_client.user.id
    take_quiz(quiz_client, ALL_RIGHT, twice=True)
    take_quiz(quiz_client, WRONG, twice=True)
    take_quiz(quiz_client, ALL_RIGHT)
    found = [e for e in events(session) if e[1] != "viewed"]
    assert found == [
        (user_id, "attempted", "quiz", "every-kind"),
        (user_id, "passed", "quiz", "every-kind"),
        (user_id, "completed", "lesson", "check/quiz"),
        (user_id, "attempted", "quiz", "every-kind"),
        (user_id, "attempted", "quiz", "every-kind"),
        (user_id, "passed", "quiz", "every-kind"),
    ]
    results = session.scalars(
        select(ActivityEvent.result)
        .where(ActivityEvent.object_type == "quiz")
        .order_by(ActivityEvent.id)
    ).all()
    assert results == [
        {"score": 100.0, "passed": True, "attempt": 1},
        {"score": 100.0, "passed": True, "attempt": 1},
        {"score": 25.0, "passed": False, "attempt": 2},
        {"score": 100.0, "passed": True, "attempt": 3},
        {"score": 100.0, "passed": True, "attempt": 3},
    ]


def test_expired_attempts_are_recorded_as_attempted(quiz_client, session, tmp_path):
    app = quiz_client.application
    once = tmp_path / "quiz_course" / "check" / "03-once.md"
    once.write_text(once.read_text().replace("attempts: 1", "attempts: 3"))
    assert app.extensions["cocourse.course"].reload() == ()
    module, lesson = app.extensions["cocourse.course"].course.quiz("one-chance")
    pm = app.extensions["cocourse.plugins"]
    types = app.extensions["cocourse.question_types"]
    user_id = quiz_client.user.id
    from cocourse.db import get_session

    with app.app_context():
        first = quizzes.start(get_session(), user_id, module, lesson)
        late = first.deadline + quizzes.GRACE + timedelta(seconds=1)
        quizzes.submit(get_session(), pm, first.id, user_id, {"q-once": "b"}, types, late)
        second = quizzes.start(get_session(), user_id, module, lesson, late)
        # Left open past its deadline: starting again closes it, and the log says so.
        quizzes.start(get_session(), user_id, module, lesson, late + timedelta(hours=1))
    assert events(session) == [(user_id, "attempted", "quiz", "one-chance")] * 2
    results = session.scalars(select(ActivityEvent).order_by(ActivityEvent.id)).all()
    assert [e.result for e in results] == [
        {"score": 0.0, "passed": False, "attempt": 1},
        {"score": 0.0, "passed": False, "attempt": 2},
    ]
    assert results[1].occurred_at == late + timedelta(hours=1)
    assert second.number == 2


# The learner's page and download


def test_the_activity_page_lists_my_events_newest_first(client, learner, auth, session):
    other = auth.create("other@example.org")
    add(session, other.id, "completed", "lesson", "intro/second")
    complete(client, "intro", "first")
    html = client.get("/activity").get_data(as_text=True)
    assert html.index("Completed lesson") < html.index("Viewed lesson")
    assert '<a href="/modules/intro/first">First lesson</a>' in html
    assert "Second lesson" not in html  # someone else's event
    assert 'href="/activity.csv"' in html
    assert 'href="/activity"' in client.get("/dashboard").get_data(as_text=True)


def test_the_activity_page_shows_fifty_events_a_page(client, learner, session):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(120):
        add(session, learner.id, "viewed", "lesson", f"gone/lesson-{i}", at=start + timedelta(i))
    first = client.get("/activity").get_data(as_text=True)
    assert first.count("<tr>") == 51  # the header row and 50 events
    assert "gone/lesson-119" in first and "gone/lesson-70" in first
    assert "gone/lesson-69" not in first
    assert 'href="/activity?page=2">Older' in first and "Newer" not in first
    last = client.get("/activity?page=3").get_data(as_text=True)
    assert last.count("<tr>") == 21 and "gone/lesson-0<" in last
    assert "Older" not in last and 'href="/activity?page=2">Newer' in last
    assert "No more activity" in client.get("/activity?page=9").get_data(as_text=True)


def test_quiz_results_show_on_the_activity_page(client, learner, session):
    result = {"score": 62.5, "passed": True, "attempt": 2}
    add(session, learner.id, "attempted", "quiz", "q", result)
    html = client.get("/activity").get_data(as_text=True)
    assert "62.5% · passed · attempt 2" in html


def test_the_activity_page_and_csv_need_login(client):
    for path in ("/activity", "/activity.csv"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")


def test_csv_download_has_my_events_only_with_typed_columns(
    client, learner, auth, session, monkeypatch
):
    monkeypatch.setattr(activity, "CHUNK", 2)  # several chunks, with ties on occurred_at
    other = auth.create("other@example.org")
    add(session, other.id, "completed", "module", "second")
    complete(client, "intro", "first")
    complete(client, "intro", "second")  # lesson and module share one timestamp
    result = {"score": 87.5, "passed": True, "attempt": 1}
    add(session, learner.id, "attempted", "quiz", "removed-quiz", result)
    response = client.get("/activity.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and response.mimetype_params["charset"] == "utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="activity.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == [
        "occurred_at",
        "verb",
        "object_type",
        "object_id",
        "object_title",
        "score",
        "passed",
    ]
    body = [row[1:] for row in rows[1:]]
    assert body == [
        ["viewed", "lesson", "intro/first", "First lesson", "", ""],
        ["completed", "lesson", "intro/first", "First lesson", "", ""],
        ["viewed", "lesson", "intro/second", "Second lesson", "", ""],
        ["completed", "lesson", "intro/second", "Second lesson", "", ""],
        ["completed", "module", "intro", "Introduction", "", ""],
        ["attempted", "quiz", "removed-quiz", "", "87.5", "true"],
    ]
    stamps = [row[0] for row in rows[1:]]
    assert all(s.endswith("Z") and datetime.fromisoformat(s).tzinfo == UTC for s in stamps)
    assert stamps == sorted(stamps)


# The admins' xAPI export


@pytest.fixture
def admin_client(app, session):
    return admin_client_of(app, session)


def export(client, query=""):
    response = client.get(f"/admin/activity.jsonl{query}")
    assert response.status_code == 200, response.data
    return [json.loads(line) for line in response.get_data(as_text=True).splitlines()]


def test_the_export_is_for_admins_only(client, learner, admin_client):
    assert client.get("/admin/activity.jsonl").status_code == 403
    anonymous = admin_client.application.test_client()
    assert anonymous.get("/admin/activity.jsonl").status_code == 302
    assert 'href="/admin/activity.jsonl"' in admin_client.get("/admin/users").get_data(as_text=True)


def test_the_export_is_one_xapi_statement_a_line(client, learner, admin_client, session):
    complete(client, "intro", "first")
    result = {"score": 62.5, "passed": True, "attempt": 2}
    add(session, learner.id, "passed", "quiz", "some-quiz", result)
    add(session, learner.id, "completed", "track", "basics")
    response = admin_client.get("/admin/activity.jsonl")
    assert response.mimetype == "application/jsonl"
    assert response.headers["Content-Disposition"] == 'attachment; filename="activity.jsonl"'
    assert response.headers["Cache-Control"] == "no-store"
    lines = response.get_data(as_text=True).split("\n")
    assert lines[-1] == "" and len(lines) == 5
    viewed, completed, passed, track = (json.loads(line) for line in lines[:-1])
    actor = {"objectType": "Agent", "name": "Learner", "mbox": "mailto:learner@example.org"}
    assert viewed["actor"] == actor
    assert viewed["verb"] == {
        "id": "http://adlnet.gov/expapi/verbs/experienced",
        "display": {"en-US": "experienced"},
    }
    assert viewed["object"] == {
        "objectType": "Activity",
        "id": "http://localhost/modules/intro/first",
        "definition": {
            "name": {"en-US": "First lesson"},
            "type": "http://adlnet.gov/expapi/activities/lesson",
        },
    }
    assert "result" not in viewed
    assert completed["verb"]["id"] == "http://adlnet.gov/expapi/verbs/completed"
    assert passed["verb"]["id"] == "http://adlnet.gov/expapi/verbs/passed"
    assert passed["object"]["id"] == "http://localhost/quiz/some-quiz"
    assert passed["object"]["definition"]["name"] == {"en-US": "some-quiz"}  # not in the course
    assert passed["result"] == {
        "score": {"scaled": 0.625, "raw": 62.5, "min": 0, "max": 100},
        "success": True,
    }
    assert track["object"]["id"] == "http://localhost/tracks/basics"
    assert track["object"]["definition"]["name"] == {"en-US": "Basics"}
    assert track["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/course"
    for statement in (viewed, completed, passed, track):
        assert uuid.UUID(statement["id"]).version == 5
        stamp = datetime.fromisoformat(statement["timestamp"])
        assert stamp.tzinfo == UTC and statement["timestamp"].endswith("Z")
    assert len({s["id"] for s in (viewed, completed, passed, track)}) == 4


def test_statement_ids_are_stable_and_do_not_depend_on_the_secret(
    client, learner, admin_client, session, database_url, tmp_path
):
    complete(client, "intro", "first")
    ids = [s["id"] for s in export(admin_client)]
    assert [s["id"] for s in export(admin_client)] == ids
    rotated = make_app(database_url, tmp_path / "rotated", SECRET_KEY="another-secret-" * 4)
    other = rotated.test_client()
    AuthActions(other, session).login("boss@example.org")
    assert [s["id"] for s in export(other)] == ids


def test_the_export_streams_every_event_in_chunks(learner, admin_client, session, monkeypatch):
    monkeypatch.setattr(activity, "CHUNK", 2)
    for i in range(5):
        add(session, learner.id, "viewed", "lesson", f"intro/lesson-{i}")
    found = export(admin_client)
    assert [s["object"]["id"].rsplit("-", 1)[1] for s in found] == ["0", "1", "2", "3", "4"]


def test_the_export_filters_by_since(learner, admin_client, session):
    for day in (1, 2, 3):
        at = datetime(2026, 3, day, 12, tzinfo=UTC)
        add(session, learner.id, "completed", "module", f"day-{day}", at=at)
    stamps = [s["timestamp"] for s in export(admin_client, "?since=2026-03-02")]
    assert stamps == ["2026-03-02T12:00:00.000Z", "2026-03-03T12:00:00.000Z"]
    assert len(export(admin_client, "?since=2026-03-02T12:00:01Z")) == 1
    assert len(export(admin_client, "?since=2026-03-02T13:00:00%2B02:00")) == 2
    assert len(export(admin_client, "?since=")) == 3


@pytest.mark.parametrize("since", ["yesterday", "2026-13-01", "2026-03-02T25:00"])
def test_a_bad_since_is_a_clear_400(admin_client, since):
    response = admin_client.get(f"/admin/activity.jsonl?since={since}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "must be an ISO 8601 date such as 2026-01-31" in html


# The record store: statements are built once, stored, and carry their context.


def export_text(client, query=""):
    response = client.get(f"/admin/activity.jsonl{query}")
    assert response.status_code == 200, response.status
    return response.get_data()


def activity_of(iri, name, kind):
    """An xAPI Activity as the export writes it."""
    return {
        "objectType": "Activity",
        "id": iri,
        "definition": {
            "name": {"en-US": name},
            "type": f"http://adlnet.gov/expapi/activities/{kind}",
        },
    }


def test_statements_carry_parent_grouping_registration_and_attempt(quiz_client, session):
    take_quiz(quiz_client, ALL_RIGHT)
    admin = admin_client_of(quiz_client.application, session)
    found = [json.loads(line) for line in export_text(admin).splitlines()]
    by_verb = {
        (s["verb"]["display"]["en-US"], s["object"]["id"].rsplit("/", 2)[-2]): s for s in found
    }
    viewed = by_verb[("experienced", "check")]
    site = "http://localhost"
    module = activity_of(f"{site}/modules/check", "Check yourself", "module")
    track = activity_of(f"{site}/tracks/only", "Only track", "course")
    assert viewed["context"]["platform"] == "cocourse"
    assert viewed["context"]["language"] == "en-US"
    assert viewed["context"]["contextActivities"] == {"parent": [module], "grouping": [track]}
    passed = by_verb[("passed", "quiz")]
    assert passed["object"]["id"] == f"{site}/quiz/every-kind"
    assert passed["context"]["contextActivities"]["parent"][0]["id"] == f"{site}/modules/check/quiz"
    assert passed["context"]["contextActivities"]["grouping"] == [module, track]
    assert passed["context"]["extensions"] == {"http://id.tincanapi.com/extension/attempt-id": 1}
    # One registration for everything the learner does in the track.
    registrations = {s["context"]["registration"] for s in found}
    assert len(registrations) == 1 and uuid.UUID(registrations.pop()).version == 5


def test_a_re_export_after_renaming_lessons_and_people_gives_the_same_bytes(
    quiz_client, session, tmp_path
):
    app = quiz_client.application
    take_quiz(quiz_client, ALL_RIGHT)
    learner_id = quiz_client.user.id
    admin = admin_client_of(app, session)
    first = export_text(admin)
    assert b"Every kind of question" in first
    lesson = tmp_path / "quiz_course" / "check" / "02-quiz.md"
    lesson.write_text(lesson.read_text().replace("Every kind of question", "All the kinds"))
    assert app.extensions["cocourse.course"].reload() == ()
    with app.app_context():
        from cocourse.db import get_session
        from cocourse.models import User

        db = get_session()
        db.get(User, learner_id).name = "Renamed Learner"
        db.commit()
    assert export_text(admin) == first
    # A new event is built from the course as it is now.
    add(session, learner_id, "completed", "lesson", "check/quiz")
    again = export_text(admin)
    assert again.startswith(first)
    assert b"All the kinds" in again[len(first) :] and b"Renamed Learner" in again[len(first) :]


def test_a_statement_stored_by_a_racing_export_wins(learner, admin_client, session, app):
    add(session, learner.id, "completed", "module", "intro")
    with app.test_request_context():
        from cocourse.db import get_session
        from cocourse.web.course import course

        db = get_session()
        stale = list(activity.all_events(db))  # read before the other export stores it
        assert stale[0].statement is None
        stored = export_text(admin_client)
        renamed = activity.stored_statements(db, stale, course(), "http://elsewhere.example/")
    assert renamed == [stored.decode().rstrip("\n")]


def test_ids_come_from_the_public_url_never_from_the_host_header(
    engine, database_url, tmp_path, session
):
    app = make_app(database_url, tmp_path, PUBLIC_URL="https://learn.example.org")
    client = admin_client_of(app, session)
    add(session, 1, "completed", "module", "intro")
    response = client.get("/admin/activity.jsonl")  # asked for at http://localhost/
    assert response.status_code == 200, response.status
    text = response.get_data(as_text=True)
    statement = json.loads(text)
    assert statement["object"]["id"] == "https://learn.example.org/modules/intro"
    expected = activity.statement_id("https://learn.example.org/", statement_event_id(session))
    assert statement["id"] == str(expected)
    assert "localhost" not in text


def statement_event_id(session):
    session.rollback()
    return session.scalar(select(ActivityEvent.id))


def test_every_activity_iri_leads_somewhere(client, learner):
    assert client.get("/tracks/basics").headers["Location"] == "/#track-basics"
    assert client.get("/tracks/nope").status_code == 404
    assert client.get("/quiz/nope").status_code == 404
    assert client.get("/modules/intro").status_code == 200


def test_a_quiz_iri_leads_to_its_lesson(quiz_client):
    response = quiz_client.get("/quiz/every-kind")
    assert response.status_code == 302
    assert response.headers["Location"] == "/modules/check/quiz"
