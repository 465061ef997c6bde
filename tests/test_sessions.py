"""Server-side login sessions: logout, password and role changes, "log out everywhere",
remember-me rotation, expiry, session renewal, the security log and the login backoff."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import event, select, update

from cocourse.accounts import sessions
from cocourse.accounts.login import REMEMBER_COOKIE
from cocourse.models import LoginSession, LoginThrottle, RememberToken, Role, utcnow

from .conftest import PASSWORD, AuthActions, csrf_token, make_app

NEW_PASSWORD = "an entirely new passphrase"


def logged_in(client) -> bool:
    """Whether the client's cookies open a page for logged-in people."""
    return client.get("/account/password").status_code == 200


def copy_cookies(source, target) -> None:
    """Give `target` every cookie `source` holds (a captured cookie jar)."""
    for cookie in source._cookies.values():
        target.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)


def login(client, email="learner@example.org", password=PASSWORD, remember=False, **environ):
    token = csrf_token(client.get("/login", environ_base=environ).get_data(as_text=True))
    data = {"email": email, "password": password, "csrf_token": token}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data, environ_base=environ)


def security_events(caplog, name=None):
    found = [json.loads(r.getMessage()) for r in caplog.records if r.name == "cocourse.security"]
    return [e for e in found if name is None or e["event"] == name]


@pytest.fixture
def thief(app):
    """A second browser, for cookies captured from the first."""
    return app.test_client()


def test_a_captured_session_cookie_is_useless_after_logout(client, auth, thief):
    auth.create()
    auth.login()
    copy_cookies(client, thief)
    assert logged_in(thief)
    auth.logout()
    assert not logged_in(client)
    assert not logged_in(thief)


