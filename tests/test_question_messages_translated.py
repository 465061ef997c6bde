"""The question types' messages: English as text (logs, tests, `str()`), and in Dutch or French
when said in that language: lint problems for authors, grading feedback written into an
attempt, and the hints a learner gets while answering."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask, render_template_string
from flask_babel import force_locale

from cocourse.content.loader import load_course
from cocourse.content.words import Text, say
from cocourse.questions import builtin_types
from cocourse.questions.base import DraftItem, Question, QuestionDraft

TYPES = builtin_types()


def draft(type_name: str, items: tuple[DraftItem, ...] = (), **settings: object) -> QuestionDraft:
    """A parsed ```quiz fence of `type_name`, as the content loader hands it to its type."""
    return QuestionDraft(
        id="q-1",
        type=type_name,
        settings=settings,
        settings_lines={key: 3 for key in settings},
        prompt="What do you do first?",
        prompt_html="<p>What do you do first?</p>",
        items=items,
        ordered=False,
        feedback="",
        feedback_html="",
        path="intro/05-quiz.md",
        line=1,
        source_hash="",
    )


def built(type_name: str, items: tuple[DraftItem, ...] = (), **settings: object) -> Question:
    question, problems = TYPES[type_name].parse(draft(type_name, items, **settings))
    assert question is not None, [str(p) for p in problems]
    return question


def item(text: str, checked: bool | None, line: int) -> DraftItem:
    return DraftItem(text=text, html=text, checked=checked, line=line)


@contextmanager
def speaking(app: Flask, language: str) -> Iterator[None]:
    """Inside a request, with everything said in `language`."""
    with app.test_request_context(), force_locale(language):
        yield


TWO_MARKED = """---
title: Two right answers
quiz:
  id: two-right
---
```quiz single-choice sc-two
Pick one.

