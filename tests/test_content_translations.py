"""Translated lessons and modules: read beside their originals, checked against them."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from cocourse.content.loader import load_course

FIXTURE = Path(__file__).parent / "fixtures" / "quiz_course"
CONTENT = Path(__file__).parent.parent / "content" / "modules"

MODULE_NL = """---
title: Controleer jezelf
track: only
order: 1
summary: Quizzen van elke soort.
estimated_minutes: 10
translation_of: {digest}
---
Een module om te oefenen.
"""

READING_NL = """---
translation_of: {digest}
---
# Lezen

Wat leeswerk voor de quizzen.
"""

QUIZ_NL = """---
title: Elke soort vraag
quiz:
  id: every-kind
  pass_mark: 60
  attempts: 3
translation_of: {digest}
---
Beantwoord de vragen hieronder.

```quiz single-choice q-single
Wat past het best bij cocreatie?

- [ ] De manager beslist alleen.
- [x] De betrokkenen geven het resultaat mee vorm.
- [ ] Een team van experts beslist.
```
"""


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_text(encoding="utf-8").encode("utf-8")).hexdigest()[:12]


@pytest.fixture
def course_dir(tmp_path):
    folder = tmp_path / "course"
    shutil.copytree(FIXTURE, folder)
    module = folder / "check"
    # The translated quiz: the original's first question only, so drop the others there.
    quiz = module / "02-quiz.md"
    text = quiz.read_text()
    quiz.write_text(text[: text.index("```quiz multiple-choice")])
    (module / "module.nl.md").write_text(MODULE_NL.format(digest=digest(module / "module.md")))
    (module / "01-reading.nl.md").write_text(
        READING_NL.format(digest=digest(module / "01-reading.md"))
    )
    (module / "02-quiz.nl.md").write_text(QUIZ_NL.format(digest=digest(quiz)))
    return folder


def codes(result, name=None):
    return sorted(
        (p.code, Path(p.path).name, p.line)
        for p in result.problems
        if name is None or Path(p.path).name == name
    )


def test_a_translation_is_read_beside_its_original(course_dir):
    result = load_course(course_dir)
    assert result.errors == ()
    module = result.course.module("check")
    dutch = module.in_language("nl")
    assert dutch.title == "Controleer jezelf"
    assert dutch.language == "nl"
    assert "Een module om te oefenen." in dutch.intro_html
    reading, quiz = dutch.lessons[0], dutch.lessons[1]
    assert (reading.slug, reading.title, reading.language) == ("reading", "Lezen", "nl")
    assert quiz.title == "Elke soort vraag"
    assert "De betrokkenen geven" in quiz.questions[0].prompt_html + str(quiz.questions[0].answers)
    # Same versions as the original: attempts in both languages count together.
    original = module.lessons[1]
    assert quiz.content_hash == original.content_hash
    assert quiz.questions[0].source_hash == original.questions[0].source_hash
    assert quiz.quiz == original.quiz
    # Lessons without a translation stay the original; French readers see the original.
    assert dutch.lessons[2] is module.lessons[2]
    assert module.in_language("fr") is module
    assert result.course.in_language("fr") is result.course
    assert result.course.in_language("nl").module("check").title == "Controleer jezelf"
    assert result.course.in_language("nl").quiz("every-kind")[1].language == "nl"


def test_missing_translations_are_reported_per_file(course_dir):
    result = load_course(course_dir)
    assert ("W220", "03-once.md", 1) in codes(result)
    assert ("W220", "04-pool.md", 1) in codes(result)
    assert not [c for c in codes(result) if c[1] in ("01-reading.md", "module.md")]


def test_a_changed_original_makes_its_translation_stale(course_dir):
    reading = course_dir / "check" / "01-reading.md"
    reading.write_text(reading.read_text() + "\nOne more sentence.\n")
    result = load_course(course_dir)
    stale = [p for p in result.problems if p.code == "W221"]
    assert len(stale) == 1
    assert stale[0].path.endswith("01-reading.nl.md")
    assert stale[0].line == 2
    assert f"translation_of: {digest(reading)}" in stale[0].message


def test_a_translation_without_its_digest_is_reported(course_dir):
    path = course_dir / "check" / "01-reading.nl.md"
    path.write_text("# Lezen\n\nWat leeswerk.\n")
    problems = [p for p in load_course(course_dir).problems if p.code == "W221"]
    assert [Path(p.path).name for p in problems] == ["01-reading.nl.md"]
    assert "translation_of: " in problems[0].message


@pytest.mark.parametrize(
    ("old", "new", "code", "words"),
    [
        ("- [ ] Een team van experts beslist.\n", "", "C197", "has 2 answers, the original 3"),
        (
            "- [ ] De manager beslist alleen.\n- [x] De",
            "- [x] De manager beslist alleen.\n- [ ] De",
            "C197",
            "marks other answers right",
        ),
        ("q-single", "q-other", "C197", "question 'q-single' of the original is missing"),
        ("single-choice q-single", "multiple-choice q-single", "C197", "is a multiple-choice"),
        ("pass_mark: 60", "pass_mark: 50", "C196", "front matter 'quiz' differs"),
    ],
)
def test_a_translation_that_changes_the_quiz_is_an_error(course_dir, old, new, code, words):
    path = course_dir / "check" / "02-quiz.nl.md"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    result = load_course(course_dir)
    assert result.course is None
    found = [p for p in result.problems if p.code == code and p.path == str(path)]
    assert found and words in found[0].message, result.problems


def test_a_translation_keeps_the_links_and_images(course_dir):
    path = course_dir / "check" / "01-reading.nl.md"
    path.write_text(path.read_text() + "\nZie [de quiz](02-quiz.md) en ![x](pic.png).\n")
    result = load_course(course_dir)
    found = [p for p in result.problems if p.code == "C198"]
    assert [(p.line, "02-quiz.md" in p.message) for p in found][0] == (8, True)
    assert result.course is None


def test_a_translation_may_point_at_its_own_headings(course_dir):
    original = course_dir / "check" / "01-reading.md"
    original.write_text(original.read_text() + "\nSee [the quiz](02-quiz.md#top).\n")
    path = course_dir / "check" / "01-reading.nl.md"
    text = path.read_text().replace(digest(original), "x")
    path.write_text(text + "\nZie [de quiz](02-quiz.md#boven).\n")
    result = load_course(course_dir)
    assert not [p for p in result.problems if p.code == "C198"]


@pytest.mark.parametrize(
    ("name", "code", "words"),
    [
        ("01-reading.de.md", "C195", "'de'"),
        ("01-reading.xx-yy.md", "C195", "'xx-yy'"),
        ("09-nothing.nl.md", "C196", "a translation of 09-nothing.md"),
    ],
)
def test_a_file_name_that_names_no_usable_translation(course_dir, name, code, words):
    (course_dir / "check" / name).write_text("# Iets\n\nTekst.\n")
    result = load_course(course_dir)
    found = [p for p in result.problems if Path(p.path).name == name]
    assert [p.code for p in found] == [code]
    assert words in found[0].message
    assert result.course is None


def test_the_bundled_tasting_track_is_translated():
    result = load_course(CONTENT)
    assert result.errors == ()
    assert not [p for p in result.problems if p.code in ("W220", "W221")]
    tasting = result.course.track("tasting")
    dutch = result.course.in_language("nl").track("tasting")
    for module, translated in zip(tasting.modules, dutch.modules, strict=True):
        assert translated.language == "nl", module.slug
        assert [lesson.language for lesson in translated.lessons] == ["nl"] * len(module.lessons)
    first = result.course.in_language("fr").track("tasting").modules[0]
    assert first.language == "fr"
    assert all(lesson.language == "fr" for lesson in first.lessons)


TRACKS_NL = """tracks:
  - slug: only
    title: Only track
    summary: A track with quizzes.
    translations:
      nl: {title: Enige leerlijn, summary: Een leerlijn met quizzen.}
