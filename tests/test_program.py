"""Certification programmes in programs.yml: parsed into frozen rules, checked by the linter."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cocourse.config import Defaults
from cocourse.content.lint import lint_path
from cocourse.content.loader import load_course

from .conftest import COURSE, FIXTURES

PROGRAM_COURSE = FIXTURES / "program_course"


@pytest.fixture
def program_copy(tmp_path: Path) -> Path:
    """A writable copy of the fixture course with a programme."""
    target = tmp_path / "course"
    shutil.copytree(PROGRAM_COURSE, target)
    return target


def edit(root: Path, old: str, new: str) -> str:
    """Replace text in the copy's programs.yml once; the new text."""
    file = root / "programs.yml"
    text = file.read_text(encoding="utf-8")
    assert old in text, old
    text = text.replace(old, new, 1)
    file.write_text(text, encoding="utf-8")
    return text


def line_of(text: str, needle: str) -> int:
    """The line on which `needle` first appears."""
    assert needle in text, needle
    return text[: text.index(needle)].count("\n") + 1


def programs_problems(root: Path) -> list[tuple[int, str]]:
    """The (line, code) of every problem reported in programs.yml."""
    return [(p.line, p.code) for p in lint_path(root) if Path(p.path).name == "programs.yml"]


def test_the_bundled_programme_follows_the_course_guide():
    course = load_course(Defaults.CONTENT_DIR).course
    assert course is not None
    (program,) = course.programs
    assert course.program(program.slug) is program
    assert program.title == "Certified Internal Co-creation Facilitator"
    assert program.track == "certification"
    assert program.prerequisites == ("tasting", "facilitator-training")
    assert program.exam is not None and program.exam.quiz == "final-exam"
    assert program.exam.domain_minimums == tuple((f"domain-{i}", 60) for i in range(1, 7))
    practicum = program.practicum
    assert (practicum.sessions, practicum.lead, practicum.co_facilitated) == (6, 2, 4)
    assert (practicum.lead_beyond_team, practicum.min_minutes, practicum.min_participants) == (
        1,
        60,
        5,
    )
    assert (practicum.reflection_within_days, practicum.within_months) == (7, 12)
    assert (practicum.reflection_min_words, practicum.reflection_max_words) == (250, 600)
    assert len(practicum.prompts) == 6
    assert [c.id for c in program.rubric.criteria] == [f"domain-{i}" for i in range(1, 7)]
    assert program.rubric.passing_levels == ("demonstrated", "strong")
    assert (program.validity_days, program.expiring_soon_days, program.grace_days) == (
        1095,
        90,
        90,
    )
    renewal = program.renewal
    assert renewal is not None
    assert (renewal.window_days, renewal.sessions, renewal.lead) == (180, 6, 2)
    assert renewal.quiz == "refresher-quiz" and renewal.reflection_min_words == 500
    module, lesson = course.quiz("refresher-quiz") or (None, None)
    assert lesson is not None and lesson.optional
    assert lesson.quiz is not None and lesson.quiz.draw == 20 and lesson.quiz.pass_mark == 80
    assert len(lesson.questions) >= 24
    assert all(a.feedback for q in lesson.questions for a in q.answers), "feedback on every answer"


def test_every_part_of_a_programme_is_read(program_copy):
    result = load_course(program_copy)
    assert result.problems == ()
    assert result.course is not None
    program = result.course.program("test-cert")
    assert program is not None and result.course.program("nope") is None
    assert program.path.endswith("programs.yml") and program.line == 3
    assert program.required_modules == ("basics-intro", "cert-exam")
    assert program.exam is not None
    assert program.exam.domain_minimums == (("domain-a", 60), ("domain-b", 50))
    assert [p.id for p in program.practicum.prompts] == ["what", "why"]
    levels = program.rubric.levels
    assert [(lv.id, lv.passing) for lv in levels] == [("not-yet", False), ("done", True)]
    assert levels[1].description_html == "<p>Consistent <strong>evidence</strong>.</p>\n"
    (criterion,) = program.rubric.criteria
    # Relative links are resolved like in lessons, from the folder of programs.yml.
    assert 'href="/modules/cert-exam/exam"' in criterion.description_html
    # What each level looks like for this criterion, in the levels' order.
    assert [level for level, _ in criterion.levels_html] == ["not-yet", "done"]
    assert criterion.descriptor("done") == (
        "<p>Leaves the content to the group, <strong>every</strong> time.</p>\n"
    )
    assert criterion.descriptor("nope") == ""
    renewal = program.renewal
    assert renewal is not None
    assert (renewal.quiz, renewal.development_hours, renewal.reflection_max_words) == (
        "refresher",
        8,
        None,
    )


