"""The installed plugin in real apps: found through its entry point, its widget on the attempt
page, its stylesheet served, attempts graded and reviewed, and points counted in reports."""

from __future__ import annotations

import csv
import importlib.metadata
import io
import re
import shutil
from pathlib import Path

import cocourse_likert.plugin
from conftest import COURSE, QUIZ, Learner, add_user

from cocourse.models import QuizAttempt, Role
from cocourse.plugins import make_plugin_manager, question_types
from cocourse.quiz import engine
from cocourse.testing import without_random_values

# One fully written point of the widget: its label holds its radio button and its text.
POINT = (
    '<label class="likert-point" for="q{q}-{point}"><input id="q{q}-{point}" name="q{q}" '
    'type="radio" value="{point}"> <span class="likert-label">{label}</span></label>'
)
STYLESHEET = '<link rel="stylesheet" href="/plugins/likert/static/likert.css">'


def stored_attempt(app, attempt_id):
    """The attempt as stored, read in a session of its own."""
    with app.extensions["cocourse.sessionmaker"]() as session:
        attempt = session.get(QuizAttempt, attempt_id)
        session.expunge(attempt)
        return attempt


def test_the_installed_plugin_is_found_through_the_entry_point(app):
    found = [ep for ep in importlib.metadata.entry_points(group="cocourse") if ep.name == "likert"]
    assert [ep.value for ep in found] == ["cocourse_likert.plugin"]
    assert app.config["PLUGINS"] == []  # only the entry point can have brought it in
    assert app.extensions["cocourse.plugins"].get_plugin("likert") is cocourse_likert.plugin
    assert type(app.extensions["cocourse.question_types"]["likert"]).__name__ == "Likert"
    # It can be switched off by its entry-point name, and then adds nothing.
    assert "likert" not in question_types(make_plugin_manager(disabled=["likert"]))


def test_a_learner_answers_on_the_scale_and_the_attempt_is_graded(app, learner_of):
    learner = learner_of(app)  # signs up, which logs in
    learner.log_out()
    learner.log_in()
    attempt_id = learner.start_quiz()
    page = learner.page(f"/quiz/attempts/{attempt_id}")

    # The plugin's own widget: a fieldset per question, a labelled radio button per point.
    # Only the five short agreement points stay a row on phones; wider scales are "long".
    assert page.count('<fieldset class="likert" data-question-type="likert">') == 1
    assert page.count('<fieldset class="likert likert-long" data-question-type="likert">') == 3
    assert (
        '<legend class="likert-legend">Your answer, from Strongly disagree to Strongly agree'
        "</legend>" in page
    )
    for point, label in enumerate(["Never", "Rarely", "Sometimes", "Often", "Always"], 1):
        assert POINT.format(q=1, point=point, label=label) in page
    assert POINT.format(q=0, point=3, label="Neither agree nor disagree") in page
    assert POINT.format(q=3, point=7, label="Strongly agree") in page
    # Its stylesheet, linked once, from the site itself; no inline style, no inline script.
    assert page.count(STYLESHEET) == 1
    assert " style=" not in page and not re.search(r"<script(?![^>]*\ssrc=\"/static/)", page)
    # Nothing gives the acceptable points or the feedback away before submitting.
    assert "checked" not in page and "Silence is often thinking" not in page

    held = learner.submit(attempt_id, {"q0": "4", "q1": "1", "q3": "6"})  # q2 left out
    assert held.status_code == 422
    held_page = held.get_data(as_text=True)
    assert "Question 3: Choose a point on the scale before you submit." in held_page
    assert 'id="q0-4" name="q0" type="radio" value="4">' in held_page  # choices kept
    assert stored_attempt(app, attempt_id).submitted_at is None  # not graded yet

    done = learner.submit(attempt_id, {"q0": "4", "q1": "1", "q2": "3", "q3": "6"})
    assert done.status_code == 302
    assert done.headers["Location"] == f"/quiz/attempts/{attempt_id}/result"
    stored = stored_attempt(app, attempt_id)
    assert stored.answers == {
        "lk-turns": "4",
        "lk-silence": "1",
        "lk-confidence": "3",
        "lk-agenda": "6",
    }
    assert [(r["id"], r["score"]) for r in stored.results] == [
        ("lk-turns", 1.0),
        ("lk-silence", 0.0),  # worth 2 points
        ("lk-confidence", None),  # opinions are not scored
        ("lk-agenda", None),
    ]
    assert (stored.score, stored.max_score, stored.percent) == (1.0, 3.0, 33.33)
    assert stored.passed is False  # pass mark 50

    result = learner.page(done.headers["Location"])
    assert "Agree (point 4 of 5)" in result
    assert "Agree to Strongly agree (points 4\u20135 of 5)" in result  # the key
    assert "Never (point 1 of 5)" in result
    assert "Sometimes to Always (points 3\u20135 of 5)" in result
    assert "Somewhat (point 3 of 5)" in result
    assert "Agree (point 6 of 7)" in result
    assert result.count('<span class="badge">Not scored</span>') == 2
    assert "Silence is often thinking: count to five before you fill it." in result
    assert "keeps the loudest voices from deciding alone" in result


