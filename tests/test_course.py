"""The bundled course, walked end to end: every page opens, every link resolves, every quiz
can be passed with its own answer key."""

from __future__ import annotations

import re
from typing import Any

import pytest

from cocourse.config import Defaults
from cocourse.content.loader import load_course
from cocourse.db import get_session
from cocourse.models import Role
from cocourse.questions.base import Question
from cocourse.questions.text import word_count
from cocourse.quiz import engine as quizzes

from .conftest import AuthActions, make_app

HREF = re.compile(r'(?:href|src)="(/modules/[^"#?]+)')


@pytest.fixture
def course_app(engine, database_url, tmp_path):
    return make_app(database_url, tmp_path, CONTENT_DIR=Defaults.CONTENT_DIR)


def right_answer(question: Question) -> Any:
    """A response that earns full marks, built from the question's own key."""
    correct = [a for a in question.answers if a.correct]
    if question.type in ("single-choice", "true-false"):
        return correct[0].id
    if question.type == "multiple-choice":
        return [a.id for a in correct]
    if question.type == "short-text":
        return correct[0].text
    if question.type == "numeric":
        low, high = next(iter(question.options["ranges"].values()))
        return str((low + high) / 2)
    if question.type == "ordering":
        return [a.id for a in question.answers]
    if question.type == "matching":
        return {a.id: a.id for a in question.answers}
    if question.type == "reflection":
        return "word " * max(question.options.get("min_words", 0), 1)
    raise AssertionError(f"no right answer known for {question.type}")


def test_the_course_has_three_tracks_and_loads_cleanly():
    result = load_course(Defaults.CONTENT_DIR)
    assert result.errors == (), "\n".join(map(str, result.errors))
    assert result.problems == (), "\n".join(map(str, result.problems))  # warnings too
    assert [t.slug for t in result.course.tracks] == [
        "tasting",
        "facilitator-training",
        "certification",
    ]


def test_every_page_and_link_opens(course_app, session):
    client = course_app.test_client()
    auth = AuthActions(client, session)
    auth.create("admin@example.org", Role.ADMIN)  # admins are never locked out
    auth.login("admin@example.org")
    course = course_app.extensions["cocourse.course"].course
    pages = ["/", "/certification/"] + [f"/modules/{m.slug}" for m in course.modules]
    pages += [f"/certification/{p.slug}" for p in course.programs]
    pages += [f"/modules/{m.slug}/{lesson.slug}" for m in course.modules for lesson in m.lessons]
    linked: set[str] = set()
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        linked.update(HREF.findall(response.get_data(as_text=True)))
    for target in sorted(linked - set(pages)):
        with client.get(target) as response:
            assert response.status_code == 200, target


def test_the_programme_is_declared_in_content_with_the_guides_rules(course_app):
    (program,) = course_app.extensions["cocourse.course"].course.programs
    assert program.exam.quiz == "final-exam"
    assert dict(program.exam.domain_minimums) == {f"domain-{i}": 60 for i in range(1, 7)}
    rule = program.practicum
    assert (rule.sessions, rule.lead, rule.co_facilitated, rule.lead_beyond_team) == (6, 2, 4, 1)
    assert [c.id for c in program.rubric.criteria] == [f"domain-{i}" for i in range(1, 7)]
    assert program.renewal is not None and program.renewal.quiz == "refresher-quiz"


def test_every_quiz_can_be_passed_and_failed(course_app, session):
    user = AuthActions(None, session).create()
    course = course_app.extensions["cocourse.course"].course
    pm = course_app.extensions["cocourse.plugins"]
    types = course_app.extensions["cocourse.question_types"]
    quiz_lessons = [(m, lesson) for m in course.modules for lesson in m.lessons if lesson.quiz]
    assert quiz_lessons
    with course_app.app_context():
        for module, lesson in quiz_lessons:
            for question in lesson.questions:
                grade = types[question.type].grade(question, right_answer(question))
                assert grade.score in (1.0, None), question.id
            attempt = quizzes.start(get_session(), user.id, module, lesson)
            shown = [q for q, _ in quizzes.view(attempt).questions]
            answers = {q.id: right_answer(q) for q in shown}
            attempt, _ = quizzes.submit(get_session(), pm, attempt.id, user.id, answers, types)
            assert attempt.percent == 100.0 and attempt.passed, lesson.quiz.id
            if lesson.quiz.attempts is None or lesson.quiz.attempts > 1:
                attempt = quizzes.start(get_session(), user.id, module, lesson)
                attempt, _ = quizzes.submit(get_session(), pm, attempt.id, user.id, {}, types)
                assert not attempt.passed, lesson.quiz.id


def test_every_reflection_asks_for_a_sensible_length():
    course = load_course(Defaults.CONTENT_DIR).course
    for module in course.modules:
        for lesson in module.lessons:
            for question in lesson.questions:
                if question.type == "reflection":
                    assert 0 < question.options["min_words"] <= 300, question.id
                    assert word_count(question.prompt) > 3, question.id


def test_the_programme_page_says_what_it_asks(course_app, session):
    client = course_app.test_client()
    auth = AuthActions(client, session)
    auth.create()
    auth.login()
    page = client.get("/certification/internal-co-creation-facilitator").get_data(as_text=True)
    assert "Enrolment opens once you complete Tasting, Facilitator training." in page
    assert "at least 60% in each of its 6 competency domains" in page
    assert "Log at least 6 qualifying sessions within 12 months" in page
