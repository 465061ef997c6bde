"""OpenID Connect sign-in against a real provider (oidc-provider on Node, tests/oidc/)."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from cocourse.accounts.services import create_user
from cocourse.accounts.sessions import SESSION_KEY
from cocourse.models import Role, User, utcnow
from cocourse.sso.settings import SettingsError

from .conftest import PASSWORD, csrf_token, make_app
from .oidc import authorize, provider, settings

CALLBACK = "http://localhost/login/sso/callback"


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One provider for the module, with the test client's callback registered."""
    log = tmp_path_factory.mktemp("oidc") / "provider.log"
    with provider([CALLBACK], log) as url:
        yield url


@pytest.fixture
def sso_app(engine, database_url, tmp_path, issuer) -> Callable[..., Flask]:
    """An app signing in with the test provider; keyword arguments are sso settings."""

    def build(**extra: Any) -> Flask:
        return make_app(database_url, tmp_path, PLUGIN_SETTINGS=settings(issuer, **extra))

    return build


@pytest.fixture
def app(sso_app) -> Flask:
    return sso_app()


def events(caplog, name: str) -> list[dict[str, Any]]:
    found = [json.loads(r.getMessage()) for r in caplog.records if r.name == "cocourse.security"]
    return [e for e in found if e["event"] == name]


def start(client: FlaskClient, next: str | None = None) -> str:
    """Open "Sign in with ..." and return the provider URL it sends the browser to."""
    response = client.get("/login/sso" + (f"?{urlencode({'next': next})}" if next else ""))
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.location


def back(client: FlaskClient, url: str):
    """Follow the provider's redirect back into the app."""
    assert url.startswith(CALLBACK), url
    return client.get(url.removeprefix("http://localhost"))


def sign_in(client: FlaskClient, issuer: str, account: str, next: str | None = None):
    return back(client, authorize(issuer, start(client, next), account))


def logged_in(client: FlaskClient) -> bool:
    return client.get("/account/password").status_code == 200


def count_users(session) -> int:
    return session.scalar(select(func.count()).select_from(User))


# -- off unless configured ------------------------------------------------------------------


def test_without_an_issuer_nothing_of_sso_shows(engine, database_url, tmp_path):
    client = make_app(database_url, tmp_path).test_client()
    page = client.get("/login").get_data(as_text=True)
    assert "Sign in with" not in page
    assert 'name="password"' in page
    assert client.get("/login/sso").status_code == 404


def test_an_issuer_without_a_client_id_stops_the_app(engine, database_url, tmp_path):
    with pytest.raises(SettingsError, match="client_id"):
        make_app(database_url, tmp_path, PLUGIN_SETTINGS={"sso": {"issuer": "https://id.x"}})
    with pytest.raises(SettingsError, match="roles"):
        make_app(
            database_url,
            tmp_path,
            PLUGIN_SETTINGS={
                "sso": {"issuer": "https://id.x", "client_id": "c", "roles": {"a": "boss"}}
            },
        )


def test_the_login_page_offers_the_organization_and_keeps_next(client):
    page = client.get("/login?next=/modules").get_data(as_text=True)
    assert "Sign in with Example Org" in page
    assert "/login/sso?next=/modules" in page
    assert 'name="password"' in page  # password login stays on by default
    unsafe = client.get("/login?next=//evil.example").get_data(as_text=True)
    assert 'href="/login/sso"' in unsafe and "/login/sso?next=" not in unsafe


# -- the flow -------------------------------------------------------------------------------


