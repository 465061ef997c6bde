"""Accounts: register, log in and out, passwords, CSRF, redirects, rate limits."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cocourse.models import User
from cocourse.web.security import is_safe_next

from .conftest import PASSWORD, csrf_token, make_app


def register(client, **fields):
    token = csrf_token(client.get("/register").get_data(as_text=True))
    data = {
        "name": "Rita Recruit",
        "email": "Rita@Example.org ",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "csrf_token": token,
    }
    data.update(fields)
    return client.post("/register", data=data)


def test_register_creates_a_learner_with_a_scrypt_hash_and_logs_in(client, session):
    response = register(client)
    assert response.status_code == 302
    user = session.scalar(select(User))
    assert (user.email, user.name, user.role) == ("rita@example.org", "Rita Recruit", "learner")
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash
    assert b"Log out" in client.get("/").data


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "not-an-email"}, b"Invalid email address."),
        ({"password": "short", "confirm": "short"}, b"Use at least 10 characters."),
        ({"confirm": "something else entirely"}, b"The passwords do not match."),
        ({"name": ""}, b"This field is required."),
    ],
)
def test_register_rejects_bad_input_with_a_message(client, session, fields, message):
    response = register(client, **fields)
    assert response.status_code == 200
    assert message in response.data
    assert b'aria-invalid="true"' in response.data
    assert session.scalar(select(User)) is None


def test_register_twice_with_one_email(client, session):
    register(client)
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})
    response = register(client, email="rita@example.org")
    assert b"An account with this email already exists." in response.data
    assert len(session.scalars(select(User)).all()) == 1


def test_login_and_logout(client, auth):
    auth.create()
    response = auth.login()
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert b"Learner" in client.get("/").data
    auth.logout()
    assert b"Log in" in client.get("/").data


def test_unknown_email_and_wrong_password_get_the_same_answer(client, auth):
    auth.create()
    wrong = auth.login(password="not the password at all")
    unknown = auth.login(email="nobody@example.org")
    assert wrong.status_code == unknown.status_code == 200
    message = b"That email and password do not match an account."
    assert message in wrong.data and message in unknown.data
    strip = lambda r: r.data.replace(b"nobody@example.org", b"learner@example.org")  # noqa: E731
    assert csrf_token(wrong.get_data(as_text=True))
    assert strip(wrong).split(b"csrf_token")[0] == strip(unknown).split(b"csrf_token")[0]


def test_logout_needs_post_with_csrf(client, auth):
    auth.create()
    auth.login()
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert b"Log out" in client.get("/").data


@pytest.mark.parametrize(
    ("target", "safe"),
    [
        ("/modules/intro", True),
        ("/modules/intro?x=1#y", True),
        ("//evil.example", False),
        ("/\\evil.example", False),
        ("https://evil.example/", False),
        ("javascript:alert(1)", False),
        ("evil.example", False),
        ("/\tevil", False),
        ("", False),
        (None, False),
    ],
)
def test_next_must_be_a_same_site_path(target, safe):
    assert is_safe_next(target) is safe


@pytest.mark.parametrize(
    ("target", "location"), [("/modules/intro", "/modules/intro"), ("//evil.example", "/")]
)
def test_login_follows_only_safe_next(client, auth, target, location):
    auth.create()
    page = client.get(f"/login?next={target}").get_data(as_text=True)
    data = {"email": "learner@example.org", "password": PASSWORD, "csrf_token": csrf_token(page)}
    response = client.post("/login", data={**data, "next": target})
    assert response.headers["Location"] == location


def test_forms_without_csrf_token_are_refused(client, session):
    response = client.post(
        "/register",
        data={"name": "X", "email": "x@example.org", "password": PASSWORD, "confirm": PASSWORD},
    )
    assert response.status_code == 400
    assert b"This form has expired" in response.data
    assert session.scalar(select(User)) is None


def test_change_password(client, auth, session):
    auth.create()
    auth.login()
    page = client.get("/account/password").get_data(as_text=True)
    new = "an entirely new password"
    bad = client.post(
        "/account/password",
        data={
            "current": "wrong one here",
            "password": new,
            "confirm": new,
            "csrf_token": csrf_token(page),
        },
    )
    assert b"Your current password is not correct." in bad.data
    good = client.post(
        "/account/password",
        data={"current": PASSWORD, "password": new, "confirm": new, "csrf_token": csrf_token(page)},
    )
    assert good.status_code == 302
    auth.logout()
    assert auth.login(password=PASSWORD).status_code == 200
    assert auth.login(password=new).status_code == 302


def test_session_cookie_is_httponly_and_samesite_lax(client, auth):
    auth.create()
    response = auth.login()
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_login_is_rate_limited(engine, database_url, tmp_path, session):
    app = make_app(database_url, tmp_path, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    data = {"email": "a@example.org", "password": "wrong password 123", "csrf_token": token}
    codes = [client.post("/login", data=data).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert b"Too many attempts" in client.post("/login", data=data).data