def test_pages_of_quizzes_with_other_acceptable_points_are_the_same(
    make_app, learner_of, tmp_path, monkeypatch
):
    """The question-type contract: nothing in the attempt page says which points are right."""
    other = tmp_path / "other-keys"
    shutil.copytree(COURSE, other)
    lesson = other / "check-in" / "01-opinions.md"
    text = lesson.read_text()
    assert "expect: 4-5" in text
    lesson.write_text(text.replace("expect: 4-5", "expect: 1-2"))
    monkeypatch.setattr(engine.secrets, "randbelow", lambda _n: 7)  # one seed for both
    pages = []
    for course in (COURSE, other):
        app = make_app(CONTENT_DIR=str(course))
        learner = learner_of(app)
        attempt_id = learner.start_quiz()
        html = learner.page(f"/quiz/attempts/{attempt_id}")
        snapshots = stored_attempt(app, attempt_id).questions
        pages.append(without_random_values(html, snapshots).replace(f"/{attempt_id}", "/N"))
    assert pages[0] == pages[1]


def test_the_stylesheet_is_served_from_the_site(app):
    with app.test_client().get("/plugins/likert/static/likert.css") as response:
        assert response.status_code == 200
        assert response.mimetype == "text/css"
        assert ".likert-scale" in response.get_data(as_text=True)
        assert "style-src 'self'" in response.headers["Content-Security-Policy"]


def test_item_analysis_counts_each_point_of_scored_items(app, learner_of):
    choices = [("4", "4"), ("5", "1"), ("4", "3"), ("2", "4")]  # (lk-turns, lk-silence)
    for number, (turns, silence) in enumerate(choices):
        learner = learner_of(app, f"learner{number}@example.org")
        attempt_id = learner.start_quiz()
        answers = {"q0": turns, "q1": silence, "q2": "5", "q3": "1"}
        assert learner.submit(attempt_id, answers).status_code == 302
    add_user(app, "admin@example.org", Role.ADMIN)
    admin = Learner(app, "admin@example.org")
    admin.log_in()
    report = admin.page(f"/reports/quizzes/{QUIZ}.csv")
    rows = {row["question_id"]: row for row in csv.DictReader(io.StringIO(report))}
    assert rows["lk-turns"]["options"] == "2=1;4=2;5=1"
    assert rows["lk-turns"]["type"] == "likert"
    assert rows["lk-silence"]["options"] == "1=1;3=1;4=2"
    # The core leaves unscored items out of item analysis, as it does reflections.
    assert "lk-confidence" not in rows and "lk-agenda" not in rows
    page = admin.page(f"/reports/quizzes/{QUIZ}")
    assert re.search(r"2: 1, 4: 2, 5: 1", page)


def test_the_readme_shows_the_lesson_these_tests_serve():
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    lesson = (COURSE / "check-in" / "01-opinions.md").read_text(encoding="utf-8")
    assert f"````markdown\n{lesson}````\n" in readme
