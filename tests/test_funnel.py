"""Module funnels: the numbers, exactly, for everyone and per cohort; the pages, the CSV and
who may see them."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from cocourse.cohorts import services as cohorts
from cocourse.learning import activity, progress
from cocourse.models import CohortMember, Role
from cocourse.quiz import engine as quizzes
from cocourse.reports import funnel
from cocourse.reports.views import duration

from .conftest import FIXTURES, AuthActions, make_app

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RIGHT = {"basics-check": {"q-check": "b"}, "basics-final": {"q-final": "b"}}
WRONG = {"basics-check": {"q-check": "a"}, "basics-final": {"q-final": "a"}}
STEP_ROW = re.compile(r'<tr class="funnel-([a-z-]+)">.*?<td>(\d+)</td>', re.S)


@pytest.fixture
def app(engine, database_url, tmp_path):
    return make_app(database_url, tmp_path, CONTENT_DIR=str(FIXTURES / "funnel_course"))


class Learner:
    """One learner's actions through the real services, at chosen minutes after START."""

    def __init__(self, app, session, user):
        self.app, self.session, self.user = app, session, user
        self.course = app.extensions["cocourse.course"].course
        self.pm = app.extensions["cocourse.plugins"]

    def view(self, module_slug, lesson, minute):
        module = self.course.module(module_slug)
        activity.record_view(self.session, self.user.id, module, lesson, START + _min(minute))

    def complete(self, module_slug, lesson_slug, minute):
        module = self.course.module(module_slug)
        lesson = module.lessons[module.lesson_index(lesson_slug)]
        at = START + _min(minute)
        progress.complete_lesson(self.session, self.pm, self.user.id, module, lesson, now=at)

    def quiz(self, quiz_id, started, submitted=None, *, right=True):
        """Begin an attempt; submit it if `submitted`; a pass completes the lesson, as the
        quiz page does."""
        module, lesson = self.course.quiz(quiz_id)
        attempt = quizzes.start(self.session, self.user.id, module, lesson, START + _min(started))
        if submitted is None:
            return
        types = self.app.extensions["cocourse.question_types"]
        answers = (RIGHT if right else WRONG)[quiz_id]
        attempt, _ = quizzes.submit(
            self.session,
            self.pm,
            attempt.id,
            self.user.id,
            answers,
            types,
            START + _min(submitted),
        )
        assert attempt.passed is right
        if right:
            self.complete(module.slug, lesson.slug, submitted)


def _min(minutes):
    return timedelta(minutes=minutes)


@pytest.fixture
def world(app, session):
    """Six learners in two cohorts, each a different way through the Basics module.

    Alpha: Ann finishes everything; Bob completes Welcome and passes the first check at his
    second try; Cy only opens Welcome (and finishes Next steps); Eve begins the first check
    and never submits it. Beta: Dee finishes in ten minutes; Fay fails the final check.
    """
    auth = AuthActions(None, session)
    names = ["ann", "bob", "cy", "dee", "eve", "fay"]
    people = {name: auth.create(f"{name}@example.org") for name in names}
    alpha = cohorts.create_cohort(session, "Alpha")
    beta = cohorts.create_cohort(session, "Beta")
    for name in ("ann", "bob", "cy", "eve"):
        cohorts.add_member(session, alpha.id, people[name].id)
    for name in ("dee", "fay"):
        cohorts.add_member(session, beta.id, people[name].id)
    ann, bob, cy, dee, eve, fay = (Learner(app, session, people[n]) for n in names)

    ann.view("basics", "welcome", 0)
    ann.complete("basics", "welcome", 10)
    ann.quiz("basics-check", 25, 30)
    ann.complete("basics", "extra", 40)
    ann.quiz("basics-final", 55, 60)

    bob.view("basics", "welcome", 100)
    bob.complete("basics", "welcome", 120)
    bob.quiz("basics-check", 135, 140, right=False)
    bob.quiz("basics-check", 145, 150)

    cy.view("basics", "welcome", 200)
    cy.view("next", "only", 300)
    cy.complete("next", "only", 305)

    dee.complete("basics", "welcome", 400)
    dee.quiz("basics-check", 402, 405)
    dee.quiz("basics-final", 408, 410)

    eve.quiz("basics-check", 500)

    fay.complete("basics", "welcome", 600)
    fay.quiz("basics-final", 603, 606, right=False)
    return people, alpha, beta


def members(cohort_id):
    return select(CohortMember.user_id).where(CohortMember.cohort_id == cohort_id)


