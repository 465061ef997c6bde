"""The learning and quiz pages in Dutch and French: nothing stays English, nothing crashes.

Each page is opened with the browser asking for nl or fr (the account has no language of its
own, so Accept-Language decides); it must say so in `<html lang>` and show the interface's
words in that language. The services' messages (locks, refusals, GIFT import warnings) follow
the request, and stay English outside one (commands, tests of the services).
"""

from __future__ import annotations

import re
import shutil

import pytest

from cocourse.learning import progress
from cocourse.quiz import engine as quizzes
from cocourse.quiz.gift import gift_to_markdown

from .conftest import FIXTURES, AuthActions, admin_client_of, csrf_token, make_app, post_answers
from .test_quizzes import ALL_RIGHT

QUIZ_COURSE = FIXTURES / "quiz_course"

# Per language: words each page must show.
WORDS = {
    "nl": {
        "catalog": ["Leer cocreëren", "Doorloop de leerlijnen in volgorde", "ongeveer 10 min"],
        "module": ["Kruimelpad", "Lessen", "nog niet geopend", "Begin: "],
        "lesson": ["Les 1 van 4", "Markeren als afgerond en verder", "Lessen in deze module"],
        "dashboard": [
            "Je voortgang",
            "Je activiteitenlogboek</a>: alles wat je deed",
            "Recente quizresultaten",
            "Nog geen quizresultaten.",
        ],
        "activity": ["Je activiteit", "Les bekeken", "Alles downloaden (CSV)", "Wanneer"],
        "quiz_start": ["Slaaggrens 60%", "8 vragen", "nog 3 pogingen", "Start de quiz"],
        "attempt": [
            "Every kind of question: poging 1",
            "Vraag 1 van 8",
            "Kies alles wat van toepassing is.",
            "Je antwoord (een getal)",
            "Nummer de items in de juiste volgorde",
            "Kies bij elk item wat erbij past.",
            "Je reflectie",
            ">Waar</label>",
            ">Onwaar</label>",
            "Antwoorden indienen",
            "Bewaren zonder indienen",
        ],
        "saved": ["Je antwoorden zijn bewaard (", "Laatst bewaard om"],
        "review": ["Voor je indient, moet je nog 1 van de 8 vragen bekijken:", "nog geen antwoord"],
        "result": [
            "Geslaagd",
            "8 van 8 punten",
            "Nog 2 pogingen.",
            "slaaggrens 60%",
            "Je antwoorden",
            "Juiste antwoord:",
            "<strong>Je antwoord:</strong> Onwaar",
        ],
        "timed": ["Tijdslimiet: 5 minuten.", "Dien in voor", "Tijdslimiet 5 minuten"],
        "person": ["Recente activiteit", "Quizpogingen", "Quiz gehaald"],
        "locked": "Rond eerst Check yourself af.",
        "dashboard_passed": "% · geslaagd",
    },
    "fr": {
        "catalog": ["Apprendre à cocréer", "Suivez les parcours dans l'ordre", "environ 10 min"],
        "module": ["Fil d'Ariane", "Leçons", "pas encore ouverte", "Commencer : "],
        "lesson": ["Leçon 1 sur 4", "Marquer comme terminée et continuer", "Leçons de ce module"],
        "dashboard": [
            "Votre progression",
            "Votre journal d'activité</a> : tout ce que vous avez fait",
            "Résultats de quiz récents",
            "Aucun résultat de quiz pour le moment.",
        ],
        "activity": ["Votre activité", "Leçon consultée", "Tout télécharger (CSV)", "Quand"],
        "quiz_start": ["Seuil de réussite 60\u00a0%", "8 questions", "3 tentatives restantes"],
        "attempt": [
            "Every kind of question : tentative 1",
            "Question 1 sur 8",
            "Sélectionnez toutes les réponses qui conviennent.",
            "Votre réponse (un nombre)",
            "Numérotez les éléments dans le bon ordre",
            "Choisissez la correspondance de chaque élément.",
            "Votre réflexion",
            ">Vrai</label>",
            ">Faux</label>",
            "Envoyer les réponses",
            "Enregistrer sans envoyer",
        ],
        "saved": ["Vos réponses sont enregistrées (", "Dernier enregistrement :"],
        "review": [
            "Avant d'envoyer, 1 question sur 8 mérite votre attention :",
            "pas encore de réponse",
        ],
        "result": [
            "Réussi",
            "8 points sur 8",
            "2 tentatives restantes.",
            "seuil de réussite 60\u00a0%",
            "Vos réponses",
            "Bonne réponse :",
            "<strong>Bonne réponse :</strong> Faux",
        ],
        "timed": ["Durée limite : 5 minutes.", "Envoyez avant", "Durée limite 5 minutes"],
        "person": ["Activité récente", "Tentatives de quiz", "Quiz réussi"],
        "locked": "Terminez d'abord Check yourself.",
        "dashboard_passed": "% · réussi",
    },
}


@pytest.fixture
def app(engine, database_url, tmp_path):
    course = tmp_path / "quiz_course"
    shutil.copytree(QUIZ_COURSE, course)
    return make_app(database_url, tmp_path, CONTENT_DIR=str(course))


@pytest.fixture(params=["nl", "fr"])
def language(request):
    return request.param


def get(client, path, language, status=200):
    response = client.get(path, headers={"Accept-Language": language})
    assert response.status_code == status, (path, response.status_code)
    html = response.get_data(as_text=True)
    assert re.search(rf'<html lang="{language}"', html), html[:300]
    return html


