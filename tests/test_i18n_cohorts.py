"""The cohort and notification pages in Dutch and French: every page renders, says `lang`,
and speaks the language (a page left in English, or one that crashes on a translation, fails
here); notification emails and due date reminders go out in the recipient's language."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from cocourse.cohorts import due_dates
from cocourse.cohorts import services as cohorts
from cocourse.db import get_session, write
from cocourse.models import MailMessage, User, utcnow
from cocourse.notifications import kinds, services
from cocourse.notifications.services import Message

from .conftest import admin_client_of

LANGS = ["nl", "fr"]
NOTE = Message("Your portfolio was approved", "Well observed.", "/certification")


def get(client, path: str, lang: str) -> str:
    response = client.get(path, headers={"Accept-Language": lang})
    assert response.status_code == 200, (path, lang, response.status_code)
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html, (path, lang)
    return " ".join(html.split())


def course_of(app):
    return app.extensions["cocourse.course"].course


@pytest.fixture
def sales(app, session):
    """A cohort with a due date on the intro module five days from now."""
    cohort = cohorts.create_cohort(session, "Sales", "The sales team")
    due_dates.set_due_date(
        session,
        course_of(app),
        cohort.id,
        "module:intro",
        utcnow().date() + timedelta(days=5),
        utcnow().date(),
    )
    return cohort


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("nl", ["Groepen", "Nieuwe groep", "Groep aanmaken", "Deelnamelink"]),
        ("fr", ["Cohortes", "Nouvelle cohorte", "Créer la cohorte", "Lien d’inscription"]),
    ],
)
def test_the_cohort_list_is_translated(app, session, sales, lang, expected):
    page = get(admin_client_of(app, session), "/admin/cohorts", lang)
    for word in expected:
        assert word in page
    assert "Create cohort" not in page


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("nl", ["Deelnamecode", "Leden", "Deadlines", "nog 5 dagen", "Beoordelaars"]),
        ("fr", ["Code d’inscription", "Membres", "Échéances", "5 jours restants", "Évaluateurs"]),
    ],
)
def test_the_cohort_page_is_translated(app, session, sales, lang, expected):
    page = get(admin_client_of(app, session), f"/admin/cohorts/{sales.id}", lang)
    for word in expected:
        assert word in page
    assert "Save due date" not in page


@pytest.mark.parametrize("lang", LANGS)
def test_the_other_admin_pages_render(app, session, sales, lang):
    client = admin_client_of(app, session)
    delete = get(client, f"/admin/cohorts/{sales.id}/delete", lang)
    assert {"nl": "Groep verwijderen", "fr": "Supprimer la cohorte"}[lang] in delete
    imports = get(client, "/admin/people/import", lang)
    assert {"nl": "Importeren", "fr": "Importer"}[lang] in imports
    learners = get(client, "/assessor/learners", lang)
    assert {"nl": "Deelnemers", "fr": "Participants"}[lang] in learners


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("nl", ["Aansluiten bij Sales", "Aansluiten bij een andere groep"]),
        ("fr", ["Rejoindre Sales", "Rejoindre une autre cohorte"]),
    ],
)
def test_the_join_page_is_translated(app, client, auth, sales, lang, expected):
    auth.create("ann@example.org")
    auth.login("ann@example.org")
    page = get(client, f"/join/{sales.join_code}", lang)
    for word in expected:
        assert word in page
    typed = get(client, "/join", lang)
    assert {"nl": "Aansluiten bij een groep", "fr": "Rejoindre une cohorte"}[lang] in typed


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("nl", ["Deadlines", "nog 5 dagen", "Module ·"]), ("fr", ["Échéances", "5 jours restants"])],
)
def test_the_due_dates_panel_is_translated(app, client, auth, session, sales, lang, expected):
    ann = auth.create("ann@example.org")
    cohorts.add_member(session, sales.id, ann.id)
    auth.login("ann@example.org")
    page = get(client, "/dashboard", lang)
    for word in expected:
        assert word in page
    assert "days left" not in page


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("nl", ["Meldingen", "Alles als gelezen markeren", "Nieuw", "E-mailinstellingen"]),
        ("fr", ["Tout marquer comme lu", "Nouveau", "Paramètres des e-mails"]),
    ],
)
def test_the_notification_list_is_translated(app, client, auth, lang, expected):
    ann = auth.create("ann@example.org")
    with app.test_request_context():
        db = get_session()
        with write(db):
            services.notify(db, db.get(User, ann.id), kinds.PORTFOLIO_DECIDED, "a", NOTE)
    auth.login("ann@example.org")
    page = get(client, "/notifications", lang)
    for word in expected:
        assert word in page
    assert "Mark all as read" not in page


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("nl", ["Mail me wanneer", "Mijn certificaat is verlopen", "Verstuurd naar"]),
        ("fr", ["M’envoyer un e-mail quand", "Mon certificat a expiré", "Envoyé aux"]),
    ],
)
def test_the_email_settings_are_translated(app, client, auth, lang, expected):
    auth.create("ann@example.org")
    auth.login("ann@example.org")
    page = get(client, "/account/notifications", lang)
    for word in expected:
        assert word in page
    assert "Email me when" not in page


def test_a_notification_email_speaks_the_recipients_language(app, session, auth):
    ann = auth.create("ann@example.org")
    ann.language = "fr"
    session.commit()
    # Caused by someone browsing in Dutch: the email still follows Ann's setting.
    with app.test_request_context(headers={"Accept-Language": "nl"}):
        db = get_session()
        with write(db):
            services.notify(db, db.get(User, ann.id), kinds.PORTFOLIO_DECIDED, "a", NOTE)
    session.expire_all()
    [mail] = session.scalars(select(MailMessage).where(MailMessage.template == "notification"))
    assert mail.text_body.startswith("Bonjour ")
    assert "paramètres de notification" in mail.text_body
    assert re.search(r'<html lang="fr">', mail.html_body)


def test_a_due_date_reminder_speaks_the_members_language(app, session, auth, sales):
    ann = auth.create("ann@example.org")
    ann.language = "nl"
    session.commit()
    cohorts.add_member(session, sales.id, ann.id)
    with app.app_context():
        sent = due_dates.send_reminders(
            get_session(), course_of(app), utcnow(), lambda target: "/modules/intro"
        )
    assert sent == 1
    session.expire_all()
    [mail] = session.scalars(select(MailMessage).where(MailMessage.template == "notification"))
    assert "moet over 5 dagen af zijn" in mail.subject
    assert "Je groep Sales wil de module" in mail.text_body