def figures(result):
    """Each step as (kind, key, learners, median minutes)."""
    return [
        (
            step.kind,
            step.key,
            step.learners,
            None if step.median_seconds is None else round(step.median_seconds / 60, 2),
        )
        for step in result.steps
    ]


# The numbers


def test_the_funnel_for_everyone(app, session, world):
    module = app.extensions["cocourse.course"].course.module("basics")
    assert figures(funnel.funnel(session, module)) == [
        ("started", "", 6, 0.0),
        ("lesson", "welcome", 4, 5.0),  # Dee and Fay start by completing it: 0, 0, 10, 20
        ("lesson", "extra", 1, 40.0),
        ("quiz-attempted", "basics-check", 3, 30.0),  # first submissions: 5, 30, 40
        ("quiz-passed", "basics-check", 3, 30.0),  # first passes: 5, 30, 50
        ("lesson", "check", 3, 30.0),
        ("quiz-attempted", "basics-final", 3, 10.0),  # 6, 10, 60
        ("quiz-passed", "basics-final", 2, 35.0),  # 10, 60
        ("lesson", "final", 2, 35.0),
        ("quizzes-passed", "", 2, 35.0),
        ("completed", "", 2, 35.0),  # the optional lesson is not needed
    ]


def test_the_funnel_for_one_cohort(app, session, world):
    _people, alpha, beta = world
    module = app.extensions["cocourse.course"].course.module("basics")
    assert figures(funnel.funnel(session, module, members(alpha.id))) == [
        ("started", "", 4, 0.0),  # Eve started by beginning a quiz she never submitted
        ("lesson", "welcome", 2, 15.0),
        ("lesson", "extra", 1, 40.0),
        ("quiz-attempted", "basics-check", 2, 35.0),
        ("quiz-passed", "basics-check", 2, 40.0),
        ("lesson", "check", 2, 40.0),
        ("quiz-attempted", "basics-final", 1, 60.0),
        ("quiz-passed", "basics-final", 1, 60.0),
        ("lesson", "final", 1, 60.0),
        ("quizzes-passed", "", 1, 60.0),
        ("completed", "", 1, 60.0),
    ]
    beta_funnel = funnel.funnel(session, module, members(beta.id))
    assert (beta_funnel.started, beta_funnel.completion.learners) == (2, 1)
    assert beta_funnel.completion.median_seconds == pytest.approx(600, abs=0.01)


def test_a_module_nobody_started_has_an_empty_funnel(app, session):
    module = app.extensions["cocourse.course"].course.module("basics")
    result = funnel.funnel(session, module)
    assert [step.learners for step in result.steps] == [0] * 11
    assert all(step.median_seconds is None for step in result.steps)
    assert result.share(result.completion) == 0.0


def test_headlines_agree_with_each_funnel(app, session, world):
    _people, alpha, _beta = world
    course = app.extensions["cocourse.course"].course
    for learners in (None, members(alpha.id)):
        rows = funnel.headlines(session, course, learners)
        for row in rows:
            detail = funnel.funnel(session, row.module, learners)
            assert (row.started, row.completed) == (detail.started, detail.completion.learners)
    everyone = {
        row.module.slug: (row.started, row.completed) for row in funnel.headlines(session, course)
    }
    assert everyone == {"basics": (6, 2), "next": (1, 1)}


def test_durations_read_at_a_glance():
    assert [duration(s) for s in (None, 20, 300, 3600, 5400, 86400, 90000 + 1800)] == [
        "–",
        "under a minute",
        "5 min",
        "1 h",
        "1 h 30 min",
        "1 d",
        "1 d 1 h",
    ]


# Pages, CSV and access


def login(app, session, email, role=Role.LEARNER):
    client = app.test_client()
    auth = AuthActions(client, session)
    auth.create(email, role)
    auth.login(email)
    return client


def page_steps(html):
    return [(kind, int(count)) for kind, count in STEP_ROW.findall(html)]


def csv_rows(client, path):
    with client.get(path) as response:  # closing the response ends the stream
        assert response.status_code == 200 and response.mimetype == "text/csv"
        return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


