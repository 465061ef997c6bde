"""New passwords: not one of the most common ones, nothing from the person's email or name."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cocourse.accounts import services as accounts
from cocourse.accounts.passwords import COMMON_FILE, common_passwords, password_problem
from cocourse.models import User

from .conftest import PASSWORD, csrf_token

COMMON = "Password1234"  # "password1234" is on the list; case does not matter
COMMON_MESSAGE = b"one of the most commonly used passwords"


def test_the_shipped_list_is_large_lowercase_and_documented():
    words = COMMON_FILE.read_text(encoding="utf-8").splitlines()
    assert len(words) >= 10_000
    assert all(word == word.lower() and word.strip() == word and word for word in words)
    assert len(set(words)) == len(words)
    assert {"123456", "password", "qwertyuiop", "password1234"} <= common_passwords()
    readme = (COMMON_FILE.parent / "README.md").read_text(encoding="utf-8")
    assert "zxcvbn" in readme and "MIT" in readme
    assert (COMMON_FILE.parent / "LICENSE-zxcvbn.txt").is_file()


@pytest.mark.parametrize(
    ("password", "email", "name", "reason"),
    [
        ("Password1234", "x@example.org", "X", "most commonly used"),
        ("QWERTYUIOP", "x@example.org", "X", "most commonly used"),
        ("my rita.recruit account", "rita.recruit@example.org", "R", "email address"),
        ("love from Henrietta!", "h@example.org", "Henrietta Smith-Jones", "your name"),
        ("jones forever and ever", "h@example.org", "Henrietta Smith-Jones", "your name"),
        ("a long enough password", "learner@example.org", "Learner", None),
        ("alia said hello world", "al@example.org", "Al Li", None),  # parts under 4 letters
    ],
)
def test_password_problem(password, email, name, reason):
    problem = password_problem(password, email, name)
    if reason is None:
        assert problem is None
    else:
        assert problem is not None and reason in problem


def register(client, password, name="Rita Recruit", email="rita@example.org"):
    token = csrf_token(client.get("/register").get_data(as_text=True))
    data = {"name": name, "email": email, "password": password, "confirm": password}
    return client.post("/register", data={**data, "csrf_token": token})


@pytest.mark.parametrize(
    ("password", "message"),
    [
        (COMMON, COMMON_MESSAGE),
        ("recruiting rita recruit", b"The password contains your name."),
        ("ritaexample.org hello", b"The password contains your email address."),
    ],
)
def test_register_refuses_common_and_personal_passwords_and_says_why(
    client, session, password, message
):
    response = register(client, password, email="ritaexample@example.org")
    assert response.status_code == 200
    assert message in response.data
    assert b'aria-invalid="true"' in response.data
    assert session.scalar(select(User)) is None


def test_register_accepts_a_good_password(client, session):
    assert register(client, "granite kettle orbit").status_code == 302
    assert session.scalar(select(User.email)) == "rita@example.org"


def test_change_password_refuses_common_and_personal_passwords(client, auth):
    auth.create()  # Learner, learner@example.org
    auth.login()
    for new, message in [
        (COMMON, COMMON_MESSAGE),
        ("still the learner here", b"The password contains your"),
    ]:
        page = client.get("/account/password").get_data(as_text=True)
        response = client.post(
            "/account/password",
            data={
                "current": PASSWORD,
                "password": new,
                "confirm": new,
                "csrf_token": csrf_token(page),
            },
        )
        assert response.status_code == 200
        assert message in response.data
    auth.logout()
    assert auth.login().status_code == 302  # the old password still works


def test_create_user_refuses_common_passwords(session):
    with pytest.raises(accounts.AccountError, match="most commonly used"):
        accounts.create_user(session, "a@example.org", "Admin Person", COMMON)
    assert session.scalar(select(User)) is None
