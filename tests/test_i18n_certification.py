"""Certification and the programme page speak Dutch and French: the trainee's pages, the
review page, the certificate, the public verification and the sponsor's figures."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from cocourse.models import Role, User

from .conftest import make_app
from .conftest import page_in as page
from .test_certification import (
    CERT_COURSE,
    RIGHT,
    certified,
    login_as,
    ready_trainee,
    submit,
    take_exam,
)

HEADERS = {"nl": {"Accept-Language": "nl"}, "fr": {"Accept-Language": "fr"}}
LANGUAGES = ("nl", "fr")


@pytest.fixture
def app(engine, database_url: str, tmp_path: Path) -> Flask:
    return make_app(database_url, tmp_path, CONTENT_DIR=str(CERT_COURSE))


def words(html, *expected):
    for word in expected:
        assert word in html, word


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_trainee_pages_are_translated(app, auth, session, client, language):
    user, portfolio = ready_trainee(app, auth)
    auth.login(user.email)
    listing = page(client, "/certification/", language)
    programme = page(client, "/certification/facilitator", language)
    new_session = page(client, "/certification/facilitator/sessions/new", language)
    if language == "nl":
        words(listing, "Certificering", "Portfolio: Bezig")
        words(programme, "Vereisten", "Logboek praktijkopdrachten", "Wat het programma vraagt")
        words(programme, "Telt mee", "Indienen ter beoordeling")
        words(new_session, "Een sessie registreren", "Datum van de sessie", "Sessie bewaren")
    else:
        words(listing, "Certification", "Portfolio : En cours")
        words(programme, "Exigences", "Journal de mise en pratique", "Ce que demande le programme")
        words(programme, "Valable", "Soumettre à l’évaluation")
        words(new_session, "Consigner une séance", "Date de la séance", "Enregistrer la séance")
    assert "What the programme asks" not in programme


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_review_page_is_translated_for_an_assessor(app, auth, session, client, language):
    user, portfolio = ready_trainee(app, auth)
    submit(app, user, portfolio.id)
    login_as(auth, "admin@example.org", Role.ADMIN)
    queue = page(client, "/reviews/", language)
    review = page(client, f"/reviews/{portfolio.id}", language)
    if language == "nl":
        words(queue, "Te beoordelen portfolio’s", "Facilitator in opleiding")
        words(review, "Vereisten, nu gecontroleerd", "Eindexamen", "Beslissing vastleggen")
        words(review, "Goedkeuren en het certificaat uitreiken", "Niveau: ")
    else:
        words(queue, "Portfolios à évaluer", "Facilitateur en formation")
        words(review, "Exigences, vérifiées maintenant", "Examen final", "Enregistrer la décision")
        words(review, "Valider et délivrer le certificat", "Niveau : ")
    assert "Record decision" not in review


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_certificate_and_its_verification_are_translated(app, auth, session, client, language):
    _user, cert = certified(app, auth, session)
    verify = page(client, f"/verify/{cert.code}", language)
    unknown = client.get("/verify/" + "x" * 43, headers=HEADERS[language])
    assert unknown.status_code == 404
    form = page(client, "/verify", language)
    auth.login("trainee@example.org")
    certificate = page(client, f"/certificates/{cert.id}", language)
    pdf = client.get(f"/certificates/{cert.id}.pdf", headers=HEADERS[language])
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    if language == "nl":
        words(verify, "Certificaatverificatie", "Houder", "Geldig")
        words(unknown.get_data(as_text=True), "Geen enkel certificaat heeft deze code")
        words(form, "Een certificaat verifiëren")
        words(certificate, "Terug naar het programma", "PDF downloaden", "Uitgereikt op")
    else:
        words(verify, "Vérification de certificat", "Titulaire", "Valable")
        words(unknown.get_data(as_text=True), "Aucun certificat ne porte ce code")
        words(form, "Vérifier un certificat")
        words(certificate, "Retour au programme", "Télécharger le PDF", "Délivré le")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_admin_certificate_list_is_translated(app, auth, session, client, language):
    user, _cert = certified(app, auth, session)
    auth.login("admin@example.org")
    listing = page(client, "/admin/certificates", language)
    trail = page(client, "/admin/audit", language)
    person = page(client, f"/admin/users/{user.id}", language)
    if language == "nl":
        words(listing, "Certificaten", "1 certificaat", "Intrekken")
        words(trail, "Audittrail van de certificering")
        words(person, "Portfolio’s van", "Verificatiepagina", "Certificering")
    else:
        words(listing, "Certificats", "1 certificat", "Révoquer")
        words(trail, "Journal d’audit de la certification")
        words(person, "Portfolios de", "Page de vérification", "Certification")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_programme_figures_page_is_translated(app, auth, client, language):
    login_as(auth, "sponsor@example.org", Role.SPONSOR)
    html = page(client, "/programme", language)
    if language == "nl":
        words(html, "Het programma", "1. Kansen om samen te creëren", "2. Proeverijen")
        words(html, "Laatste 12 maanden", 'href="/programme">Programma</a>')
    else:
        words(html, "Le programme", "1. Occasions de cocréer", "2. Ateliers découverte")
        words(html, "12 derniers mois", 'href="/programme">Programme</a>')
    assert "The four steps" not in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_panels_on_other_pages_are_translated(app, auth, session, client, language):
    user, cert = certified(app, auth, session)
    attempt = take_exam(app, user.id, {**RIGHT, "e-b2": "b"}, complete=False)
    auth.login(user.email)
    dashboard = page(client, "/dashboard", language)
    result = page(client, f"/quiz/attempts/{attempt.id}/result", language)
    if language == "nl":
        words(dashboard, "Je certificering", "Je certificaat: Geldig")
        words(result, "Resultaten per competentiedomein", "Voldaan")
    else:
        words(dashboard, "Votre certification", "Votre certificat : Valable")
        words(result, "Résultats par domaine de compétences", "Rempli")


def test_a_certificate_speaks_its_holders_language_to_every_viewer(app, auth, session, client):
    user, cert = certified(app, auth, session)
    user = session.get(User, user.id)
    user.language = "nl"
    session.commit()
    auth.login("admin@example.org")  # made by certified()
    certificate = client.get(f"/certificates/{cert.id}", headers={"Accept-Language": "en"})
    html = certificate.get_data(as_text=True)
    assert '<html lang="nl">' in html
    words(html, "Uitgereikt op")
    assert "Issued" not in html
    # The admin's own pages stay in the admin's language.
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "en"}).get_data(True)
