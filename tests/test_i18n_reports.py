"""The reports and the studio speak Dutch and French: each main page renders in nl and fr,
says so in <html lang>, and shows translated words (an admin's view)."""

from __future__ import annotations

import pytest

from .conftest import FIXTURES, admin_client_of, make_app, page_in
from .test_reports import grade_four

LESSON = "intro/02-second.md"

REPORT_PAGES = {
    "nl": {
        "/reports/modules": ["Moduletrechters", "Afgerond van wie begon"],
        "/reports/modules/check": ["Trechter: ", "Aan de module begonnen", "Van wie begon"],
        "/reports/quizzes": ["Quizrapporten", "Beoordeelde pogingen"],
        "/reports/quizzes/one-chance": ["Itemanalyse: ", "beoordeelde pogingen door iedereen"],
    },
    "fr": {
        "/reports/modules": ["Entonnoirs des modules", "Terminé parmi ceux qui ont commencé"],
        "/reports/modules/check": ["Entonnoir : ", "A commencé le module", "Étape"],
        "/reports/quizzes": ["Rapports des quiz", "Tentatives notées"],
        "/reports/quizzes/one-chance": ["Analyse d'items", "tentatives notées par tout"],
    },
}

STUDIO_PAGES = {
    "nl": {
        "/studio": ["Cursusbestanden", "Nieuwe les", "De hele cursus"],
        f"/studio/files/{LESSON}": ["bewerken", "Opslaan", "Geschiedenis"],
    },
    "fr": {
        "/studio": ["Fichiers du cours", "Nouvelle leçon", "Le cours entier"],
        f"/studio/files/{LESSON}": ["Modifier", "Enregistrer", "Historique"],
    },
}


@pytest.fixture
def reports_admin(engine, database_url, tmp_path, session):
    """An admin of a course where four learners took the one-chance quiz."""
    app = make_app(database_url, tmp_path, CONTENT_DIR=str(FIXTURES / "quiz_course"))
    grade_four(app, session)
    return admin_client_of(app, session)


@pytest.fixture
def studio_admin(engine, database_url, tmp_path, session, repo):
    app = make_app(database_url, tmp_path, CONTENT_DIR=str(repo))
    return admin_client_of(app, session)


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_the_reports_render_translated(reports_admin, language):
    for url, words in REPORT_PAGES[language].items():
        html = page_in(reports_admin, url, language)
        for word in words:
            assert word in html, (url, word)
    english = page_in(reports_admin, "/reports/modules", "en")
    assert "Module funnels" in english


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_the_studio_renders_translated(studio_admin, language):
    for url, words in STUDIO_PAGES[language].items():
        html = page_in(studio_admin, url, language)
        for word in words:
            assert word in html, (url, word)
        assert "Course files" not in html, url
