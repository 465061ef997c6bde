"""The interface languages: catalogs complete and current, and who sees which language."""

from __future__ import annotations

import re
import shutil

import pytest
from sqlalchemy import select

from cocourse.devtools import translations
from cocourse.models import User

from .conftest import CSRF, PASSWORD, csrf_token

PACKAGES = translations.packages()


def lang_of(html: str) -> str:
    found = re.search(r'<html lang="([^"]+)"', html)
    assert found, html[:200]
    return found.group(1)


@pytest.mark.parametrize("package", PACKAGES, ids=[p.name for p in PACKAGES])
def test_every_catalog_is_complete_current_and_compiled(package):
    found = list(translations.problems(package))
    assert not found, "\n".join(found)


def test_no_two_packages_translate_a_message_differently():
    found = list(translations.conflicts())
    assert not found, "\n".join(found)


def test_the_catalog_check_finds_what_is_missing_fuzzy_or_stale(tmp_path, monkeypatch):
    package = tmp_path / "cocourse" / "feature"
    (package / "templates" / "feature").mkdir(parents=True)
    page = package / "templates" / "feature" / "page.html"
    page.write_text('<p>{{ _("Hello") }}</p><p>{{ _("Bye %(name)s", name=n) }}</p>')
    monkeypatch.setattr(translations, "ROOT", tmp_path)
    translations.update(package)
    found = "\n".join(translations.problems(package))
    assert "not translated: 'Hello'" in found
    assert "older than its catalog" in found
    nl = translations.catalog_path(package, "nl")
    text = nl.read_text()
    text = text.replace('msgid "Hello"\nmsgstr ""', 'msgid "Hello"\nmsgstr "Hallo"')
    bye = 'msgid "Bye %(name)s"\nmsgstr '
    text = text.replace(bye + '""', bye + '"Dag %(naam)s"')
    nl.write_text(text)
    shutil.copy(nl, translations.catalog_path(package, "fr"))
    page.write_text('<p>{{ _("Hello") }}</p><p>{{ _("Bye %(name)s", name=n) }}</p>{{ _("New") }}')
    found = "\n".join(translations.problems(package))
    assert "not translated: 'Hello'" not in found
    assert "naam" in found  # a placeholder the code does not give
    assert "not in the catalog (make translations-update): 'New'" in found
    page.write_text('<p>{{ _("Hello!") }}</p>')
    translations.update(package)
    found = "\n".join(translations.problems(package))
    assert "fuzzy, check and clear the flag: 'Hello!'" in found


@pytest.mark.parametrize(
    ("header", "expected", "words"),
    [
        ("nl-BE,nl;q=0.9,en;q=0.5", "nl", ["Inloggen", "Registreren", "Naar de inhoud"]),
        ("fr-BE,fr;q=0.9", "fr", ["Se connecter", "S'inscrire", "Aller au contenu"]),
        ("de-DE,de;q=0.9", "en", ["Log in", "Sign up", "Skip to content"]),
        (";;q=zz,,\x7f, ", "en", ["Log in"]),
        ("", "en", ["Log in"]),
    ],
)
def test_the_browser_language_picks_the_interface(client, header, expected, words):
    response = client.get("/login", headers={"Accept-Language": header})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert lang_of(html) == expected
    for word in words:
        assert word in html


def test_the_default_language_is_a_setting(engine, database_url, tmp_path):
    from .conftest import make_app

    client = make_app(database_url, tmp_path, DEFAULT_LANGUAGE="fr").test_client()
    assert lang_of(client.get("/login").get_data(as_text=True)) == "fr"
    assert lang_of(client.get("/login", headers={"Accept-Language": "nl"}).get_data(True)) == "nl"


def test_an_unknown_default_language_stops_the_start(database_url, tmp_path):
    from cocourse.config import ConfigError

    from .conftest import make_app

    with pytest.raises(ConfigError, match="DEFAULT_LANGUAGE"):
        make_app(database_url, tmp_path, DEFAULT_LANGUAGE="xx")


