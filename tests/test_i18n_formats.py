"""Days and percentages are written as the reader's language writes them: "Dec 5, 2026" and
"87.5%" in English, "5 dec 2026" and "87,5%" in Dutch, "5 déc. 2026" and "87,5 %" (a no-break
space before the sign) in French; the ISO form stays for machines (`<time datetime>`, CSV).

The expected words are spelled out here, not asked of the helpers that write them."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from flask import Flask

from cocourse.cohorts import services as cohorts
from cocourse.models import utcnow

from .conftest import (
    FIXTURES,
    AuthActions,
    admin_client_of,
    csrf_token,
    make_app,
    page_in,
    post_answers,
)
from .test_certification import CERT_COURSE, certified
from .test_quizzes import ALL_RIGHT
from .test_reports import grade_four

MONTHS = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "nl": ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"],
    "fr": [
        "janv.",
        "févr.",
        "mars",
        "avr.",
        "mai",
        "juin",
        "juil.",
        "août",
        "sept.",
        "oct.",
        "nov.",
        "déc.",
    ],
}
NBSP = "\u00a0"


def written(day: date, language: str) -> str:
    """A day as a page in `language` writes it."""
    month = MONTHS[language][day.month - 1]
    if language == "en":
        return f"{month} {day.day}, {day.year}"
    return f"{day.day} {month} {day.year}"


@pytest.mark.parametrize("language", ["en", "nl", "fr"])
def test_the_verification_page_writes_its_days_in_the_readers_language(
    engine, database_url, tmp_path, session, language
):
    app = make_app(database_url, tmp_path, CONTENT_DIR=str(CERT_COURSE))
    _user, cert = certified(app, AuthActions(app.test_client(), session), session)
    html = page_in(app.test_client(), f"/verify/{cert.code}", language)
    issued = {"en": "Issued", "nl": "Uitgereikt", "fr": "Délivré le"}[language]
    assert f"{issued}</dt><dd>{written(cert.valid_from, language)}</dd>" in html
    assert f"<dd>{written(cert.expires_on, language)}</dd>" in html
    assert cert.valid_from.isoformat() not in html


@pytest.mark.parametrize(
    ("language", "created"),
    [("en", "created {}"), ("nl", "aangemaakt op {}"), ("fr", "créée le {}")],
)
def test_a_cohort_says_when_it_was_created_in_the_readers_language(
    app: Flask, session, language, created
):
    cohort = cohorts.create_cohort(session, "Sales", "The sales team")
    html = page_in(admin_client_of(app, session), f"/admin/cohorts/{cohort.id}", language)
    today = utcnow().date()
    assert created.format(written(today, language)) in html
    assert created.format(today.isoformat()) not in html
    assert f'min="{today.isoformat()}"' in html  # the date field still reads ISO


@pytest.mark.parametrize(("language", "share"), [("en", "50%"), ("nl", "50%"), ("fr", "50 %")])
def test_item_analysis_writes_the_facility_as_the_language_does(
    engine, database_url, tmp_path, session, language, share
):
    app = make_app(database_url, tmp_path, CONTENT_DIR=str(FIXTURES / "quiz_course"))
    grade_four(app, session)  # two of four right: a facility of one half
    html = page_in(admin_client_of(app, session), "/reports/quizzes/one-chance", language)
    assert f"<td>{share.replace(' ', NBSP)}</td>" in html


@pytest.mark.parametrize(
    ("language", "score", "mark"),
    [("en", "87.5%", "60%"), ("nl", "87,5%", "60%"), ("fr", "87,5 %", "60 %")],
)
def test_a_quiz_result_writes_its_percentages_as_the_language_does(
    engine, database_url, tmp_path, session, language, score, mark
):
    course = tmp_path / "quiz_course"
    shutil.copytree(FIXTURES / "quiz_course", course)
    app = make_app(database_url, tmp_path, CONTENT_DIR=str(course))
    client = app.test_client()
    auth = AuthActions(client, session)
    auth.create()
    auth.login()
    lesson = page_in(client, "/modules/check/quiz", language)
    started = client.post("/quiz/every-kind/start", data={"csrf_token": csrf_token(lesson)})
    attempt_id = int(started.headers["Location"].rsplit("/", 1)[1])
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    # One of the eight points missed (the first question, worth one): 87.5 per cent.
    assert post_answers(client, attempt_id, {**ALL_RIGHT, "q0": "a"}).status_code == 302
    html = page_in(client, f"/quiz/attempts/{attempt_id}/result", language)
    assert f'<p class="score">{score.replace(" ", NBSP)}</p>' in html
    assert mark.replace(" ", NBSP) in html
    dashboard = page_in(client, "/dashboard", language)
    assert score.replace(" ", NBSP) in dashboard
    assert written(utcnow().date(), language) in dashboard
