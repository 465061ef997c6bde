"""Reading the course in one's language: translated lessons, the note where there is none, the
lesson's own language switch, and quizzes started in the language of the page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from cocourse.models import QuizAttempt, Role

from .conftest import PASSWORD, AuthActions, csrf_token, make_app

CONTENT = Path(__file__).parent.parent / "content" / "modules"
FIRST = "/modules/tasting-01-what-co-creation-is"
SECOND = "/modules/tasting-02-self-organization-basics"


@pytest.fixture
def reader(engine, database_url, tmp_path, session):
    app = make_app(database_url, tmp_path, CONTENT_DIR=str(CONTENT))
    client = app.test_client()
    AuthActions(None, session).create(role=Role.ADMIN)  # opens locked modules too
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post(
        "/login",
        data={"email": "learner@example.org", "password": PASSWORD, "csrf_token": token},
    )
    return client


def page(client, path, language):
    response = client.get(path, headers={"Accept-Language": language})
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def title(html):
    return re.search(r'<h1 id="lesson-title"([^>]*)>([^<]+)</h1>', html).groups()


def test_a_dutch_reader_reads_the_dutch_lesson(reader):
    html = page(reader, f"{FIRST}/dont-struggle-alone", "nl")
    assert title(html) == ("", "Worstel er niet alleen mee")
    assert "Taal van deze les:" in html
    assert '<a href="?lang=en" lang="en" hreflang="en">English</a>' in html
    assert "nog niet" not in html.split("lesson-title")[0]  # no note: it is translated


def test_a_lesson_without_a_translation_says_so_and_marks_its_language(reader):
    html = page(reader, f"{SECOND}/beyond-hierarchy", "fr")
    attributes, text = title(html)
    assert attributes == ' lang="en"'
    assert text == "Beyond hierarchy"
    assert "pas encore traduite en français : la voici en anglais." in html
    assert '<div class="prose" lang="en">' in html


def test_the_lesson_switch_shows_another_version(reader):
    html = page(reader, f"{FIRST}/dont-struggle-alone?lang=fr", "nl")
    assert title(html) == (' lang="fr"', "Ne restez pas seul face au problème")
    assert "niet vertaald" not in html  # chosen, so no note
    assert "Taal van deze les:" in html  # the interface stays the reader's


@pytest.mark.parametrize("asked", ["de", "", "nl'><script>", "x" * 300])
def test_the_switch_ignores_languages_it_does_not_have(reader, asked):
    html = page(reader, f"{FIRST}/dont-struggle-alone?lang={asked}", "nl")
    assert title(html) == ("", "Worstel er niet alleen mee")


@pytest.mark.parametrize(("asked", "expected"), [("en", None), ("fr", "fr"), ("zz", "nl")])
def test_a_quiz_starts_in_the_language_of_its_page(reader, session, asked, expected):
    html = page(reader, f"{FIRST}/check", "nl")
    response = reader.post(
        "/quiz/tasting-01-what-co-creation-is-check/start",
        data={"csrf_token": csrf_token(html), "lang": asked},
        headers={"Accept-Language": "nl"},
    )
    assert response.status_code == 302
    attempt = session.scalar(select(QuizAttempt))
    assert attempt.language == expected
    shown = page(reader, response.headers["Location"], "nl")
    words = {None: "Which approach is", "fr": "Quelle approche", "nl": "Welke aanpak"}
    assert words[expected] in shown