def test_a_captured_session_cookie_is_useless_after_a_password_change(client, auth, thief):
    auth.create()
    auth.login()
    copy_cookies(client, thief)
    page = client.get("/account/password").get_data(as_text=True)
    data = {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    response = client.post("/account/password", data={**data, "csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert not logged_in(thief)
    # The person who changed the password stays logged in, in a new login session.
    assert b"logged out on every other device" in client.get("/").data
    assert logged_in(client)


def test_log_out_everywhere_ends_every_session_and_remember_cookie(app, client, auth, session):
    auth.create()
    auth.login()
    phone = app.test_client()
    login(phone, remember=True)
    captured = app.test_client()
    copy_cookies(phone, captured)
    page = client.get("/account/password").get_data(as_text=True)
    assert "Log out everywhere" in page
    response = client.post("/account/logout-everywhere", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    for browser in (client, phone, captured):
        assert not logged_in(browser)
    rows = session.scalars(select(RememberToken)).all()
    assert rows and all(row.revoked_at is not None for row in rows)


def test_a_role_change_ends_the_persons_sessions(app, client, session):
    admin = AuthActions(client, session)
    admin.create("admin@example.org", Role.ADMIN)
    learner_browser = app.test_client()
    person = AuthActions(learner_browser, session).create()
    login(learner_browser, remember=True)
    assert logged_in(learner_browser)
    admin.login("admin@example.org")
    page = client.get("/admin/users").get_data(as_text=True)
    response = client.post(
        f"/admin/users/{person.id}/role",
        data={f"u{person.id}-role": "assessor", f"u{person.id}-csrf_token": csrf_token(page)},
    )
    assert response.status_code == 302
    assert not logged_in(learner_browser)
    assert logged_in(client)


def test_login_renews_the_session_and_its_csrf_secret(client, auth):
    auth.create()
    client.get("/login")
    with client.session_transaction() as planted:
        planted["planted"] = "by an attacker"
        planted_csrf = planted["csrf_token"]
    auth.login()
    with client.session_transaction() as renewed:
        assert "planted" not in renewed
        assert renewed.get("csrf_token") != planted_csrf
        assert renewed[sessions.SESSION_KEY]


def test_only_a_hash_of_the_session_token_is_stored(client, auth, session):
    auth.create()
    auth.login()
    with client.session_transaction() as flask_session:
        token = flask_session[sessions.SESSION_KEY]
    row = session.scalar(select(LoginSession))
    assert row.id == sessions.token_hash(token) != token
    assert row.revoked_at is None and row.expires_at > utcnow()


def test_an_expired_login_session_logs_nobody_in(client, auth, session):
    auth.create()
    auth.login()
    session.execute(update(LoginSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    assert not logged_in(client)


def test_login_deletes_the_persons_long_ended_sessions_and_tokens(client, auth, session):
    user = auth.create()
    other = auth.create("other@example.org")
    long_ago = utcnow() - sessions.KEEP_ENDED - timedelta(days=1)
    for owner in (user, other):
        sessions.start_session(session, owner.id, timedelta(hours=1))
        sessions.issue_remember(session, owner.id, timedelta(days=1))
    recent = sessions.start_session(session, user.id, timedelta(hours=1))
    sessions.end_session(session, recent)
    for model in (LoginSession, RememberToken):
        session.execute(
            update(model).where(model.id != sessions.token_hash(recent)).values(expires_at=long_ago)
        )
    session.commit()
    auth.login()
    kept = session.scalars(select(LoginSession.user_id).order_by(LoginSession.created_at)).all()
    assert sorted(kept) == sorted([other.id, user.id, user.id])  # other's, recent, the new one
    assert session.scalars(select(RememberToken.user_id)).all() == [other.id]


def test_a_logged_in_page_costs_one_login_query_and_last_seen_is_written_once_a_minute(
    app, client, auth, session
):
    auth.create()
    auth.login()
    statements: list[str] = []
    engine = app.extensions["cocourse.engine"]

    def note(_conn, _cursor, statement, *_args):
        if "login_session" in statement:
            statements.append(statement.split()[0].upper())

    event.listen(engine, "before_cursor_execute", note)
    try:
        client.get("/account/password")
        assert statements == ["SELECT"]
        statements.clear()
        session.execute(update(LoginSession).values(last_seen_at=utcnow() - timedelta(minutes=2)))
        session.commit()
        client.get("/account/password")
        client.get("/account/password")
        assert statements == ["SELECT", "UPDATE", "SELECT"]
    finally:
        event.remove(engine, "before_cursor_execute", note)


def remember_cookie(response) -> str:
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(REMEMBER_COOKIE)]
    assert len(headers) == 1, response.headers.getlist("Set-Cookie")
    return headers[0]


def test_remember_me_sets_our_own_rotating_cookie_not_flask_logins(client, auth):
    auth.create()
    response = login(client, remember=True)
    header = remember_cookie(response)
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Expires=" in header
    assert not any(h.startswith("remember_token") for h in response.headers.getlist("Set-Cookie"))
    first = client.get_cookie(REMEMBER_COOKIE).value
    assert len(first) >= 32
    # The browser restarts: the session cookie is gone, the remember cookie logs in again.
    client.delete_cookie("session")
    assert logged_in(client)
    second = client.get_cookie(REMEMBER_COOKIE).value
    assert second != first
    # A second login gets a different token.
    other = client.application.test_client()
    login(other, remember=True)
    assert other.get_cookie(REMEMBER_COOKIE).value not in (first, second)


def test_remember_me_lasts_remember_days(engine, database_url, tmp_path, session):
    app = make_app(database_url, tmp_path, REMEMBER_DAYS=3)
    client = app.test_client()
    AuthActions(client, session).create()
    login(client, remember=True)
    row = session.scalar(select(RememberToken))
    assert timedelta(days=3) - timedelta(minutes=1) < row.expires_at - utcnow() <= timedelta(days=3)
    session.execute(update(RememberToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    client.delete_cookie("session")
    assert not logged_in(client)
    assert client.get_cookie(REMEMBER_COOKIE) is None


def test_reuse_of_a_rotated_remember_token_is_refused_and_ends_the_family(
    app, client, auth, session, caplog, monkeypatch
):
    monkeypatch.setattr(sessions, "REUSE_GRACE", timedelta(0))
    user = auth.create()
    login(client, remember=True)
    stolen = client.get_cookie(REMEMBER_COOKIE).value
    # The thief uses the stolen token first: it works once, and is rotated.
    thief = app.test_client()
    thief.set_cookie(REMEMBER_COOKIE, stolen)
    assert logged_in(thief)
    # The owner's browser restarts and presents the same (now rotated) token.
    client.delete_cookie("session")
    with caplog.at_level(logging.INFO, logger="cocourse.security"):
        assert not logged_in(client)
    assert not logged_in(thief)  # the whole family ended, the thief's login too
    [reuse] = security_events(caplog, "remember_token_reuse")
    assert reuse["user_id"] == user.id
    assert stolen not in caplog.text


def test_a_rotated_token_sent_twice_at_once_is_refused_without_ending_the_family(app, client, auth):
    auth.create()
    login(client, remember=True)
    token = client.get_cookie(REMEMBER_COOKIE).value
    client.delete_cookie("session")
    assert logged_in(client)
    parallel_tab = app.test_client()
    parallel_tab.set_cookie(REMEMBER_COOKIE, token)
    assert not logged_in(parallel_tab)
    assert logged_in(client)


def test_logout_forgets_the_remember_me_cookie(app, client, auth):
    auth.create()
    login(client, remember=True)
    captured = app.test_client()
    captured.set_cookie(REMEMBER_COOKIE, client.get_cookie(REMEMBER_COOKIE).value)
    auth.logout()
    assert client.get_cookie(REMEMBER_COOKIE) is None
    assert not logged_in(captured)


def test_flask_logins_old_remember_cookie_logs_nobody_in(app, client, auth):
    user = auth.create()
    auth.login()
    legacy = app.test_client()
    # What Flask-Login 0.6 would have set: "<id>|<digest>" signed with the secret key.
    from flask_login.utils import _cookie_digest

    with app.test_request_context():
        value = f"{user.id}|{_cookie_digest(str(user.id))}"
    legacy.set_cookie("remember_token", value)
    assert not logged_in(legacy)


def test_end_all_sessions_for_deactivation(app, client, auth, session):
    user = auth.create()
    auth.login()
    with app.app_context():
        from cocourse.db import get_session

        assert sessions.end_all_sessions(get_session(), user.id) == 1
    assert not logged_in(client)


# --- the security log ---------------------------------------------------------------------


def test_login_events_carry_request_id_address_and_user_but_never_the_secret(client, auth, caplog):
    user = auth.create()
    with caplog.at_level(logging.INFO, logger="cocourse.security"):
        failed = login(client, password="the wrong password entirely")
        unknown = login(client, email="nobody@example.org", password="another wrong one!")
        good = login(client, remember=True)
        auth.logout()
    [fail, miss] = security_events(caplog, "login_failed")
    assert fail["request_id"] == failed.headers["X-Request-Id"]
    assert miss["request_id"] == unknown.headers["X-Request-Id"]
    assert fail["address"] == "127.0.0.1"
    assert fail["email_domain"] == "example.org" and len(fail["email_hash"]) == 16
    assert fail["email_hash"] != miss["email_hash"]
    [ok] = security_events(caplog, "login")
    assert ok["user_id"] == user.id and ok["request_id"] == good.headers["X-Request-Id"]
    [out] = security_events(caplog, "logout")
    assert out["user_id"] == user.id
    text = caplog.text
    for secret in ("the wrong password entirely", "another wrong one!", PASSWORD):
        assert secret not in text
    assert "learner@example.org" not in text and "nobody@example.org" not in text
    assert client.get_cookie("session").value not in text


def test_password_role_and_everywhere_events(app, client, session, caplog):
    admin = AuthActions(client, session)
    boss = admin.create("admin@example.org", Role.ADMIN)
    person = admin.create()
    admin.login("admin@example.org")
    with caplog.at_level(logging.INFO, logger="cocourse.security"):
        page = client.get("/admin/users").get_data(as_text=True)
        client.post(
            f"/admin/users/{person.id}/role",
            data={f"u{person.id}-role": "assessor", f"u{person.id}-csrf_token": csrf_token(page)},
        )
        page = client.get("/account/password").get_data(as_text=True)
        data = {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        client.post("/account/password", data={**data, "csrf_token": csrf_token(page)})
        page = client.get("/account/password").get_data(as_text=True)
        client.post("/account/logout-everywhere", data={"csrf_token": csrf_token(page)})
    [role] = security_events(caplog, "role_changed")
    assert (role["user_id"], role["target_user_id"]) == (boss.id, person.id)
    assert (role["old_role"], role["new_role"]) == ("learner", "assessor")
    [changed] = security_events(caplog, "password_changed")
    assert changed["user_id"] == boss.id
    [everywhere] = security_events(caplog, "logout_everywhere")
    assert everywhere["user_id"] == boss.id and everywhere["sessions_ended"] >= 1
    assert NEW_PASSWORD not in caplog.text


def test_every_response_has_a_request_id(client):
    first, second = client.get("/"), client.get("/login")
    assert len(first.headers["X-Request-Id"]) == 16
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]


def test_throttled_logins_are_logged(engine, database_url, tmp_path, caplog):
    app = make_app(database_url, tmp_path, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute")
    client = app.test_client()
    with caplog.at_level(logging.INFO, logger="cocourse.security"):
        codes = [login(client, password="wrong password 123").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    [throttled] = security_events(caplog, "login_throttled")
    assert throttled["address"] == "127.0.0.1" and throttled["request_id"]


def test_denied_access_to_another_persons_quiz_attempt_is_logged(
    engine, database_url, tmp_path, session, caplog
):
    from .test_quizzes import QUIZ_COURSE, start

    app = make_app(database_url, tmp_path, CONTENT_DIR=str(QUIZ_COURSE))
    client = app.test_client()
    auth = AuthActions(client, session)
    owner = auth.create()
    auth.login()
    attempt_id = start(client)
    auth.logout()
    other = auth.create("other@example.org")
    auth.login("other@example.org")
    with caplog.at_level(logging.INFO, logger="cocourse.security"):
        response = client.get(f"/quiz/attempts/{attempt_id}")
    assert response.status_code == 404
    [denied] = security_events(caplog, "access_denied")
    assert denied["user_id"] == other.id and denied["owner_id"] == owner.id
    assert denied["attempt_id"] == attempt_id
    assert denied["request_id"] == response.headers["X-Request-Id"]


def test_behind_a_trusted_proxy_the_clients_address_is_logged(
    engine, database_url, tmp_path, caplog
):
    forwarded = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9, 198.51.100.7"}
    for hops, expected in [(0, "127.0.0.1"), (1, "198.51.100.7")]:
        client = make_app(database_url, tmp_path, PROXY_HOPS=hops).test_client()
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="cocourse.security"):
            login(client, password="wrong password 123", **forwarded)
        [fail] = security_events(caplog, "login_failed")
        # One trusted proxy: the address it saw, never what the client claimed before it.
        assert fail["address"] == expected


def test_refusals_by_role_and_by_cohort_are_logged(client, auth, session, caplog):
    from cocourse.cohorts import services as cohorts

    learner = auth.create()
    assessor = auth.create("assessor@example.org", Role.ASSESSOR)
    mine, theirs = (cohorts.create_cohort(session, name) for name in ("Mine", "Theirs"))
    cohorts.assign_assessor(session, mine.id, assessor.id)
    cohorts.add_member(session, theirs.id, learner.id)
    auth.login()
    with caplog.at_level(logging.INFO, logger="cocourse.security"):
        assert client.get("/reports/cohorts").status_code == 403
    [role] = security_events(caplog, "access_denied")
    assert role["user_id"] == learner.id and role["reason"] == "role"
    assert role["endpoint"] == "reports.cohort_list" and role["role"] == "learner"
    auth.logout()
    auth.login("assessor@example.org")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="cocourse.security"):
        assert client.get(f"/reports/cohorts/{theirs.id}").status_code == 404
        assert client.get(f"/reports/quizzes?cohort={theirs.id}").status_code == 404
        assert client.get(f"/assessor/learners/{learner.id}").status_code == 404
        assert client.get(f"/reports/cohorts/{mine.id}").status_code == 200
    events = security_events(caplog, "access_denied")
    assert [e["user_id"] for e in events] == [assessor.id] * 3
    assert events[0]["cohort_id"] == theirs.id and events[1]["cohort"] == str(theirs.id)
    assert events[2]["learner_id"] == learner.id


# --- no lockout by others -------------------------------------------------------------------

HOME = {"REMOTE_ADDR": "10.0.0.1"}
ATTACKER = {"REMOTE_ADDR": "10.6.6.6"}
ELSEWHERE = {"REMOTE_ADDR": "10.9.9.9"}


@pytest.fixture
def backoff_app(engine, database_url, tmp_path):
    return make_app(
        database_url,
        tmp_path,
        LOGIN_BACKOFF_AFTER=3,
        LOGIN_BACKOFF_SECONDS=60,
        LOGIN_BACKOFF_MAX_SECONDS=600,
    )


def test_failures_slow_new_addresses_but_never_lock_out_the_owner(backoff_app, session):
    owner, attacker, traveller = (backoff_app.test_client() for _ in range(3))
    AuthActions(owner, session).create()
    assert login(owner, **HOME).status_code == 302  # the owner has logged in from home
    owner.post("/logout", data={"csrf_token": csrf_token(owner.get("/").get_data(as_text=True))})
    codes = [
        login(attacker, password=f"guess number {i}", **ATTACKER).status_code for i in range(3)
    ]
    assert codes == [200, 200, 200]
    # Now new addresses must wait, even with the right password, and the wait is said.
    refused = login(attacker, **ATTACKER)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
    assert b"Wait 60 seconds and try again." in refused.data
    assert login(traveller, **ELSEWHERE).status_code == 429
    # The owner, from an address they logged in from before, is not slowed at all.
    assert login(owner, **HOME).status_code == 302
    # ... and their success clears the count for everyone.
    assert session.scalar(select(LoginThrottle)) is None
    assert login(traveller, **ELSEWHERE).status_code == 302


def test_the_wait_grows_but_always_ends(backoff_app, session):
    attacker = backoff_app.test_client()
    AuthActions(attacker, session).create()
    for i in range(5):
        session.execute(update(LoginThrottle).values(last_failure_at=utcnow() - timedelta(hours=1)))
        session.commit()
        login(attacker, password=f"guess number {i}", **ATTACKER)
    assert session.scalar(select(LoginThrottle.failures)) == 5
    # 3 free failures, then 60 s doubling: the 5th failure asks for 240 s.
    assert b"Wait 240 seconds" in login(attacker, **ATTACKER).data
    session.execute(update(LoginThrottle).values(last_failure_at=utcnow() - timedelta(hours=1)))
    session.commit()
    assert login(attacker, **ATTACKER).status_code == 302


def test_unknown_emails_are_slowed_the_same_way(backoff_app):
    attacker = backoff_app.test_client()
    for i in range(3):
        login(attacker, email="nobody@example.org", password=f"guess number {i}", **ATTACKER)
    assert login(attacker, email="nobody@example.org", **ATTACKER).status_code == 429
