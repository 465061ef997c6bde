"""The bundled course's certification exam: its bank, its blueprint and its fairness.

The programme's rules (see the exam lesson): 40 questions per attempt from a bank of at
least 100, at least 14 per competency domain, at least 70% scenarios; every attempt holds at
least 6 questions per domain, 2 per module of the Tasting and Facilitator tracks and 8
scenarios. These tests read the real course with the real Markdown parser and run the
real draw.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest

from cocourse.config import Defaults
from cocourse.content.loader import load_course
from cocourse.content.model import Course, Lesson
from cocourse.quiz.engine import pick

EXAM, REFRESHER = "final-exam", "refresher-quiz"
DOMAINS = [f"domain-{n}" for n in range(1, 7)]
DRAWS = 10_000


@pytest.fixture(scope="module")
def loaded():
    return load_course(Defaults.CONTENT_DIR)


@pytest.fixture(scope="module")
def course(loaded) -> Course:
    return loaded.course


def quiz_lesson(course: Course, quiz_id: str) -> Lesson:
    found = course.quiz(quiz_id)
    assert found is not None, quiz_id
    return found[1]


def studied_modules(course: Course) -> list[str]:
    """The modules of the Tasting and Facilitator tracks: what the exam covers."""
    return [
        module.slug
        for track in course.tracks
        if track.slug in ("tasting", "facilitator-training")
        for module in track.modules
    ]


def module_tag(slug: str) -> str:
    """`tasting-03-meeting-practices` is tagged `module-tasting-03`."""
    return "module-" + "-".join(slug.split("-")[:2])


def test_the_bank_is_large_varied_and_tagged_once_per_dimension(course):
    questions = quiz_lesson(course, EXAM).questions
    assert len(questions) >= 100
    modules = {module_tag(slug) for slug in studied_modules(course)}
    for question in questions:
        tags = set(question.tags)
        assert len(tags & set(DOMAINS)) == 1, question.id
        assert len({t for t in tags if t.startswith("module-")}) == 1, question.id
        assert tags & modules, f"{question.id}: no module of the Tasting or Facilitator tracks"
    domains = Counter(t for q in questions for t in q.tags if t in DOMAINS)
    assert min(domains[d] for d in DOMAINS) >= 14, domains
    scenarios = sum("scenario" in q.tags for q in questions)
    assert scenarios >= 0.7 * len(questions), f"{scenarios} of {len(questions)}"
    per_module = Counter(t for q in questions for t in q.tags if t in modules)
    assert set(per_module) == modules and min(per_module.values()) >= 4, per_module


def test_every_draw_meets_the_blueprint(course):
    """10,000 simulated attempts: each holds 40 questions, at least 6 of every domain, 2 of
    every module and 8 scenarios; and every question of the bank comes up."""
    lesson = quiz_lesson(course, EXAM)
    settings, questions = lesson.quiz, lesson.questions
    assert settings is not None and settings.draw == 40
    modules = [module_tag(slug) for slug in studied_modules(course)]
    seen: Counter[str] = Counter()
    shortfalls = []
    for seed in range(DRAWS):
        chosen = sorted(pick(questions, settings, random.Random(seed)))
        drawn = [questions[i] for i in chosen]
        tags = Counter(t for q in drawn for t in q.tags)
        short = [d for d in DOMAINS if tags[d] < 6] + [m for m in modules if tags[m] < 2]
        if len(drawn) != 40 or tags["scenario"] < 8 or short:
            shortfalls.append((seed, len(drawn), tags["scenario"], short))
        seen.update(q.id for q in drawn)
    assert shortfalls == []
    assert set(seen) == {q.id for q in questions}


def test_the_programme_measures_every_domain_the_draw_guarantees(course):
    program = course.programs[0]
    assert program.exam is not None and program.exam.quiz == EXAM
    assert dict(program.exam.domain_minimums) == dict.fromkeys(DOMAINS, 60)


@pytest.mark.parametrize("quiz_id", [EXAM, REFRESHER])
def test_no_item_quality_warning_in_the_exam_or_the_refresher(loaded, course, quiz_id):
    """Zero W210-W215 in the exam and the refresher: no length cue, balanced true/false
    keys, no "all of the above", no near-copy of a practice question, no hidden "not"."""
    path = Path(quiz_lesson(course, quiz_id).path)
    found = [str(p) for p in loaded.problems if Path(p.path).resolve() == path.resolve()]
    assert found == []