def test_the_request_uses_pkce_state_and_nonce(client, issuer):
    query = parse_qs(urlsplit(start(client)).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert len(query["state"][0]) >= 20 and len(query["nonce"][0]) >= 40
    assert query["redirect_uri"] == [CALLBACK]
    assert set(query["scope"][0].split()) == {"openid", "email", "profile", "groups"}
    other = parse_qs(urlsplit(start(client)).query)
    assert other["state"] != query["state"] and other["nonce"] != query["nonce"]


def test_a_verified_person_gets_an_account_and_lands_where_they_wanted(
    client, issuer, session, caplog
):
    with caplog.at_level(logging.INFO, logger="cocourse.security"):
        response = sign_in(client, issuer, "alice", next="/dashboard")
    assert response.status_code == 302
    assert response.location == "/dashboard"
    assert logged_in(client)
    user = session.scalar(select(User).where(User.email == "alice@example.org"))
    assert user.name == "Alice Example" and user.role == Role.LEARNER.value
    assert user.password_hash.startswith("!")  # no password works for it
    [login] = events(caplog, "login")
    assert login["method"] == "oidc" and login["user_id"] == user.id
    assert login["account_created"] is True
    with client.session_transaction() as flask_session:
        assert SESSION_KEY in flask_session
        assert not [k for k in flask_session if k.startswith("_state_")]


def test_an_existing_account_is_linked_by_email_in_a_renewed_session(app, client, issuer, session):
    user = create_user(session, "Alice@Example.org", "Alice", PASSWORD)
    with client.session_transaction() as flask_session:
        flask_session["planted"] = "by someone else"
    response = sign_in(client, issuer, "alice", next="//evil.example/")
    assert response.location == "/"  # an unsafe next is not followed
    assert logged_in(client)
    assert count_users(session) == 1
    with client.session_transaction() as flask_session:
        assert "planted" not in flask_session
        assert flask_session["_user_id"] == str(user.id)
    session.refresh(user)
    assert not user.password_hash.startswith("!")  # the password still works too


def test_roles_follow_the_claim_on_every_sign_in(sso_app, issuer, session, caplog):
    app = sso_app(roles_claim="groups", roles={"cocourse-admins": "admin", "trainers": "assessor"})
    create_user(session, "trainer@example.org", "Tess", PASSWORD)  # a learner until now
    with caplog.at_level(logging.INFO, logger="cocourse.security"):
        sign_in(app.test_client(), issuer, "trainer")
        sign_in(app.test_client(), issuer, "root")
        sign_in(app.test_client(), issuer, "alice")
    roles = {email: role for email, role in session.execute(select(User.email, User.role))}
    assert roles == {
        "trainer@example.org": "assessor",
        "root@example.org": "admin",
        "alice@example.org": "learner",
    }
    [changed] = events(caplog, "role_changed")
    assert changed["old_role"] == "learner" and changed["new_role"] == "assessor"
    assert changed["source"] == "oidc"


def test_without_a_mapping_the_role_is_left_alone(client, issuer, session):
    user = create_user(session, "root@example.org", "Root", PASSWORD, role=Role.ASSESSOR)
    sign_in(client, issuer, "root")
    session.refresh(user)
    assert user.role == Role.ASSESSOR.value


# -- refusals: a clear page, a log line, no account created or changed ----------------------


def refused(response, caplog, reason: str, status: int) -> str:
    page = response.get_data(as_text=True)
    assert response.status_code == status, page
    assert "Signing in did not work" in page
    assert [e["reason"] for e in events(caplog, "sso_failed")] == [reason]
    return page


@pytest.mark.parametrize(
    ("account", "reason", "words"),
    [("mallory", "unverified_email", "not verified"), ("nomail", "missing_email", "email")],
)
def test_an_unverified_or_missing_email_is_refused(
    client, issuer, session, caplog, account, reason, words
):
    with caplog.at_level(logging.INFO, logger="cocourse.security"):
        response = sign_in(client, issuer, account)
    assert words in refused(response, caplog, reason, 403)
    assert count_users(session) == 0
    assert not logged_in(client)


def test_an_unverified_email_does_not_take_over_an_existing_account(
    client, issuer, session, caplog
):
    user = create_user(session, "mallory@example.org", "Mallory", PASSWORD)
    with caplog.at_level(logging.INFO, logger="cocourse.security"):
        response = sign_in(client, issuer, "mallory")
    refused(response, caplog, "unverified_email", 403)
    assert not logged_in(client)
    session.refresh(user)
    assert user.role == Role.LEARNER.value


def test_a_deactivated_account_is_refused(sso_app, issuer, session, caplog):
    app = sso_app(roles_claim="groups", roles={"cocourse-admins": "admin"})
    user = create_user(session, "root@example.org", "Root", PASSWORD)
    user.deactivated_at = utcnow()
    session.commit()
    client = app.test_client()
    with caplog.at_level(logging.INFO, logger="cocourse.security"):
        response = sign_in(client, issuer, "root")
    assert "deactivated" in refused(response, caplog, "deactivated", 403)
    assert not logged_in(client)
    session.refresh(user)
    assert user.role == Role.LEARNER.value  # the claim did not make it admin


def test_a_tampered_state_is_refused(client, issuer, session, caplog):
    url = authorize(issuer, start(client), "alice")
    tampered = url.replace("state=", "state=x")
    with caplog.at_level(logging.INFO, logger="cocourse.security"):
        response = back(client, tampered)
    refused(response, caplog, "state_mismatch", 400)
    assert count_users(session) == 0 and not logged_in(client)


def test_a_callback_this_browser_did_not_start_is_refused(app, client, issuer, session, caplog):
    url = authorize(issuer, start(app.test_client()), "alice")  # another browser's login
    with caplog.at_level(logging.INFO, logger="cocourse.security"):
        response = back(client, url)
    refused(response, caplog, "state_mismatch", 400)
    assert count_users(session) == 0


def test_a_code_cannot_be_used_twice(app, issuer, session, caplog):
    first = app.test_client()
    url = authorize(issuer, start(first), "alice")
    assert back(first, url).status_code == 302 and logged_in(first)
    # A second browser starts its own login, and the old code is slipped into its callback.
    second = app.test_client()
    state = parse_qs(urlsplit(start(second)).query)["state"][0]
    code = parse_qs(urlsplit(url).query)["code"][0]
    replay = f"{CALLBACK}?{urlencode({'code': code, 'state': state, 'iss': issuer})}"
    with caplog.at_level(logging.INFO, logger="cocourse.security"):
        response = back(second, replay)
    refused(response, caplog, "provider_error", 502)
    assert events(caplog, "sso_failed")[0]["error"] == "invalid_grant"
    assert not logged_in(second)
    assert count_users(session) == 1


def test_a_wrong_nonce_in_the_id_token_is_refused(client, issuer, session, caplog):
    url = start(client)
    with client.session_transaction() as flask_session:
        [key] = [k for k in flask_session if k.startswith("_state_sso_")]
        pending = flask_session[key]
        pending["data"]["nonce"] = "not-the-nonce-that-was-sent"
        flask_session[key] = pending
    with caplog.at_level(logging.INFO, logger="cocourse.security"):
        response = back(client, authorize(issuer, url, "alice"))
    refused(response, caplog, "id_token_invalid", 502)
    assert "nonce" in events(caplog, "sso_failed")[0]["detail"]
    assert count_users(session) == 0 and not logged_in(client)


def test_an_error_answer_from_the_provider_is_shown(client, issuer, session, caplog):
    url = authorize(issuer, start(client), "alice", cancel=True)
    with caplog.at_level(logging.INFO, logger="cocourse.security"):
        response = back(client, url)
    assert "cancelled" in refused(response, caplog, "provider_error", 400)
    assert events(caplog, "sso_failed")[0]["error"] == "access_denied"
    assert count_users(session) == 0


def test_a_provider_that_is_down_gets_a_clear_page(engine, database_url, tmp_path, caplog):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again before the app asks it
    app = make_app(database_url, tmp_path, PLUGIN_SETTINGS=settings(f"http://127.0.0.1:{port}"))
    client = app.test_client()
    assert "Sign in with Example Org" in client.get("/login").get_data(as_text=True)
    with caplog.at_level(logging.INFO, logger="cocourse.security"):
        response = client.get("/login/sso")
    assert "could not reach Example Org" in refused(response, caplog, "provider_unreachable", 503)


def test_a_provider_that_goes_down_during_the_sign_in_gets_a_clear_page(
    engine, database_url, tmp_path, session, caplog
):
    with provider([CALLBACK], tmp_path / "second-provider.log") as second:
        app = make_app(database_url, tmp_path, PLUGIN_SETTINGS=settings(second))
        client = app.test_client()
        url = authorize(second, start(client), "alice")
    # The provider stopped before the app could exchange the code.
    with caplog.at_level(logging.INFO, logger="cocourse.security"):
        response = back(client, url)
    refused(response, caplog, "provider_unreachable", 503)
    assert count_users(session) == 0 and not logged_in(client)


def test_a_discovery_document_for_another_issuer_is_refused(
    engine, database_url, tmp_path, issuer, caplog
):
    app = make_app(database_url, tmp_path, PLUGIN_SETTINGS=settings(issuer + "/"))
    app.extensions["cocourse.sso.client"].server_metadata["issuer"] = "https://evil.example"
    app.extensions["cocourse.sso.client"].server_metadata["_loaded_at"] = 0
    with caplog.at_level(logging.INFO, logger="cocourse.security"):
        response = app.test_client().get("/login/sso")
    refused(response, caplog, "issuer_mismatch", 502)


# -- password login turned off --------------------------------------------------------------


def post_login(client: FlaskClient, email: str, path: str = "/login"):
    token = csrf_token(client.get(path).get_data(as_text=True))
    return client.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD})