- [x] Yes
- [ ] No
- [x] Maybe
```
"""


def test_a_lint_problem_is_english_as_text_and_said_in_the_readers_language(app, course_copy):
    (course_copy / "intro" / "05-two-right.md").write_text(TWO_MARKED, encoding="utf-8")
    found = [p for p in load_course(course_copy).problems if p.code == "C170"]
    assert len(found) == 1
    problem = found[0]
    english = (
        "question 'sc-two': 2 answers are marked [x] but exactly one may be right: keep one [x] "
        "and change the others to [ ] (or use a multiple-choice question)"
    )
    assert problem.message == english and isinstance(problem.message, Text)
    assert str(problem).endswith(f"C170 {english}")
    with speaking(app, "nl"):
        assert say(problem.message) == (
            "vraag 'sc-two': 2 antwoorden zijn gemarkeerd met [x], maar er mag er maar één juist "
            "zijn: houd één [x] en maak van de andere [ ] (of gebruik een vraag van het type "
            "multiple-choice)"
        )
    with speaking(app, "fr"):
        said = problem.said()
        assert said.endswith(
            "C170 question 'sc-two' : 2 réponses sont marquées [x] alors qu'une seule peut être "
            "correcte : gardez un seul [x] et remplacez les autres par [ ] (ou utilisez une "
            "question de type multiple-choice)"
        )
    with app.test_request_context():  # English, the page's language without a choice
        assert say(problem.message) == english


def test_problems_with_values_keep_them_in_every_language(app):
    _question, problems = TYPES["reflection"].parse(draft("reflection", min_words=2.5))
    message = problems[0].message
    assert message == (
        "question 'q-1': 'min_words' must be a whole number of 0 or more, not 2.5: write, say, "
        "min_words: 20"
    )
    with speaking(app, "nl"):
        assert say(message) == (
            "vraag 'q-1': 'min_words' moet een geheel getal van 0 of meer zijn, niet 2.5: schrijf "
            "bijvoorbeeld min_words: 20"
        )
    with speaking(app, "fr"):
        assert say(message).startswith("question 'q-1' : 'min_words' doit être un nombre entier")
    items = (item("Yes", True, 4), item("No", False, 5))
    _question, problems = TYPES["ordering"].parse(draft("ordering", items))
    assert problems[0].message == (
        "question 'q-1': ordering items take no [x] or [ ] mark: write '1. first step', "
        "'2. second step', ..."
    )
    with speaking(app, "nl"):
        assert "'1. eerste stap', '2. tweede stap'" in say(problems[0].message)


def test_a_type_describes_its_settings_in_the_readers_language(app):
    description = TYPES["reflection"].settings["min_words"]
    assert description == "the fewest words a learner must write (default 20)"
    with speaking(app, "nl"):
        assert say(description) == (
            "het minimumaantal woorden dat een deelnemer moet schrijven (standaard 20)"
        )


def test_reflection_feedback_is_written_in_the_language_of_grading(app):
    reflection = built("reflection", min_words=5)
    english = "<p>You wrote 3 words. Write at least 5 words: 2 more.</p>"
    assert TYPES["reflection"].grade(reflection, "one two three").feedback_html == (english,)
    with speaking(app, "nl"):
        dutch = TYPES["reflection"].grade(reflection, "one two three").feedback_html
        one = TYPES["reflection"].grade(reflection, "one").feedback_html
        enough = TYPES["reflection"].grade(reflection, "one two three four five six")
    assert dutch == ("<p>Je hebt 3 woorden geschreven. Schrijf minstens 5 woorden: nog 2.</p>",)
    assert one == ("<p>Je hebt 1 woord geschreven. Schrijf minstens 5 woorden: nog 4.</p>",)
    assert enough.feedback_html == ("<p>Je hebt 6 woorden geschreven.</p>",)
    with speaking(app, "fr"):
        french = TYPES["reflection"].grade(reflection, "one two three").feedback_html
    assert french == ("<p>Vous avez écrit 3 mots. Écrivez au moins 5 mots : encore 2.</p>",)
    # Said when graded, not when the module was imported: English again afterwards.
    assert TYPES["reflection"].grade(reflection, "one two three").feedback_html == (english,)


def test_short_text_and_numeric_feedback_follow_the_language_of_grading(app):
    short = built("short-text", (item("check-in", True, 4),))
    numeric = built("numeric", (item("12", True, 4),))
    with speaking(app, "nl"):
        too_long = TYPES["short-text"].grade(short, "x" * 600).feedback_html
        not_a_number = TYPES["numeric"].grade(numeric, "twelve").feedback_html
    assert too_long == (
        "<p>Je antwoord is langer dan 500 tekens en wordt daarom niet aanvaard.</p>",
    )
    assert not_a_number == ("<p>Vul een getal in, bijvoorbeeld 12,5.</p>",)
    with speaking(app, "fr"):
        not_a_number = TYPES["numeric"].grade(numeric, "twelve").feedback_html
    assert not_a_number == ("<p>Saisissez un nombre, par exemple 12,5.</p>",)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Write a number only, such as 12 or 2.5, without words or units."),
        ("nl", "Schrijf alleen een getal, zoals 12 of 2,5, zonder woorden of eenheden."),
        ("fr", "Écrivez uniquement un nombre, comme 12 ou 2,5, sans mots ni unités."),
    ],
)
def test_the_numeric_response_error_is_said_in_the_pages_language(app, language, expected):
    numeric = built("numeric", (item("12", True, 4),))
    message = TYPES["numeric"].incomplete(numeric, "4 principles")
    assert isinstance(message, Text)
    assert message == "Write a number only, such as 12 or 2.5, without words or units."
    assert TYPES["numeric"].incomplete(numeric, "12,5") is None
    with speaking(app, language):
        assert say(message) == expected
        # As the attempt page shows it: on its own, and inside the list of answers to fix.
        page = render_template_string(
            "<p>{{ message }}</p><li>{{ _('Question %(number)s: %(message)s', number=2, "
            "message=message) }}</li>",
            message=message,
        )
    assert f"<p>{expected}</p>" in page.replace("&#39;", "'")
    assert expected in page.replace("&#39;", "'").split("<li>")[1]


def test_the_reflection_hint_counts_in_the_pages_language(app):
    one = TYPES["reflection"].incomplete(built("reflection", min_words=1), "")
    three = TYPES["reflection"].incomplete(built("reflection", min_words=3), "a b")
    assert (one, three) == (
        "Write at least 1 word before you submit.",
        "Write at least 3 words before you submit.",
    )
    with speaking(app, "nl"):
        assert (say(one or ""), say(three or "")) == (
            "Schrijf minstens 1 woord voor je indient.",
            "Schrijf minstens 3 woorden voor je indient.",
        )
    with speaking(app, "fr"):
        assert say(three or "") == "Écrivez au moins 3 mots avant d'envoyer vos réponses."
