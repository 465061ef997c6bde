"""The page cache: pages sent again without rendering are never stale, and only sent to
whom the app would send them (`cocourse.web.page_cache`, `cocourse.page_versions`)."""

from __future__ import annotations

import time

import pytest
from flask_login.utils import _create_identifier
from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import IntegrityError

from cocourse import page_versions
from cocourse.accounts import services as accounts
from cocourse.accounts import sessions
from cocourse.models import (
    ActivityEvent,
    LessonCompletion,
    LoginSession,
    Notification,
    PageVersion,
    Role,
    User,
    utcnow,
)
from cocourse.web.page_cache import EXTENSION, OBSERVERS, login_identifier
from cocourse.web.page_store import Memory, Page, Shared

from .conftest import FIXTURES, AuthActions, csrf_token, make_app, post_answers
from .test_mail import redis_url  # noqa: F401 (the fixture: a real Redis on loopback)

LESSON = "/modules/intro/first"


def hits(app):
    """The paths the app's page cache answers from now on, in order."""
    seen: list[str] = []
    app.extensions[OBSERVERS].append(lambda hit: seen.append(hit.path))
    return seen


def twice(client, path, **kwargs):
    """GET a page until the cache has it: the first GET teaches the cache the path, the
    second renders and stores it. The third answer is returned."""
    for _ in range(2):
        client.get(path, **kwargs)
    return client.get(path, **kwargs)


def completion(user_id):
    return LessonCompletion(
        user_id=user_id, module_slug="intro", lesson_slug="first", content_hash="h"
    )


def tokens(session):
    session.rollback()
    return dict(session.execute(select(PageVersion.scope, PageVersion.token)).all())


# --- the tokens ---------------------------------------------------------------------------


def test_a_person_s_own_rows_renew_only_their_token(session, auth):
    one, two = auth.create("one@example.org"), auth.create("two@example.org")
    before = tokens(session)
    session.add(completion(one.id))
    session.commit()
    after = tokens(session)
    assert after[one.id] != before.get(one.id)
    assert after[page_versions.EVERYONE] == before[page_versions.EVERYONE]
    assert after.get(two.id) == before.get(two.id)


def test_an_insert_statement_names_its_people(session, auth):
    one, two = auth.create("one@example.org"), auth.create("two@example.org")
    before = tokens(session)
    row = {"verb": "viewed", "object_type": "lesson", "object_id": "a/b", "occurred_at": utcnow()}
    rows = [{**row, "user_id": person.id} for person in (one, two)]
    session.execute(insert(ActivityEvent).values(rows))
    session.commit()
    after = tokens(session)
    assert after[one.id] != before.get(one.id) and after[two.id] != before.get(two.id)
    assert after[page_versions.EVERYONE] == before[page_versions.EVERYONE]


def test_an_update_of_one_person_s_rows_renews_only_their_token(session, auth):
    one, two = auth.create("one@example.org"), auth.create("two@example.org")
    before = tokens(session)
    unread = Notification.read_at.is_(None)
    session.execute(
        update(Notification).where(Notification.user_id == one.id, unread).values(read_at=utcnow())
    )
    session.commit()
    after = tokens(session)
    assert after[one.id] != before.get(one.id)
    assert after[page_versions.EVERYONE] == before[page_versions.EVERYONE]
    assert after.get(two.id) == before.get(two.id)


@pytest.mark.parametrize(
    "write",
    [
        # A bulk update of a personal table cannot name its people: everyone's pages.
        lambda s, who: s.execute(update(Notification).values(read_at=utcnow())),
        # Nor can one whose condition on the person is not required of every row.
        lambda s, who: s.execute(
            update(Notification)
            .where((Notification.user_id == who) | Notification.read_at.is_(None))
            .values(read_at=utcnow())
        ),
        # A person's row is shown on other people's pages (a facilitator's name).
        lambda s, who: s.execute(update(User).where(User.id == who).values(name="Renamed")),
        # SQL text that writes.
        lambda s, who: s.execute(text("UPDATE cohort SET name = name")),
    ],
    ids=["bulk-personal", "or-personal", "user-row", "sql-text"],
)
def test_other_writes_renew_everyone_s_token(session, auth, write):
    person = auth.create()
    before = tokens(session)
    write(session, person.id)
    session.commit()
    assert tokens(session)[page_versions.EVERYONE] != before[page_versions.EVERYONE]


