"""The pages of single sign-on, LTI and the learning record store speak Dutch and French."""

from __future__ import annotations

import html as entities
import re
import socket
from typing import Any

import pytest
from flask import Flask, render_template
from sqlalchemy import update

from cocourse.models import LtiPlatform, User
from cocourse.web.course import course
from cocourse.web.forms import ActionForm

from .conftest import admin_client_of, csrf_token, make_app

LANGUAGES = ["nl", "fr"]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again before the app asks it


def lang_of(html: str) -> str | None:
    found = re.search(r'<html lang="([^"]+)"', html)
    return found.group(1) if found else None


def page(client: Any, path: str, language: str, status: int = 200) -> str:
    response = client.get(path, headers={"Accept-Language": language})
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    html = response.get_data(as_text=True)
    assert lang_of(html) == language
    return entities.unescape(html)


def speaking(app: Flask, session: Any, language: str) -> Any:
    """An admin client whose account is set to `language`."""
    email = f"boss-{language}@example.org"
    client = admin_client_of(app, session, email)
    session.execute(update(User).where(User.email == email).values(language=language))
    session.commit()
    return client


def sso_app(database_url: str, tmp_path: Any, **extra: Any) -> Flask:
    """SSO with a provider that is not there (the failure page shows at once)."""
    settings = {
        "issuer": f"http://127.0.0.1:{closed_port()}",
        "client_id": "cocourse",
        "client_secret": "secret",
        **extra,
    }
    return make_app(database_url, tmp_path, PLUGIN_SETTINGS={"sso": settings})


SSO_WORDS = {
    "nl": ("Inloggen met Example Org", "Inloggen is niet gelukt", "We konden de inlogdienst"),
    "fr": ("Se connecter avec Example Org", "La connexion n'a pas abouti", "Nous n'avons pas pu"),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_sso_button_and_failure_page(engine, database_url, tmp_path, language):
    client = sso_app(database_url, tmp_path, name="Example Org").test_client()
    button, failed, unreachable = SSO_WORDS[language]
    assert button in page(client, "/login", language)
    html = page(client, "/login/sso", language, 503)
    assert failed in html and unreachable in html and "Example Org" in html
    assert "Signing in did not work" not in html


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("nl", ["Inloggen met je organisatie", "Hier worden geen wachtwoorden gebruikt"]),
        ("fr", ["Se connecter avec votre organisation", "Aucun mot de passe"]),
    ],
)
def test_sso_without_a_name_and_without_passwords(engine, database_url, tmp_path, language, words):
    client = sso_app(database_url, tmp_path, password_login=False).test_client()
    html = page(client, "/register", language, 403)
    assert all(word in html for word in words)
    assert "Sign in with" not in html


LTI_WORDS = {
    "nl": ["Leerplatforms", "Geregistreerde platforms", "Naam die mensen te zien krijgen"],
    "fr": ["Plateformes d'apprentissage", "Plateformes enregistrées", "Nom affiché"],
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_lti_admin_page(app, session, language):
    session.add(
        LtiPlatform(
            name="School Moodle",
            issuer="https://moodle.example.org",
            client_id="client-1",
            auth_login_url="https://moodle.example.org/auth",
            auth_token_url="https://moodle.example.org/token",
            key_set_url="https://moodle.example.org/jwks",
            deployments="dep-1",
        )
    )
    session.commit()
    admin = speaking(app, session, language)
    html = page(admin, "/admin/lti", language)
    assert all(word in html for word in LTI_WORDS[language])
    assert "School Moodle" in html and "Registered platforms" not in html
    form = {"csrf_token": csrf_token(html), "name": "X", "key_set_url": "javascript:x"}
    bad = entities.unescape(admin.post("/admin/lti/platforms", data=form).get_data(as_text=True))
    assert lang_of(bad) == language
    assert {"nl": "Geef het volledige adres", "fr": "Indiquez l'adresse"}[language] in bad


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("nl", ["cocourse kon niet worden geopend", "Dit leerplatform is niet geregistreerd"]),
        ("fr", ["Impossible d'ouvrir cocourse", "Cette plateforme d'apprentissage"]),
    ],
)
def test_lti_refused_login_page(client, language, words):
    html = page(client, "/lti/login?iss=https://unknown.example.org", language, 400)
    assert all(word in html for word in words)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("nl", ["cocourse-inhoud toevoegen", "Toevoegen aan de cursus", "2 items toevoegen"]),
        ("fr", ["Ajouter du contenu cocourse", "Ajouter au cours", "Ajout de 2 éléments"]),
    ],
)
def test_lti_deep_linking_pages(app, language, words):
    with app.test_request_context("/", headers={"Accept-Language": language}):
        picker = render_template(
            "lti/deep_link.html",
            tracks=course().tracks,
            platform=None,
            title="",
            form=ActionForm(),
            error=None,
        )
        back = render_template(
            "lti/deep_link_return.html",
            jwt="x",
            return_url="https://p.test",
            count=2,
            platform=None,
        )
    assert lang_of(picker) == language and lang_of(back) == language
    assert all(word in entities.unescape(picker + back) for word in words)


LRS_WORDS = {
    "nl": ["Statements gaan elke minuut naar", "Nu verzenden", "wacht"],
    "fr": ["Les déclarations sont envoyées", "Envoyer maintenant", "en attente"],
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_lrs_status_panel_and_send_now(engine, database_url, tmp_path, session, language):
    endpoint = f"http://127.0.0.1:{closed_port()}/xAPI/"
    app = make_app(database_url, tmp_path, PLUGIN_SETTINGS={"lrs": {"endpoint": endpoint}})
    admin = speaking(app, session, language)
    html = page(admin, "/admin/users", language)
    assert all(word in html for word in LRS_WORDS[language])
    assert "every minute" not in html
    sent = admin.post("/admin/lrs/send", data={"csrf_token": csrf_token(html)})
    assert sent.status_code == 302
    after = page(admin, "/admin/users", language)
    assert {"nl": "verzonden", "fr": "envoy"}[language] in after
