"""The messages of programs.yml, workshops.yml and the item-quality checks: English as text
(logs, tests, `str()`), and in Dutch or French when said in that language, with their values
and the place in the file (itself a message) filled in."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask, render_template_string
from flask_babel import force_locale

from cocourse.content import item_quality
from cocourse.content.loader import default_markdown, load_course
from cocourse.content.model import Problem
from cocourse.content.words import Text, say
from cocourse.content.workshop_kit import KIND_LABELS, parse_kit

from .conftest import FIXTURES


@contextmanager
def speaking(app: Flask, language: str) -> Iterator[None]:
    """Inside a request, with everything said in `language`."""
    with app.test_request_context(), force_locale(language):
        yield


@pytest.fixture
def program_copy(tmp_path: Path) -> Path:
    """A writable copy of the fixture course with a programme."""
    target = tmp_path / "course"
    shutil.copytree(FIXTURES / "program_course", target)
    return target


def programs_problems(root: Path, old: str, new: str) -> list[Problem]:
    """The problems of programs.yml once `old` is replaced by `new` in it."""
    file = root / "programs.yml"
    text = file.read_text(encoding="utf-8")
    assert old in text, old
    file.write_text(text.replace(old, new, 1), encoding="utf-8")
    result = load_course(root)
    assert result.course is None
    return [p for p in result.problems if Path(p.path).name == "programs.yml"]


def test_a_programme_problem_names_its_place_in_the_readers_language(app, program_copy):
    (problem,) = programs_problems(program_copy, "min_words: 250", "min_words: 700")
    english = (
        "programme 'test-cert' practicum reflection: 'min_words' (700) is more than "
        "'max_words' (600)"
    )
    assert problem.code == "C184" and problem.message == english
    assert isinstance(problem.message, Text)
    assert str(problem).endswith(f"programs.yml:{problem.line}: C184 {english}")
    with speaking(app, "nl"):
        assert say(problem.message) == (
            "programma 'test-cert', praktijkopdracht, reflectie: 'min_words' (700) is groter "
            "dan 'max_words' (600)"
        )
    with speaking(app, "fr"):
        assert problem.said().endswith(
            "C184 programme 'test-cert', mise en pratique, réflexion : 'min_words' (700) est "
            "supérieur à 'max_words' (600)"
        )
    with app.test_request_context():  # English, without a choice
        assert say(problem.message) == english


def test_a_misspelt_key_is_named_with_the_key_meant(app, program_copy):
    problems = programs_problems(program_copy, "      window_days: 180", "      window_day: 180")
    (problem,) = [p for p in problems if p.code == "C181"]
    assert problem.message == (
        "programme 'test-cert' renewal: unknown key 'window_day' (did you mean 'window_days'?)"
    )
    with speaking(app, "nl"):
        assert say(problem.message) == (
            "programma 'test-cert', vernieuwing: onbekende sleutel 'window_day' "
            "(bedoel je 'window_days'?)"
        )
    with speaking(app, "fr"):
        assert say(problem.message) == (
            "programme 'test-cert', renouvellement : clé inconnue 'window_day' "
            "(vouliez-vous dire 'window_days' ?)"
        )


KIT = """\
templates:
  - id: tasting-short
    title: A short tasting
    kind: tasting
    minutes: 60
    blocks:
      - title: Check-in
        minutes: 15
      - title: 1-2-4-All
        minutes: 30
  - id: tasting-short
    title: The same id
    kind: tasting
    minutes: 30
    blocks:
      - title: All of it
        minutes: 30
feedback:
  - id: useful
    ask: How useful was it?
    scale: 5
"""


def test_workshop_kit_problems_are_said_with_their_numbers(app):
    kit, problems = parse_kit(KIT, "workshops.yml", default_markdown(), ["intro"])
    assert kit.templates == ()
    assert [(p.code, p.line) for p in problems] == [("C191", 6), ("C185", 11)]
    blocks, twice = (p.message for p in problems)
    assert blocks == (
        "template 'tasting-short': the blocks add up to 45 minutes, not the 60 the template lasts"
    )
    assert twice == "template 'tasting-short' is already declared on line 2"
    with speaking(app, "nl"):
        assert say(blocks) == (
            "sjabloon 'tasting-short': de blokken duren samen 45 minuten, niet de 60 minuten van "
            "het sjabloon"
        )
        assert say(twice) == "sjabloon 'tasting-short' staat al op regel 2"
    with speaking(app, "fr"):
        assert say(blocks) == (
            "modèle 'tasting-short' : les blocs totalisent 45 minutes, et non les 60 minutes que "
            "dure le modèle"
        )
        assert say(twice) == "modèle 'tasting-short' figure déjà à la ligne 2"


def test_a_broken_kit_file_is_said_with_the_yaml_parsers_words(app):
    _kit, (problem,) = parse_kit("templates: [", "workshops.yml", default_markdown(), [])
    assert problem.message.startswith("workshops.yml is not valid YAML: ")
    parser_words = problem.message.removeprefix("workshops.yml is not valid YAML: ")
    with speaking(app, "nl"):
        assert say(problem.message) == f"workshops.yml is geen geldige YAML: {parser_words}"


def test_the_kinds_of_workshop_are_named_in_the_pages_language(app):
    assert KIND_LABELS["tasting"] == "Tasting workshop"
    page = "{{ labels['tasting'] }} / {{ labels['exchange'] }}"
    with speaking(app, "nl"):
        html = render_template_string(page, labels=KIND_LABELS)
        assert html == "Proeverij / Leer- en uitwisselplek"
    with speaking(app, "fr"):
        html = render_template_string(page, labels=KIND_LABELS)
        assert html == "Atelier découverte / Lieu d&#39;apprentissage et d&#39;échange"


def test_an_allow_setting_is_explained_with_a_translated_example(app):
    (missing,) = item_quality.allow_problems({"W210": " "}, quiz_level=False)
    assert missing == (
        'W210 needs a reason, like allow: {W213: "the options are the four parts of one process"}'
    )
    (whole_quiz,) = item_quality.allow_problems({"W211": "why"}, quiz_level=False)
    with speaking(app, "nl"):
        assert say(missing) == (
            "W210 heeft een reden nodig, zoals "
            'allow: {W213: "de opties zijn de vier delen van één proces"}'
        )
    with speaking(app, "fr"):
        assert say(whole_quiz) == (
            "W211 concerne un quiz entier : autorisez-le dans les réglages du quiz"
        )