def test_unseen_writes_and_rollbacks_renew_nothing(session, auth):
    person = auth.create()
    before = tokens(session)
    session.execute(update(LoginSession).values(last_seen_at=utcnow()))
    session.commit()
    assert tokens(session) == before
    session.add(completion(person.id))
    session.flush()
    session.rollback()
    assert tokens(session) == before


def test_a_flush_that_failed_in_a_savepoint_leaves_later_statements_seen(session, auth):
    person = auth.create()
    note = {"kind": "workshop", "key": "same", "title": "Hello", "created_at": utcnow()}
    session.add(Notification(user_id=person.id, **note))
    session.commit()
    before = tokens(session)
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(Notification(user_id=person.id, **note))  # the same key again
        session.flush()
    session.execute(update(LessonCompletion).values(content_hash="x"))  # everyone's
    session.commit()
    assert tokens(session)[page_versions.EVERYONE] != before[page_versions.EVERYONE]


def test_an_untracked_connection_renews_nothing(engine, session, auth):
    auth.create()
    before = tokens(session)
    with engine.connect() as connection:
        connection.execution_options(**{page_versions.UNTRACKED: True})
        connection.execute(update(User).values(name="Migrated"))
        connection.commit()
    assert tokens(session) == before


# --- the cache in front of the app --------------------------------------------------------


def test_learners_pages_come_from_the_cache_and_match_a_render(app, client, learner):
    seen = hits(app)
    for path in (LESSON, "/", "/dashboard", "/modules/intro"):
        rendered = [client.get(path) for _ in range(2)][-1]
        cached = client.get(path)
        assert cached.status_code == 200
        assert cached.get_data() == rendered.get_data()
        assert cached.headers["X-Request-Id"] != rendered.headers["X-Request-Id"]
        for header in ("Content-Security-Policy", "Cache-Control", "Vary", "X-Frame-Options"):
            assert cached.headers[header] == rendered.headers[header]
    assert seen == [LESSON, "/", "/dashboard", "/modules/intro"]


def test_a_visitor_s_catalog_is_shared_and_sets_no_cookie(app):
    seen = hits(app)
    first, second = app.test_client(), app.test_client()
    twice(first, "/")
    response = second.get("/")
    assert seen == ["/", "/"] and "Set-Cookie" not in response.headers
    assert "Sign up" in response.get_data(as_text=True)
    # The language is part of the key.
    french = second.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert 'lang="fr"' in french


def test_a_completion_shows_at_once(client, learner):
    twice(client, LESSON)
    twice(client, "/dashboard")
    token = csrf_token(client.get(LESSON).get_data(as_text=True))
    client.post(f"{LESSON}/complete", data={"csrf_token": token})
    assert "You completed this lesson." in client.get(LESSON).get_data(as_text=True)
    assert "1 of 3 lessons" in client.get("/dashboard").get_data(as_text=True)


def test_a_quiz_pass_shows_at_once(engine, database_url, tmp_path, auth):
    app = make_app(database_url, tmp_path, CONTENT_DIR=str(FIXTURES / "quiz_course"))
    client = auth.client = app.test_client()
    auth.create()
    auth.login()
    assert "No quiz results yet." in twice(client, "/dashboard").get_data(as_text=True)
    page = client.get("/modules/check/once").get_data(as_text=True)
    started = client.post("/quiz/one-chance/start", data={"csrf_token": csrf_token(page)})
    post_answers(client, int(started.headers["Location"].rsplit("/", 1)[1]), {"q0": "b"})
    assert "100% · passed" in client.get("/dashboard").get_data(as_text=True)


def test_a_role_change_and_a_logout_end_cached_pages(app, client, auth, session):
    person = auth.create()
    auth.login()
    twice(client, LESSON)
    accounts.set_role(session, person.id, Role.ASSESSOR)  # ends the person's logins
    assert client.get(LESSON).status_code == 302
    auth.login()
    seen = hits(app)
    twice(client, LESSON)
    assert seen == []  # an assessor's pages are not cached
    accounts.set_role(session, person.id, Role.LEARNER)
    auth.login()
    twice(client, LESSON)
    auth.logout()
    response = client.get(LESSON)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_content_reload_shows_at_once(engine, database_url, tmp_path, course_copy, auth):
    app = make_app(database_url, tmp_path, CONTENT_DIR=str(course_copy))
    client = auth.client = app.test_client()
    auth.create()
    auth.login()
    assert "Freshly written" not in twice(client, LESSON).get_data(as_text=True)
    lesson = course_copy / "intro" / "01-first.md"
    lesson.write_text(lesson.read_text() + "\nFreshly written.\n")
    app.extensions["cocourse.course"].reload()
    assert "Freshly written" in client.get(LESSON).get_data(as_text=True)