"""


def test_a_track_is_translated_in_tracks_yml(course_dir):
    (course_dir / "tracks.yml").write_text(TRACKS_NL)
    course = load_course(course_dir).course
    assert course.track("only").title == "Only track"
    dutch = course.in_language("nl").track("only")
    assert (dutch.title, dutch.summary) == ("Enige leerlijn", "Een leerlijn met quizzen.")
    assert dutch.modules[0].title == "Controleer jezelf"


@pytest.mark.parametrize(
    ("entry", "code", "words"),
    [
        ("de: {title: Nur, summary: Eine.}", "C195", "translations key gives the language 'de'"),
        ("nl: {title: Enige}", "C102", "needs a 'title' and a 'summary'"),
        ("nl: Enige leerlijn", "C102", "needs a 'title' and a 'summary'"),
    ],
)
def test_a_broken_track_translation_is_named_with_its_line(course_dir, entry, code, words):
    text = TRACKS_NL.replace(
        "nl: {title: Enige leerlijn, summary: Een leerlijn met quizzen.}", entry
    )
    (course_dir / "tracks.yml").write_text(text)
    result = load_course(course_dir)
    found = [p for p in result.problems if p.code == code]
    assert found and words in found[0].message
    assert found[0].line == 5


def test_a_programme_is_named_in_the_holders_language(tmp_path):
    course_copy = tmp_path / "course"
    shutil.copytree(CONTENT, course_copy)
    program = load_course(course_copy).course.program("internal-co-creation-facilitator")
    assert program.title_in(None) == "Certified Internal Co-creation Facilitator"
    assert program.title_in("nl") == "Gecertificeerd intern cocreatiefacilitator"
    assert program.title_in("fr") == "Facilitateur interne certifié en cocréation"
    assert program.summary_in("fr").startswith("Pour les collaborateurs")
    assert program.title_in("de") == program.title
    path = course_copy / "programs.yml"
    path.write_text(path.read_text().replace("      fr:\n", "      es:\n", 1))
    result = load_course(course_copy)
    found = [p for p in result.problems if p.code == "C195"]
    assert found and "'es'" in found[0].message and found[0].path == str(path)


NUMERIC = """---
title: {title}
quiz:
  id: numbers
---
```quiz numeric q-minutes
{prompt}

- [x] {answer}
```
"""


def test_a_translated_number_stays_the_same(course_dir):
    module = course_dir / "check"
    original = module / "05-numbers.md"
    original.write_text(NUMERIC.format(title="Numbers", prompt="How long?", answer="12"))
    translation = NUMERIC.format(title="Getallen", prompt="Hoe lang?", answer="15")
    (module / "05-numbers.nl.md").write_text(translation)
    found = [p for p in load_course(course_dir).problems if p.code == "C197"]
    assert [p.message for p in found] == [
        "question 'q-minutes' has other numbers than the original"
    ]
    (module / "05-numbers.nl.md").write_text(translation.replace("15", "12"))
    assert not [p for p in load_course(course_dir).problems if p.code == "C197"]