def test_a_course_without_programs_yml_has_no_programmes():
    result = load_course(COURSE)
    assert result.problems == ()
    assert result.course is not None
    assert result.course.programs == ()
    assert result.course.program("anything") is None


def test_optional_sections_may_be_left_out(program_copy):
    text = (program_copy / "programs.yml").read_text(encoding="utf-8")
    text = text[: text.index("    exam:")] + text[text.index("    practicum:") :]
    text = text[: text.index("    renewal:")]
    (program_copy / "programs.yml").write_text(text, encoding="utf-8")
    result = load_course(program_copy)
    assert result.course is not None, result.problems
    program = result.course.programs[0]
    assert program.exam is None and program.renewal is None


# (text to replace, replacement, text on the expected line, code)
BROKEN = [
    ("    title: Test certificate", "    title: Test: certificate", "title: Test:", "C180"),
    ("programs:\n", "programs: 3\nother:\n", "programs: 3", "C180"),
    ("  - slug: test-cert", "  - just a name\n  - slug: test-cert", "- just a name", "C180"),
    ("    validity_days: 1095", "    validity_day: 1095", "validity_day:", "C181"),
    ("      min_minutes: 60", "      min_minute: 60", "min_minute:", "C181"),
    (
        "          title: Stance\n",
        "          title: Stance\n          weight: 2\n",
        "weight",
        "C181",
    ),
    ("    title: Test certificate\n", "", "- slug: test-cert", "C182"),
    ("        within_days: 7\n", "", "      reflection:", "C182"),
    ("          passing: true\n", "", "- id: done", "C182"),
    ("      min_minutes: 60", "      min_minutes: sixty", "min_minutes: sixty", "C183"),
    (
        "      sessions: 6\n      lead: 2\n      co",
        "      sessions: 0\n      lead: 2\n      co",
        "sessions: 0",
        "C183",
    ),
    ("        domain-b: 50", "        domain-b: 120", "domain-b: 120", "C183"),
    ("    prerequisites: [basics]", "    prerequisites: basics", "prerequisites:", "C183"),
    ("          passing: false", "          passing: maybe", "passing: maybe", "C183"),
    ("      criteria:\n", "      criteria: []\n      old_criteria:\n", "criteria: []", "C183"),
    ("            not-yet: Takes", "            not-done: Takes", "not-done:", "C181"),
    ("            not-yet: Takes sides on the content.\n", "", "          levels:\n", "C182"),
    (
        "            done: Leaves the content to the group, **every** time.",
        "            done: 3",
        "done: 3",
        "C183",
    ),
    ("    grace_days: 90", "    grace_days: -1", "grace_days: -1", "C183"),
    ("      lead: 2\n      co", "      lead: 3\n      co", "lead: 3", "C184"),
    ("      lead_beyond_team: 1", "      lead_beyond_team: 3", "lead_beyond_team: 3", "C184"),
    ("        min_words: 250", "        min_words: 700", "min_words: 700", "C184"),
    ("      window_days: 180", "      window_days: 2000", "window_days: 2000", "C184"),
    ("    expiring_soon_days: 90", "    expiring_soon_days: 1095", "expiring_soon_days", "C184"),
    ("      lead: 2\n      quiz", "      lead: 7\n      quiz", "lead: 7", "C184"),
    ("[basics]", "[basics, cert]", "prerequisites: [basics, cert]", "C184"),
    ("  - slug: test-cert", "  - slug: Test Cert", "slug: Test Cert", "C185"),
    ("          - id: why", "          - id: what", "- id: what\n            text: Why", "C185"),
    ("        - id: done", "        - id: not-yet", "- id: not-yet\n          title: Done", "C185"),
    ("    grace_days: 90\n", "    grace_days: 90\n    grace_days: 30\n", "grace_days: 30", "C185"),
    ("        domain-b: 50", "        domain-a: 50", "domain-a: 50", "C185"),
    ("    track: cert", "    track: certification", "track: certification", "C186"),
    ("    prerequisites: [basics]", "    prerequisites:\n      - basic", "- basic", "C186"),
    ("[basics-intro, cert-exam]", "[basics-intro, cert-exams]", "required_modules", "C187"),
    ("      quiz: exam", "      quiz: exams", "quiz: exams", "C188"),
    ("      quiz: refresher", "      quiz: refresh", "quiz: refresh", "C188"),
    ("        domain-b: 50", "        domain-c: 50", "domain-c: 50", "C189"),
    ("          passing: true", "          passing: false", "      levels:", "C190"),
    (
        "passing: false\n        - id: done\n          title: Done\n          passing: true",
        "passing: true\n        - id: done\n          title: Done\n          passing: false",
        "- id: done",
        "C190",
    ),
    (
        "See [the exam](cert-exam/01-exam.md).",
        "See [the exam](cert-exam/09-nope.md).",
        "09-nope",
        "C130",
    ),
    ("Consistent **evidence**.", "See [it](javascript:alert(1)).", "javascript", "C133"),
]