def _switch(client, language, next_path="/login"):
    """The footer's form, as the page shows it: with a CSRF token only when logged in."""
    form = {"language": language, "next": next_path}
    if token := CSRF.search(client.get("/").get_data(as_text=True)):
        form["csrf_token"] = token.group(1)
    return client.post("/language", data=form)


def test_a_visitor_s_pages_carry_no_secret_and_set_no_cookie(client):
    response = client.get("/")
    assert "csrf_token" not in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers
    assert _switch(client, "nl").status_code == 302  # no token needed to pick a language
    assert lang_of(client.get("/login").get_data(as_text=True)) == "nl"


def test_a_logged_in_person_s_switch_needs_the_token(client, auth, session):
    auth.create()
    auth.login()
    client.post("/language", data={"language": "fr", "next": "/"})  # no token: ignored
    user = session.scalar(select(User).where(User.email == "learner@example.org"))
    assert user.language != "fr"
    session.rollback()  # end the read transaction, to see the switch below
    assert _switch(client, "fr").status_code == 302
    session.refresh(user)
    assert user.language == "fr"


def test_the_switcher_keeps_the_choice_before_and_after_logging_in(client, auth, session):
    auth.create()
    response = _switch(client, "fr", "/modules/intro?x=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/modules/intro?x=1"
    html = client.get("/login", headers={"Accept-Language": "nl"}).get_data(as_text=True)
    assert lang_of(html) == "fr"  # the choice wins over the browser
    auth.login()
    assert lang_of(client.get("/").get_data(as_text=True)) == "fr"
    _switch(client, "nl")
    user = session.scalar(select(User).where(User.email == "learner@example.org"))
    session.refresh(user)
    assert user.language == "nl"


def test_the_setting_follows_the_person_to_another_browser(app, auth, session):
    auth.create()
    auth.login()
    _switch(auth.client, "nl")
    other = app.test_client()
    token = csrf_token(other.get("/login").get_data(as_text=True))
    other.post(
        "/login",
        data={"csrf_token": token, "email": "learner@example.org", "password": PASSWORD},
    )
    assert lang_of(other.get("/", headers={"Accept-Language": "fr"}).get_data(True)) == "nl"


@pytest.mark.parametrize("language", ["de", "", "nl'><script>", "x" * 5000])
def test_the_switcher_ignores_what_it_does_not_ship(client, language):
    response = _switch(client, language)
    assert response.status_code == 302
    assert lang_of(client.get("/login").get_data(as_text=True)) == "en"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_the_switcher_only_goes_back_to_this_site(client, target):
    response = _switch(client, "nl", target)
    assert response.headers["Location"] == "/"


def test_a_new_account_keeps_the_language_it_was_made_in(client, session):
    page = client.get("/register", headers={"Accept-Language": "nl"}).get_data(as_text=True)
    response = client.post(
        "/register",
        headers={"Accept-Language": "nl"},
        data={
            "csrf_token": csrf_token(page),
            "name": "Lieve",
            "email": "lieve@example.org",
            "password": "een lang genoeg wachtwoord",
            "confirm": "een lang genoeg wachtwoord",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    user = session.scalar(select(User).where(User.email == "lieve@example.org"))
    assert user.language == "nl"


def test_error_pages_speak_the_language(client):
    html = client.get("/no-such-page", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Page introuvable" in html
    assert "Il n'y a pas de page à cette adresse" in html


def test_messages_outside_a_request_are_in_the_default_language(engine, database_url, tmp_path):
    from flask_babel import gettext

    from .conftest import make_app

    with make_app(database_url, tmp_path, DEFAULT_LANGUAGE="nl").app_context():
        assert gettext("Log in") == "Inloggen"
    with make_app(database_url, tmp_path).app_context():
        assert gettext("Log in") == "Log in"