def test_password_login_off_hides_the_form_and_refuses_all_but_break_glass_admins(
    sso_app, issuer, session, caplog
):
    app = sso_app(password_login=False, break_glass=["root@example.org", "alice@example.org"])
    create_user(session, "root@example.org", "Root", PASSWORD, role=Role.ADMIN)
    create_user(session, "alice@example.org", "Alice", PASSWORD)  # listed, but not an admin
    create_user(session, "bob@example.org", "Bob", PASSWORD)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert "Sign in with Example Org" in page
    assert 'name="password"' not in page and "Create an account" not in page
    with caplog.at_level(logging.INFO, logger="cocourse.security"):
        for email in ("bob@example.org", "alice@example.org"):
            response = post_login(client, email, "/login?password=1")
            assert response.status_code == 403
            assert not logged_in(client)
        assert client.get("/register").status_code == 403
        if "accounts_recovery.forgot" in app.view_functions:  # password reset is there
            assert client.get("/account/forgot").status_code == 403
    assert len(events(caplog, "login_refused")) >= 3
    assert 'name="password"' in client.get("/login?password=1").get_data(as_text=True)
    token = csrf_token(client.get("/login?password=1").get_data(as_text=True))
    mistyped = {"csrf_token": token, "email": "root@example.org", "password": "wrong password"}
    again = client.post("/login", data=mistyped).get_data(as_text=True)
    assert "do not match" in again and 'name="password"' in again
    response = post_login(client, "root@example.org", "/login?password=1")
    assert response.status_code == 302 and logged_in(client)
    # Signing in with the provider still works for everyone.
    other = app.test_client()
    assert sign_in(other, issuer, "alice").status_code == 302 and logged_in(other)


def test_the_security_log_never_holds_tokens(client, issuer, caplog):
    with caplog.at_level(logging.DEBUG, logger="cocourse.security"):
        url = authorize(issuer, start(client), "alice")
        back(client, url)
    code = parse_qs(urlsplit(url).query)["code"][0]
    assert code not in caplog.text


def test_the_provider_script_is_ours(issuer):
    assert Path(__file__).parent.joinpath("oidc", "provider.mjs").is_file()


def test_every_role_can_be_mapped_and_the_strongest_wins():
    from cocourse.models import Role
    from cocourse.sso.services import mapped_role
    from cocourse.sso.settings import SsoSettings

    every = {role.value: role for role in Role}
    settings = SsoSettings(
        issuer="https://id.example.org",
        client_id="c",
        client_secret="",
        scopes="openid",
        name="x",
        roles_claim="groups",
        roles=every,
        password_login=True,
        break_glass=frozenset(),
        timeout_seconds=10,
    )
    for role in Role:  # each one alone
        assert mapped_role({"groups": [role.value]}, settings) == role
    assert mapped_role({"groups": ["sponsor", "author", "learner"]}, settings) == Role.AUTHOR
    assert mapped_role({"groups": list(every)}, settings) == Role.ADMIN