def post(client, path, language, data):
    return client.post(path, data=data, headers={"Accept-Language": language})


def shows(html, words):
    text = html.replace("&#39;", "'").replace("&amp;", "&")
    for word in words:
        assert word in text, word


def start(client, language, quiz_id="every-kind", lesson="quiz"):
    page = get(client, f"/modules/check/{lesson}", language)
    response = post(client, f"/quiz/{quiz_id}/start", language, {"csrf_token": csrf_token(page)})
    assert response.status_code == 302, response.data
    return int(response.headers["Location"].rsplit("/", 1)[1])


@pytest.fixture
def learner(client, session):
    auth = AuthActions(client, session)
    user = auth.create()
    auth.login()
    return user


def test_the_catalog_in_the_browsers_language(client, language):
    shows(get(client, "/", language), WORDS[language]["catalog"])


def test_the_module_and_lesson_pages(client, learner, language):
    shows(get(client, "/modules/check", language), WORDS[language]["module"])
    shows(get(client, "/modules/check/reading", language), WORDS[language]["lesson"])


def test_the_dashboard_and_the_activity_log(client, learner, language):
    shows(get(client, "/dashboard", language), WORDS[language]["dashboard"])
    get(client, "/modules/check/reading", language)  # a first event
    shows(get(client, "/activity", language), WORDS[language]["activity"])


def test_the_quiz_from_start_to_result(client, learner, session, language):
    words = WORDS[language]
    shows(get(client, "/modules/check/quiz", language), words["quiz_start"])
    attempt_id = start(client, language)
    page = get(client, f"/quiz/attempts/{attempt_id}", language)
    shows(page, words["attempt"])
    saved = post(
        client,
        f"/quiz/attempts/{attempt_id}/save",
        language,
        {"csrf_token": csrf_token(page)},
    )
    assert saved.status_code == 302
    shows(get(client, f"/quiz/attempts/{attempt_id}", language), words["saved"])
    # A first submit with a question left out points to it.
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language  # post_answers sends no header
    partial = {k: v for k, v in ALL_RIGHT.items() if k != "q0"}
    review = post_answers(client, attempt_id, partial, action="submit")
    assert review.status_code == 200
    shows(review.get_data(as_text=True), words["review"])
    assert post_answers(client, attempt_id, ALL_RIGHT).status_code == 302
    shows(get(client, f"/quiz/attempts/{attempt_id}/result", language), words["result"])
    shows(get(client, "/dashboard", language), [words["dashboard_passed"]])


def test_a_timed_quiz_and_its_deadline(client, learner, language):
    words = WORDS[language]
    shows(get(client, "/modules/check/once", language), [words["timed"][2]])
    attempt_id = start(client, language, quiz_id="one-chance", lesson="once")
    shows(get(client, f"/quiz/attempts/{attempt_id}", language), words["timed"][:2])


def test_the_panels_on_a_persons_page(app, client, learner, session, language):
    attempt_id = start(client, language)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    post_answers(client, attempt_id, ALL_RIGHT)
    admin = admin_client_of(app, session)
    html = get(admin, f"/admin/users/{learner.id}", language)
    shows(html, WORDS[language]["person"])


def test_a_locked_module_says_what_opens_it(app, client, session, language, tmp_path):
    course = tmp_path / "quiz_course"
    (course / "later").mkdir()
    (course / "later" / "module.md").write_text(
        "---\ntitle: Later\ntrack: only\norder: 2\nsummary: After.\n"
        "estimated_minutes: 5\nprerequisites: [check]\n---\nLater.\n"
    )
    (course / "later" / "01-one.md").write_text("---\ntitle: One\n---\nText.\n")
    locked_app = make_app(app.config["DATABASE_URL"], tmp_path / "locked", CONTENT_DIR=str(course))
    locked = locked_app.test_client()
    AuthActions(locked, session).create("late@example.org")
    AuthActions(locked, session).login("late@example.org")
    html = get(locked, "/modules/later/one", language, status=403)
    shows(html, [WORDS[language]["locked"]])


def test_the_services_speak_the_requests_language_and_english_elsewhere(app):
    gift = "::Q1:: 2 + 2 = {#4:0 =%50%5}\n\nPlain text without answers.\n"
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        _, warnings = gift_to_markdown(gift, quiz_id="maths", title="Maths")
        shown = [str(w) for w in warnings]  # as the studio's import page shows them
    assert "ligne 1 : question 'q1' : une note partielle (50 %) pour '5'" in shown[0], shown
    _, warnings = gift_to_markdown(gift, quiz_id="maths", title="Maths")
    assert str(warnings[0]).startswith("line 1: question 'q1': partial credit (50%)"), warnings
    dutch = app.test_request_context(headers={"Accept-Language": "nl"})
    with dutch, pytest.raises(ValueError, match="ongeldige quiz-id"):
        gift_to_markdown(gift, quiz_id="Not An Id", title="Maths")
    with app.app_context():  # no request: a command, the worker
        error = quizzes.QuizError("x")
        assert str(error) == "x"
        assert progress.workshop_words("tasting") == "a tasting workshop"
    with app.test_request_context(headers={"Accept-Language": "nl"}):
        assert progress.workshop_words("tasting") == "een proeverij"


def test_english_stays_the_default(client, learner):
    html = client.get("/modules/check/quiz").get_data(as_text=True)
    assert '<html lang="en"' in html
    shows(html, ["Pass mark 60%", "8 questions", "3 attempts left", "Start the quiz"])