def test_a_write_made_elsewhere_shows_on_the_next_request(
    engine, database_url, tmp_path, app, client, learner, session
):
    """Another host (here: another app, and a plain session) writes; this one's cached
    pages give way, because the tokens are in the shared database."""
    twice(client, LESSON)
    session.add(
        Notification(
            user_id=learner.id, kind="workshop", key="k", title="Hello", created_at=utcnow()
        )
    )
    session.commit()
    assert "count-badge" in client.get(LESSON).get_data(as_text=True)
    other = make_app(database_url, tmp_path / "other")
    with other.app_context():
        from cocourse.db import get_session

        accounts.set_language(get_session(), get_session().get(User, learner.id), "nl")
    assert 'lang="nl"' in client.get(LESSON).get_data(as_text=True)


def test_pages_expire(engine, database_url, tmp_path, auth):
    app = make_app(database_url, tmp_path, PAGE_CACHE_SECONDS=0.2)
    client = auth.client = app.test_client()
    auth.create()
    auth.login()
    seen = hits(app)
    twice(client, "/")
    time.sleep(0.3)
    client.get("/")
    assert seen == ["/"]


def test_no_cache_at_all_when_switched_off(engine, database_url, tmp_path):
    app = make_app(database_url, tmp_path, PAGE_CACHE_SECONDS=0)
    assert EXTENSION not in app.extensions


def test_only_what_the_app_would_send_is_sent(app, client, learner, session):
    seen = hits(app)
    twice(client, LESSON)
    assert seen == [LESSON]
    # Another browser (Flask-Login's session check) and a forged cookie go to the app.
    client.get(LESSON, headers={"User-Agent": "another browser"})
    cookie = client.get_cookie("session")
    client.set_cookie("session", cookie.value[:-2] + "xx")
    assert client.get(LESSON).status_code == 302
    client.set_cookie("session", cookie.value)
    # A login session ended elsewhere, and an account switched off.
    session.execute(update(LoginSession).values(revoked_at=utcnow()))
    session.commit()
    assert client.get(LESSON).status_code == 302
    assert seen == [LESSON]


def test_a_deactivated_learner_gets_nothing_from_the_cache(app, client, learner, session):
    twice(client, LESSON)
    session.execute(update(User).values(deactivated_at=utcnow()))
    session.commit()
    assert client.get(LESSON).status_code == 302


def test_a_login_session_not_seen_for_a_while_goes_to_the_app(app, client, learner, session):
    seen = hits(app)
    twice(client, LESSON)
    earlier = utcnow() - sessions.SEEN_EVERY * 2
    session.execute(update(LoginSession).values(last_seen_at=earlier))
    session.commit()
    client.get(LESSON)  # the app notes the login session as seen...
    assert seen == [LESSON]
    client.get(LESSON)  # ...and the cache answers again
    session.rollback()
    assert session.scalar(select(LoginSession.last_seen_at)) > earlier
    assert seen == [LESSON, LESSON]


def test_a_page_with_a_message_is_never_kept(app, client, learner):
    seen = hits(app)
    twice(client, "/")
    for lesson in ("first", "second"):  # the module's last lesson: a message
        token = csrf_token(client.get(f"/modules/intro/{lesson}").get_data(as_text=True))
        client.post(f"/modules/intro/{lesson}/complete", data={"csrf_token": token})
    pages = [client.get("/").get_data(as_text=True) for _ in range(3)]
    assert "You finished the last lesson" in pages[0]
    assert "You finished the last lesson" not in pages[1] + pages[2]
    assert seen == ["/", "/"]  # the page with the message was rendered, then cached again


def test_a_waiting_remember_me_cookie_goes_to_the_app(app, session):
    seen = hits(app)
    AuthActions(app.test_client(), session).create()
    browser = app.test_client()
    twice(browser, "/")
    browser.set_cookie("cocourse_remember", "anything")
    browser.get("/")
    assert seen == ["/"]