@pytest.mark.parametrize(("old", "new", "at", "code"), BROKEN, ids=[b[3] for b in BROKEN])
def test_each_problem_is_reported_on_its_line(program_copy, old, new, at, code):
    text = edit(program_copy, old, new)
    found = programs_problems(program_copy)
    assert (line_of(text, at), code) in found, found
    assert load_course(program_copy).course is None


def test_unknown_keys_suggest_the_key_meant(program_copy):
    edit(program_copy, "    validity_days: 1095", "    validity_day: 1095")
    (problem,) = [p for p in lint_path(program_copy) if p.code == "C181"]
    assert "did you mean 'validity_days'?" in problem.message
    assert str(problem).startswith(f"{program_copy / 'programs.yml'}:{problem.line}: C181 ")


def test_a_programme_declared_twice_is_reported(program_copy):
    file = program_copy / "programs.yml"
    text = file.read_text(encoding="utf-8")
    entry = text[text.index("  - slug: test-cert") :]
    file.write_text(text + entry, encoding="utf-8")
    second = text.count("\n") + 1
    assert (second, "C185") in programs_problems(program_copy)


def test_an_empty_programs_file_is_reported(program_copy):
    (program_copy / "programs.yml").write_text("# nothing yet\n", encoding="utf-8")
    assert programs_problems(program_copy) == [(1, "C180")]


def test_a_domain_minimum_a_pool_draw_can_miss_is_a_warning(tmp_path: Path):
    course = tmp_path / "course"
    shutil.copytree(Defaults.CONTENT_DIR, course)
    exam = course / "certification-02-final-assessment" / "05-final-exam.md"
    text = exam.read_text(encoding="utf-8")
    start, end = text.index("  draw_per_tag:\n"), text.index("  review:")
    exam.write_text(text[:start] + text[end:], encoding="utf-8")
    programs = (course / "programs.yml").read_text(encoding="utf-8")
    problems = [p for p in lint_path(course) if not p.code.startswith("W21")]  # item quality
    found = [(p.line, p.code, p.severity) for p in problems]
    expected = [
        (line_of(programs, f"        domain-{i}: 60"), "W203", "warning") for i in range(1, 7)
    ]
    assert found == expected
