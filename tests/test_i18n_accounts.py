"""Accounts and mail speak Dutch and French: their pages, form errors, flashes and emails."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from cocourse.models import MailMessage, Role, User

from .conftest import PASSWORD, admin_client_of, csrf_token
from .conftest import page_in as page

NL = {"Accept-Language": "nl"}
FR = {"Accept-Language": "fr"}
HEADERS = {"nl": NL, "fr": FR}
MONTHS = {
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
}


def post(client, path, data, language, form_page=None, follow=False):
    token = csrf_token(page(client, form_page or path, language))
    return client.post(
        path,
        data={**data, "csrf_token": token},
        headers=HEADERS[language],
        follow_redirects=follow,
    )


def mails(session, to):
    session.rollback()
    rows = list(
        session.scalars(
            select(MailMessage).where(MailMessage.to_address == to).order_by(MailMessage.id)
        )
    )
    session.rollback()
    return rows


def imported(session, email="bea@example.org", language=None):
    """A person added by an import: no password yet, to be invited."""
    from cocourse.cohorts.people import unusable_password

    user = User(
        email=email,
        name="Bea",
        password_hash=unusable_password(),
        role="learner",
        language=language,
    )
    session.add(user)
    session.commit()
    return user


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "nl",
            ["Wachtwoord vergeten?", "Ingelogd blijven op dit apparaat", "Maak een account aan"],
        ),
        ("fr", ["Mot de passe oublié ?", "Rester connecté sur cet appareil", "Créez un compte"]),
    ],
)
def test_the_login_page(client, language, words):
    html = page(client, "/login", language)
    for word in words:
        assert word in html
    assert "Forgot your password?" not in html


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("nl", "Dat e-mailadres en wachtwoord horen niet bij een account."),
        ("fr", "Cet e-mail et ce mot de passe ne correspondent à aucun compte."),
    ],
)
def test_a_failed_login_says_so_in_the_language(client, auth, language, words):
    auth.create()
    response = post(
        client, "/login", {"email": "learner@example.org", "password": "wrong one"}, language
    )
    assert words in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("nl", ["Maak een account aan", "Herhaal het wachtwoord", "Minstens 10 tekens."]),
        ("fr", ["Créer un compte", "Répétez le mot de passe", "Au moins 10 caractères."]),
    ],
)
def test_the_sign_up_page_and_its_errors(client, language, words):
    html = page(client, "/register", language)
    for word in words:
        assert word in html
    response = post(
        client,
        "/register",
        {"name": "Lieve", "email": "lieve@example.org", "password": "short", "confirm": "other"},
        language,
    )
    html = response.get_data(as_text=True)
    expected = {
        "nl": ["Gebruik minstens 10 tekens.", "De wachtwoorden komen niet overeen."],
        "fr": ["Utilisez au moins 10 caractères.", "Les mots de passe ne correspondent pas."],
    }[language]
    for word in expected:
        assert word in html


@pytest.mark.parametrize(
    ("language", "words", "wrong"),
    [
        ("nl", ["Je wachtwoord wijzigen", "Overal uitloggen"], "Je huidige wachtwoord klopt niet."),
        (
            "fr",
            ["Changer votre mot de passe", "Se déconnecter partout"],
            "Votre mot de passe actuel n'est pas correct.",
        ),
    ],
)
def test_the_password_change_page(client, auth, language, words, wrong):
    auth.create()
    auth.login()
    html = page(client, "/account/password", language)
    for word in words:
        assert word in html
    new = "a completely different sentence"
    response = post(
        client,
        "/account/password",
        {"current": "not my password", "password": new, "confirm": new},
        language,
    )
    html = response.get_data(as_text=True)
    # The wrong current password is shown at its own field, whatever the language.
    assert re.search(r'id="current-error">' + re.escape(wrong.replace("'", "&#39;")), html)


@pytest.mark.parametrize(
    ("language", "words", "flash"),
    [
        ("nl", ["Wachtwoord vergeten?", "Stuur me een link"], "De link werkt 2 uur."),
        ("fr", ["Mot de passe oublié ?", "Envoyez-moi un lien"], "Le lien est valable 2 heures."),
    ],
)
def test_the_password_reset_request(client, auth, session, language, words, flash):
    auth.create("ann@example.org")
    html = page(client, "/account/forgot", language)
    for word in words:
        assert word in html
    response = post(client, "/account/forgot", {"email": "ann@example.org"}, language, follow=True)
    assert flash in response.get_data(as_text=True)
    [message] = mails(session, "ann@example.org")
    subject = {"nl": "Stel je wachtwoord voor", "fr": "Réinitialisez votre mot de passe"}[language]
    assert message.subject.startswith(subject)
    assert f'<html lang="{language}">' in message.html_body
    assert any(month in message.text_body for month in MONTHS[language].split())


@pytest.mark.parametrize(
    ("language", "subject", "words"),
    [
        (
            "nl",
            "Je bent uitgenodigd bij cocourse",
            [
                "Hallo Bea,",
                "Boss nodigt je uit om te leren bij cocourse.",
                "De link werkt één keer",
            ],
        ),
        (
            "fr",
            "Vous êtes invité à rejoindre cocourse",
            ["Bonjour Bea,", "Boss vous invite", "Le lien ne fonctionne qu'une fois"],
        ),
    ],
)
def test_an_invitation_email_and_its_page(app, session, language, subject, words):
    admin = admin_client_of(app, session)
    bea = imported(session)
    html = page(admin, f"/admin/users/{bea.id}", language)
    invite = {"nl": "Stuur een uitnodiging", "fr": "Envoyer une invitation"}[language]
    assert invite in html
    response = post(admin, f"/admin/users/{bea.id}/invite", {}, language, f"/admin/users/{bea.id}")
    assert response.status_code == 302
    flash = {"nl": "Een uitnodiging is onderweg", "fr": "Une invitation a été envoyée"}[language]
    assert flash in page(admin, response.headers["Location"], language)
    [message] = mails(session, "bea@example.org")
    assert message.subject == subject
    for word in words:
        assert word in message.text_body
    assert f'<html lang="{language}">' in message.html_body
    link = re.search(r"http://localhost(/account/invitation/[\w-]+)", message.text_body).group(1)
    visitor = app.test_client()
    html = page(visitor, link, language)
    expected = {
        "nl": ["Welkom, Bea", "Wachtwoord instellen en beginnen"],
        "fr": ["Bienvenue, Bea", "Définir le mot de passe et commencer"],
    }[language]
    for word in expected:
        assert word in html


def test_an_email_speaks_its_recipients_language(app, session):
    admin = admin_client_of(app, session)
    bea = imported(session, language="fr")
    post(admin, f"/admin/users/{bea.id}/invite", {}, "nl", f"/admin/users/{bea.id}")
    [message] = mails(session, "bea@example.org")
    assert message.subject == "Vous êtes invité à rejoindre cocourse"
    assert '<html lang="fr">' in message.html_body
    assert "Ou copiez ce lien dans votre navigateur" in message.html_body


def test_a_refused_link_is_explained_in_the_language(client):
    response = client.get("/account/invitation/not-a-token", headers=NL)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Deze link kan niet gebruikt worden" in html
    assert "Deze link is niet geldig" in html


@pytest.mark.parametrize(
    ("language", "words", "flash"),
    [
        (
            "nl",
            ["Mensen", "Accounts en hun rollen", "Beheerder", "Alle rollen"],
            "Rita is nu beoordelaar.",
        ),
        (
            "fr",
            ["Personnes", "Comptes et leurs rôles", "Administrateur", "Tous les rôles"],
            "Rita a maintenant le rôle évaluateur.",
        ),
    ],
)
def test_the_people_page(app, session, language, words, flash):
    admin = admin_client_of(app, session)
    person = User(email="rita@example.org", name="Rita", password_hash="!", role="learner")
    session.add(person)
    session.commit()
    html = page(admin, "/admin/users", language)
    for word in words:
        assert word in html
    count = {"nl": "2 accounts", "fr": "2 comptes"}[language]
    assert count in html
    response = post(
        admin,
        f"/admin/users/{person.id}/role",
        {f"u{person.id}-role": Role.ASSESSOR.value},
        language,
        "/admin/users",
        follow=True,
    )
    assert flash in response.get_data(as_text=True)
    html = page(admin, f"/admin/users/{person.id}", language)
    deactivate = {"nl": "Rita deactiveren", "fr": "Désactiver Rita"}[language]
    assert deactivate in html
    html = page(admin, f"/admin/users/{person.id}/deactivate", language)
    role = {"nl": "<span>beoordelaar</span>", "fr": "<span>évaluateur</span>"}[language]
    assert f"{deactivate}?" in html.replace(" ?", "?") and role in html


def test_english_stays_the_default(client, auth):
    auth.create()
    auth.login()
    html = client.get("/account/password").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Change your password" in html and "Log out everywhere" in html
    assert PASSWORD not in html


@pytest.mark.parametrize(
    ("language", "asked"),
    [
        ("en", "Please log in to open that page."),
        ("nl", "Log in om die pagina te openen."),
        ("fr", "Connectez-vous pour ouvrir cette page."),
    ],
)
def test_a_page_that_needs_a_login_asks_in_the_visitors_language(client, language, asked):
    answer = client.get("/dashboard", headers={"Accept-Language": language})
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    login = client.get(answer.headers["Location"], headers={"Accept-Language": language})
    assert asked in login.get_data(as_text=True)