def test_flask_login_s_session_check_is_computed_alike(app):
    for headers, address in [
        ({"User-Agent": "Mozilla/5.0 (Ünïcode)"}, "10.0.0.1"),
        ({}, "::1"),
        ({"X-Forwarded-For": "203.0.113.9, 10.0.0.1", "User-Agent": "x"}, "10.0.0.1"),
    ]:
        with app.test_request_context(headers=headers, environ_base={"REMOTE_ADDR": address}):
            from flask import request

            assert login_identifier(request.environ) == _create_identifier()


def test_the_store_keeps_to_its_size_and_expiry():
    store = Memory(max_bytes=100)
    page = Page("200 OK", (), b"x" * 40, "e", expires=10.0)
    for key in ("a", "b", "c"):
        store.put((key,), page)
    assert len(store) == 2 and store.get(("a",), 0.0) is None
    assert store.get(("c",), 0.0) is page and store.get(("c",), 10.0) is None
    store.put(("big",), Page("200 OK", (), b"x" * 101, "e", expires=10.0))
    assert store.get(("big",), 0.0) is None


def test_a_database_that_does_not_answer_leaves_the_answer_to_the_app(app, client, learner):
    import sqlite3

    import psycopg

    seen = hits(app)
    twice(client, LESSON)
    cache = app.extensions[EXTENSION]

    def away(*_args, **_kwargs):
        raise (
            sqlite3 if cache.reader.engine.dialect.name == "sqlite" else psycopg
        ).OperationalError

    cache.reader.login = away
    assert client.get(LESSON).status_code == 200  # rendered by the app
    assert seen == [LESSON]


def test_an_old_session_cookie_is_not_taken_from_memory(app, client, learner, monkeypatch):
    seen = hits(app)
    twice(client, LESSON)
    cache = app.extensions[EXTENSION]
    later = time.time() + cache.max_age + 1
    monkeypatch.setattr("cocourse.web.page_cache.time.time", lambda: later)
    client.get(LESSON)
    assert seen == [LESSON]


def test_with_redis_a_page_rendered_by_one_server_is_sent_by_another(
    engine,
    database_url,
    tmp_path,
    auth,
    redis_url,  # noqa: F811
):
    one = make_app(database_url, tmp_path / "one", PAGE_CACHE_REDIS_URL=redis_url)
    two = make_app(database_url, tmp_path / "two", PAGE_CACHE_REDIS_URL=redis_url)
    seen_one, seen_two = hits(one), hits(two)
    browser = auth.client = one.test_client()
    auth.create()
    auth.login()
    rendered = twice(browser, LESSON)
    assert seen_one == [LESSON]
    two.extensions[EXTENSION].paths.add(LESSON)  # the other server knows the path too
    cookie = browser.get_cookie("session")
    other = two.test_client()
    other.set_cookie("session", cookie.value)
    other.get("/healthz")  # the server's first request checks the content, in the app
    sent = other.get(LESSON)
    assert seen_two == [LESSON] and sent.get_data() == rendered.get_data()
    # Redis holds the page under a hash: no session or login token in its keys.
    keys = two.extensions[EXTENSION].shared.client.keys("*")
    assert keys and all(len(key) == len(b"cocourse:page:") + 64 for key in keys)
    # A completion (on either server) still gives way at once.
    token = csrf_token(sent.get_data(as_text=True))
    other.post(f"{LESSON}/complete", data={"csrf_token": token})
    assert "You completed this lesson." in browser.get(LESSON).get_data(as_text=True)
    for app in (one, two):
        app.extensions[EXTENSION].shared.close()


def test_a_redis_that_does_not_answer_only_means_rendering(free_redis_url, caplog):
    shared = Shared(free_redis_url)
    page = Page("200 OK", (("Content-Type", "text/html"),), b"<p>x</p>", "e", time.time() + 60)
    with caplog.at_level("WARNING", logger="cocourse.page_cache"):
        shared.put(("k",), page, time.time())
        assert shared.get(("k",), time.time()) is None  # not asked again for a while
    assert len([r for r in caplog.records if "Redis does not answer" in r.getMessage()]) == 1
    shared.close()


@pytest.fixture
def free_redis_url():
    from .gunicorn import free_port

    return f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