@pytest.mark.parametrize("scoped", [False, True])
def test_the_csv_totals_equal_the_page(app, session, world, scoped):
    _people, alpha, _beta = world
    client = login(app, session, "admin@example.org", Role.ADMIN)
    query = f"?cohort={alpha.id}" if scoped else ""
    html = client.get(f"/reports/modules/basics{query}").get_data(as_text=True)
    rows = csv_rows(client, f"/reports/modules/basics.csv{query}")
    shown = page_steps(html)
    assert len(shown) == 11
    assert [(row["kind"], int(row["learners"])) for row in rows] == shown
    assert [int(row["step"]) for row in rows] == list(range(1, 12))
    started = int(rows[0]["learners"])
    assert started == (4 if scoped else 6)
    for row in rows:
        assert float(row["share"]) == pytest.approx(int(row["learners"]) / started, abs=5e-5)
        assert row["median_seconds"] == "" or int(row["median_seconds"]) >= 0
        assert row["optional"] == ("yes" if row["key"] == "extra" else "no")
    completed = rows[-1]
    assert completed["kind"] == "completed"
    assert completed["median_seconds"] == ("3600" if scoped else "2100")
    assert f"median time to complete: {'1 h' if scoped else '35 min'}" in html


def test_the_module_list_links_every_funnel(app, session, world):
    client = login(app, session, "admin@example.org", Role.ADMIN)
    html = client.get("/reports/modules").get_data(as_text=True)
    assert 'href="/reports/modules/basics"' in html and 'href="/reports/modules/next"' in html
    assert re.search(r"Basics</a>.*?<td>6</td>\s*<td>2</td>\s*<td>33%", html, re.S)
    assert re.search(r"Next steps</a>.*?<td>1</td>\s*<td>1</td>\s*<td>100%", html, re.S)
    nav = client.get("/").get_data(as_text=True)
    assert 'href="/reports/modules"' in nav


def test_assessors_see_their_cohorts_only(app, session, world):
    people, alpha, beta = world
    assessor = AuthActions(None, session).create("assessor@example.org", Role.ASSESSOR)
    cohorts.assign_assessor(session, alpha.id, assessor.id)
    client = app.test_client()
    AuthActions(client, session).login("assessor@example.org")

    # Without ?cohort: the learners of all their cohorts together.
    html = client.get("/reports/modules/basics").get_data(as_text=True)
    assert page_steps(html)[0] == ("started", 4) and page_steps(html)[-1] == ("completed", 1)
    assert "learners in your cohorts" in html and "Beta" not in html
    assert csv_rows(client, "/reports/modules/basics.csv")[0]["learners"] == "4"
    listing = client.get("/reports/modules").get_data(as_text=True)
    assert re.search(r"Basics</a>.*?<td>4</td>\s*<td>1</td>", listing, re.S)
    assert 'href="/reports/modules"' in client.get("/").get_data(as_text=True)

    # A learner in two of their cohorts counts once.
    gamma = cohorts.create_cohort(session, "Gamma")
    for name in ("ann", "dee"):
        cohorts.add_member(session, gamma.id, people[name].id)
    cohorts.assign_assessor(session, gamma.id, assessor.id)
    html = client.get("/reports/modules/basics").get_data(as_text=True)
    assert page_steps(html)[0] == ("started", 5) and page_steps(html)[-1] == ("completed", 2)
    html = client.get(f"/reports/modules/basics?cohort={gamma.id}").get_data(as_text=True)
    assert page_steps(html)[0] == ("started", 2)

    # Someone else's cohort, a cohort that does not exist, an id that is no number: 404.
    for wanted in (beta.id, 9999, "x", "99999999999999999999999"):
        for path in ("/reports/modules", "/reports/modules/basics", "/reports/modules/basics.csv"):
            assert client.get(f"{path}?cohort={wanted}").status_code == 404, (path, wanted)


def test_an_assessor_without_cohorts_sees_nobody(app, session, world):
    client = login(app, session, "new@example.org", Role.ASSESSOR)
    html = client.get("/reports/modules/basics").get_data(as_text=True)
    assert page_steps(html)[0] == ("started", 0)
    assert "not assigned to any cohort" in html


def test_learners_get_403_and_visitors_the_login_page(app, session, world):
    learner = login(app, session, "learner@example.org")
    paths = ["/reports/modules", "/reports/modules/basics", "/reports/modules/basics.csv"]
    for path in paths:
        assert learner.get(path).status_code == 403
        assert learner.get(f"{path}?cohort=1").status_code == 403
    visitor = app.test_client()
    for path in paths:
        response = visitor.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unknown_module_is_404(app, session):
    client = login(app, session, "admin@example.org", Role.ADMIN)
    assert client.get("/reports/modules/nope").status_code == 404
    assert client.get("/reports/modules/nope.csv").status_code == 404
