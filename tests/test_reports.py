"""Quiz reports: item analysis pages and CSV for admins only."""

from __future__ import annotations

import csv
import io

import pytest

from cocourse import quizzes
from cocourse.db import get_session
from cocourse.models import Role

from .conftest import FIXTURES, AuthActions, make_app


@pytest.fixture
def app(engine, database_url, tmp_path):
    return make_app(database_url, tmp_path, CONTENT_DIR=str(FIXTURES / "quiz_course"))


@pytest.fixture
def graded(app, session):
    """Four learners take the one-chance quiz: two right, two wrong."""
    module, lesson = app.extensions["cocourse.course"].course.quiz("one-chance")
    hook = app.extensions["cocourse.plugins"].hook
    types = app.extensions["cocourse.question_types"]
    with app.app_context():
        for number, answer in enumerate(["b", "b", "a", None]):
            user = AuthActions(None, session).create(f"l{number}@example.org")
            attempt = quizzes.start(get_session(), user.id, module, lesson)
            quizzes.submit(get_session(), hook, attempt.id, user.id, {"q-once": answer}, types)


def login(client, session, role):
    auth = AuthActions(client, session)
    auth.create(f"{role.value}@example.org", role)
    auth.login(f"{role.value}@example.org")


def test_admins_see_item_analysis_and_the_csv_matches_the_page(app, client, session, graded):
    login(client, session, Role.ADMIN)
    listing = client.get("/reports/quizzes").get_data(as_text=True)
    assert "One chance" in listing and "<td>4</td>" in listing
    page = client.get("/reports/quizzes/one-chance").get_data(as_text=True)
    assert "4 graded attempts" in page and "q-once" in page and "50%" in page
    assert "a: 1, b: 2" in page
    response = client.get("/reports/quizzes/one-chance.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == page.count('<th scope="row">q-')
    assert rows[0]["attempts"] == "4" and rows[0]["facility"] == "0.5000"
    assert rows[0]["options"] == "a=1;b=2" and rows[0]["current"] == "yes"


@pytest.mark.parametrize("role", [Role.LEARNER, Role.ASSESSOR])
def test_reports_are_for_admins(client, session, role):
    login(client, session, role)
    for path in [
        "/reports/quizzes",
        "/reports/quizzes/one-chance",
        "/reports/quizzes/one-chance.csv",
    ]:
        assert client.get(path).status_code == 403


def test_unknown_quiz_is_404(client, session):
    login(client, session, Role.ADMIN)
    assert client.get("/reports/quizzes/nope").status_code == 404
