"""The workshop kit in workshops.yml: templates whose blocks add up, a feedback form, and a
clear problem with its line for each mistake."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import Babel

from cocourse.certification.forms import PracticumSessionForm
from cocourse.content.lint import lint_path
from cocourse.content.loader import default_markdown, load_course
from cocourse.content.workshop_kit import parse_kit

from .conftest import COURSE

ROOT = Path(__file__).resolve().parents[1]
KIT = """\
templates:
  - id: tasting-short
    title: A short tasting
    kind: tasting
    minutes: 60
    materials:
      - Sticky notes
      - A bell
    blocks:
      - title: Check-in
        minutes: 15
        script: |
          Say: *one word* each.
      - title: 1-2-4-All
        minutes: 30
      - title: Check-out
        minutes: 15
  - id: tasting-long
    title: A long tasting
    kind: tasting
    default: true
    minutes: 30
    blocks:
      - title: All of it
        minutes: 30
feedback:
  - id: useful
    ask: How useful was it?
    scale: 5
    required: true
  - id: next
    ask: What will you try?
handouts:
  - id: cards
    title: Table cards
    template: tasting-short
    body: |
      **Our question**
"""


def parse(text, modules=("intro",)):
    return parse_kit(text, "workshops.yml", default_markdown(), modules)


def test_a_kit_is_read_with_its_templates_and_questions():
    kit, problems = parse(KIT)
    assert problems == []
    assert [t.id for t in kit.templates] == ["tasting-short", "tasting-long"]
    short = kit.template("tasting-short")
    assert [(b.title, b.minutes) for b in short.blocks][1] == ("1-2-4-All", 30)
    assert kit.default_for("tasting").id == "tasting-long"
    assert kit.default_for("solution") is None
    assert [(q.id, q.scale, q.required) for q in kit.feedback] == [
        ("useful", 5, True),
        ("next", 0, False),
    ]
    assert short.materials == ("Sticky notes", "A bell")
    assert short.blocks[0].script_html == "<p>Say: <em>one word</em> each.</p>\n"
    assert short.blocks[1].script_html == ""
    [cards] = kit.handouts
    assert (cards.id, cards.title, cards.template) == ("cards", "Table cards", "tasting-short")
    assert cards.body_html == "<p><strong>Our question</strong></p>\n"


@pytest.mark.parametrize(
    ("old", "new", "code", "line", "words"),
    [
        ("minutes: 60", "minutes: 70", "C191", 9, "add up to 60 minutes, not the 70"),
        ("kind: tasting\n    minutes: 60", "kind: party\n    minutes: 60", "C192", 4, "party"),
        ("    minutes: 60\n", "    taught_in: nowhere\n    minutes: 60\n", "C193", 5, "nowhere"),
        (
            "kind: tasting\n    minutes: 60",
            "kind: tasting\n    default: true\n    minutes: 60",
            "C194",
            1,
            "more than one default",
        ),
        ("id: tasting-long", "id: tasting-short", "C185", 18, "already declared on line 2"),
        ("    scale: 5\n", "    scale: 50\n", "C183", 29, "from 2 to 10"),
        ("  - id: next\n", "  - id: next\n    colour: red\n", "C181", 32, "unknown key 'colour'"),
        ("    title: A short tasting\n", "", "C182", 2, "needs 'title'"),
        ("templates:", "templates: [", "C191", 2, "not valid YAML"),
        ("template: tasting-short", "template: tasting-tiny", "C193", 36, "no template"),
        ("      - A bell", "      - ''", "C183", 8, "must be non-empty text"),
        ("        script: |", "        scripts: |", "C181", 12, "unknown key 'scripts'"),
    ],
)
def test_each_mistake_names_its_line(old, new, code, line, words):
    assert old in KIT
    kit, problems = parse(KIT.replace(old, new, 1))
    assert kit.templates == () and kit.feedback == ()
    assert [(p.code, p.line) for p in problems] == [(code, line)], problems
    assert words in problems[0].message


def test_the_bundled_kit_lints_clean_and_its_blocks_add_up():
    result = load_course(ROOT / "content" / "modules")
    assert result.course is not None
    kit = result.course.kit
    assert {t.kind for t in kit.templates} == {"tasting", "solution", "exchange"}
    for template in kit.templates:
        assert sum(block.minutes for block in template.blocks) == template.minutes
    assert kit.default_for("tasting").minutes == 95


def test_a_broken_kit_stops_the_course_and_lint_names_the_file(tmp_path):
    root = tmp_path / "course"
    shutil.copytree(COURSE, root)
    (root / "workshops.yml").write_text(KIT.replace("minutes: 60", "minutes: 70", 1))
    result = load_course(root)
    assert result.course is None
    report = lint_path(root)
    assert any(str(p).startswith(str(root / "workshops.yml") + ":9: C191") for p in report), report


def test_a_course_without_a_kit_has_an_empty_one():
    result = load_course(COURSE)
    assert result.course.kit.templates == () and result.course.kit.feedback == ()


def test_the_printed_feedback_form_asks_what_the_app_asks():
    """One participant form everywhere: the printable text file numbers the kit's questions,
    word for word and in order."""
    kit = load_course(ROOT / "content" / "modules").course.kit
    text = ROOT / "content" / "modules" / "certification-01-practicum" / "feedback-form.txt"
    numbered = re.findall(r"^(\d+)\. (.+)$", text.read_text(encoding="utf-8"), re.MULTILINE)
    assert numbered == [(str(n), q.ask) for n, q in enumerate(kit.feedback, start=1)]
    assert all(q.scale == 0 for q in kit.feedback)  # the course teaches open questions


def test_the_practicum_log_template_has_the_apps_fields():
    """The spreadsheet template's columns are the practicum log form's fields, in order."""
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test", WTF_CSRF_ENABLED=False)
    Babel(app)  # the labels are translated; the template's header is the English
    with app.test_request_context():
        labels = [str(field.label.text) for field in PracticumSessionForm()]
    path = ROOT / "content" / "modules" / "certification-01-practicum"
    with (path / "practicum-log-template.csv").open(encoding="utf-8", newline="") as file:
        header, *examples = list(csv.reader(file))
    assert header == [*labels, "Reflection written on"]
    assert examples and all(len(row) == len(header) for row in examples)
