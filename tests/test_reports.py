"""Reports: quiz item analysis and cohort progress, for admins and for assessors over their
cohorts' learners; learners get none."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from cocourse.db import get_session
from cocourse.models import Role, User
from cocourse.quiz import engine as quizzes

from .conftest import FIXTURES, AuthActions, make_app


@pytest.fixture
def app(engine, database_url, tmp_path):
    return make_app(database_url, tmp_path, CONTENT_DIR=str(FIXTURES / "quiz_course"))


@pytest.fixture
def graded(app, session):
    grade_four(app, session)


def grade_four(app, session):
    """Four learners take the one-chance quiz: two right, two wrong."""
    module, lesson = app.extensions["cocourse.course"].course.quiz("one-chance")
    pm = app.extensions["cocourse.plugins"]
    types = app.extensions["cocourse.question_types"]
    with app.app_context():
        for number, answer in enumerate(["b", "b", "a", None]):
            user = AuthActions(None, session).create(f"l{number}@example.org")
            attempt = quizzes.start(get_session(), user.id, module, lesson)
            quizzes.submit(get_session(), pm, attempt.id, user.id, {"q-once": answer}, types)


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
    with client.get("/reports/quizzes/one-chance.csv") as response:  # closing ends the stream
        assert response.mimetype == "text/csv"
        rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == page.count('<th scope="row">q-')
    assert rows[0]["attempts"] == "4" and rows[0]["facility"] == "0.5000"
    assert rows[0]["options"] == "a=1;b=2" and rows[0]["current"] == "yes"


QUIZ_REPORTS = [
    "/reports/quizzes",
    "/reports/quizzes/one-chance",
    "/reports/quizzes/one-chance.csv",
]


def test_learners_get_no_quiz_reports(client, session):
    login(client, session, Role.LEARNER)
    for path in QUIZ_REPORTS:
        assert client.get(path).status_code == 403
        assert client.get(f"{path}?cohort=1").status_code == 403


@pytest.fixture
def assessed(graded, session):
    """A cohort of l0 (right) and l2 (wrong) with an assessor; l1 and l3 in another cohort."""
    from cocourse.cohorts import services as cohorts

    mine = cohorts.create_cohort(session, "Mine")
    theirs = cohorts.create_cohort(session, "Theirs")
    users = {u.email: u for u in session.scalars(select(User))}
    for number, cohort in enumerate([mine, theirs, mine, theirs]):
        cohorts.add_member(session, cohort.id, users[f"l{number}@example.org"].id)
    assessor = AuthActions(None, session).create("assessor@example.org", Role.ASSESSOR)
    cohorts.assign_assessor(session, mine.id, assessor.id)
    return mine, theirs


def item_rows(client, path):
    with client.get(path) as response:
        assert response.status_code == 200
        return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_assessors_see_item_analysis_of_their_cohorts_only(client, session, assessed):
    mine, theirs = assessed
    AuthActions(client, session).login("assessor@example.org")
    # Without ?cohort the learners of all the assessor's cohorts count; with it, that cohort.
    for query in ("", f"?cohort={mine.id}"):
        listing = client.get(f"/reports/quizzes{query}").get_data(as_text=True)
        assert "<td>2</td>" in listing and "<td>4</td>" not in listing
        page = client.get(f"/reports/quizzes/one-chance{query}").get_data(as_text=True)
        assert "2 graded attempts" in page and "a: 1, b: 1" in page
        rows = item_rows(client, f"/reports/quizzes/one-chance.csv{query}")
        assert (rows[0]["attempts"], rows[0]["facility"], rows[0]["options"]) == (
            "2",
            "0.5000",
            "a=1;b=1",
        )
    assert "Theirs" not in client.get("/reports/quizzes").get_data(as_text=True)
    for path in QUIZ_REPORTS:
        for wanted in (theirs.id, 12345, "first"):
            assert client.get(f"{path}?cohort={wanted}").status_code == 404, (path, wanted)


def test_admins_choose_any_cohort_for_item_analysis(client, session, assessed):
    _mine, theirs = assessed
    login(client, session, Role.ADMIN)
    page = client.get(f"/reports/quizzes/one-chance?cohort={theirs.id}").get_data(as_text=True)
    assert "2 graded attempts by learners in Theirs" in page and "b: 1" in page
    assert "a: 1" not in page  # l1 answered b, l3 nothing
    assert client.get("/reports/quizzes/one-chance?cohort=999").status_code == 404
    assert "4 graded attempts by everyone" in client.get("/reports/quizzes/one-chance").get_data(
        as_text=True
    )


def test_an_assessor_without_cohorts_counts_no_attempts(client, session, graded):
    login(client, session, Role.ASSESSOR)
    page = client.get("/reports/quizzes/one-chance").get_data(as_text=True)
    assert "0 graded attempts" in page and "not assigned to any cohort" in page


def test_unknown_quiz_is_404(client, session):
    login(client, session, Role.ADMIN)
    assert client.get("/reports/quizzes/nope").status_code == 404


@pytest.fixture
def cohort_setup(engine, database_url, tmp_path, session):
    """The fixture course, a cohort of three learners with some progress, and an assessor."""
    from cocourse.cohorts import services as cohorts
    from cocourse.learning import progress

    app = make_app(database_url, tmp_path / "c")
    course = app.extensions["cocourse.course"].course
    pm = app.extensions["cocourse.plugins"]
    auth = AuthActions(None, session)
    cohort = cohorts.create_cohort(session, "Intake 2027")
    other = cohorts.create_cohort(session, "Elsewhere")
    learners = [auth.create(f"{name}@example.org") for name in ("ann", "bob", "cy")]
    for learner in learners:
        cohorts.add_member(session, cohort.id, learner.id)
    intro = course.module("intro")
    progress.complete_lesson(session, pm, learners[1].id, intro, intro.lessons[0])
    progress.complete_lesson(session, pm, learners[1].id, intro, intro.lessons[1])
    progress.complete_lesson(session, pm, learners[2].id, intro, intro.lessons[0])
    assessor = auth.create("assessor@example.org", Role.ASSESSOR)
    cohorts.assign_assessor(session, cohort.id, assessor.id)
    return app, cohort, other


def test_the_cohort_matrix_shows_status_sorts_and_exports(cohort_setup, session):
    app, cohort, _other = cohort_setup
    client = app.test_client()
    AuthActions(client, session).login("assessor@example.org")
    html = client.get(f"/reports/cohorts/{cohort.id}?sort=-progress").get_data(as_text=True)
    assert html.index("Bob") < html.index("Cy") < html.index("Ann")
    assert "3 learners" in html and 'class="cell-complete"' in html
    assert 'class="cell-locked"' in html  # Ann has not finished intro: 'second' is locked
    with client.get(f"/reports/cohorts/{cohort.id}.csv?track=basics") as response:
        rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["name"] for r in rows] == ["Ann", "Bob", "Cy"]
    assert len(rows) == html.count('<th scope="row">')  # the CSV holds what the page counts
    bob = rows[1]
    assert (bob["intro:status"], bob["intro:lessons"], bob["second:status"]) == (
        "complete",
        "2 of 2",  # not "2/2", which spreadsheets read as a date
        "not-started",
    )
    assert "adv:status" not in bob  # filtered to the Basics track


def test_assessors_see_only_their_cohorts_and_learners_none(cohort_setup, session):
    app, cohort, other = cohort_setup
    client = app.test_client()
    AuthActions(client, session).login("assessor@example.org")
    assert "Elsewhere" not in client.get("/reports/cohorts").get_data(as_text=True)
    assert client.get(f"/reports/cohorts/{other.id}").status_code == 404
    assert client.get(f"/reports/cohorts/{other.id}.csv").status_code == 404
    learner = app.test_client()
    AuthActions(learner, session).login("ann@example.org")
    assert learner.get(f"/reports/cohorts/{cohort.id}").status_code == 403
    assert learner.get("/reports/cohorts").status_code == 403
