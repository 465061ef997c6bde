"""A question type is a whole plugin: the core reaches types only through their protocol.

No code outside cocourse/questions/ names a built-in type; a plugin's type works with only the
required members, and one with a widget of its own is shown, checked, graded, reviewed and
analysed through HTTP like a built-in one.
"""

from __future__ import annotations

import ast
import csv
import io
import random
import re
from pathlib import Path

import pytest
from sqlalchemy import select

import cocourse
from cocourse.models import QuizAttempt, Role
from cocourse.questions import BUILTIN_TYPES, builtin_types
from cocourse.questions.base import (
    OPTIONAL_MEMBERS,
    REQUIRED_MEMBERS,
    Answer,
    Question,
    QuestionType,
    QuestionTypeBase,
    resolve,
)
from cocourse.quiz.display import answer_text, correct_text

from .conftest import FIXTURES, AuthActions, csrf_token, make_app, post_answers
from .plugins.traffic_light import TrafficLight
from .plugins.yes_no import YesNo

PACKAGE = Path(cocourse.__file__).parent
PLUGIN_COURSE = FIXTURES / "plugin_quiz_course"

# Where type names may appear. cocourse/questions/ defines the types. GIFT import and export
# (quiz/gift/) translate between Moodle's question formats and ours, so naming our types is
# what they are for: the importer writes ```quiz <type> fences (the names are its output, as
# an author would write them) and the exporter picks the Moodle counterpart of each built-in
# type, with Moodle's own limits. That is a table about these eight types and one foreign
# format, not behaviour every type must have, so it stays in one place instead of becoming
# GIFT methods on the protocol; a plugin's type is left out of an export with a warning.
EXEMPT = ("questions/", "quiz/gift/")
# Type names that are also ordinary words, and where they mean something else: the
# certification practicum's "reflection" (a form field prefix, a programme-file section,
# a database column), which has nothing to do with the question type.
OTHER_MEANINGS = {
    "reflection": (
        "certification/",
        "content/program.py",
        "migrations/",
        "devtools/synthetic_certification.py",
    ),
}
TYPE_NAMES = tuple(qtype.name for qtype in BUILTIN_TYPES)
CLASS_NAMES = tuple(type(qtype).__name__ for qtype in BUILTIN_TYPES)


def _mentions(text: str, name: str) -> bool:
    """Whether a string holds a type name: as all of it, or (names with a dash, which are
    no ordinary words) as a word inside it."""
    if text == name:
        return True
    return "-" in name and re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text) is not None


def names_in_python(source: str) -> set[str]:
    """Built-in type names in string literals (docstrings and other bare strings aside) and
    built-in type classes used as names."""
    tree = ast.parse(source)
    bare = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in bare:
            found.update(name for name in TYPE_NAMES if _mentions(node.value, name))
        elif isinstance(node, ast.Name) and node.id in CLASS_NAMES:
            found.add(node.id)
        elif isinstance(node, ast.Attribute) and node.attr in CLASS_NAMES:
            found.add(node.attr)
        elif isinstance(node, ast.alias) and node.name.rsplit(".", 1)[-1] in CLASS_NAMES:
            found.add(node.name.rsplit(".", 1)[-1])
    return found


def names_in_template(source: str) -> set[str]:
    """Built-in type names written as quoted strings in a Jinja template."""
    return {name for name in TYPE_NAMES if re.search(rf"([\"']){re.escape(name)}\1", source)}


def type_names_outside_questions(root: Path = PACKAGE) -> list[tuple[str, str]]:
    """(file, name) for every built-in type name in core code and templates."""
    found = []
    for path in sorted([*root.rglob("*.py"), *root.rglob("*.html")]):
        where = path.relative_to(root).as_posix()
        if where.startswith(EXEMPT):
            continue
        source = path.read_text(encoding="utf-8")
        names = names_in_python(source) if path.suffix == ".py" else names_in_template(source)
        found += [
            (where, name)
            for name in sorted(names)
            if not where.startswith(OTHER_MEANINGS.get(name, ()))
        ]
    return found


def test_no_core_code_names_a_builtin_question_type():
    found = type_names_outside_questions()
    assert not found, (
        "core code checks built-in question types; ask the type instead (QuestionType in "
        f"cocourse/questions/base.py): {found}"
    )


def test_the_scan_finds_type_checks(tmp_path):
    (tmp_path / "quiz").mkdir()
    (tmp_path / "quiz" / "engine.py").write_text(
        '"""Docstrings may say single-choice."""\n'
        "from cocourse.questions.choice import SingleChoice\n"
        'SHUFFLED = {"ordering"}\n'
        'fence = f"```quiz multiple-choice {1}"\n'
        "def f(question):\n"
        '    """Or ordering."""\n'
        '    return question.type == "true-false" or arrange.Matching\n'
    )
    (tmp_path / "quiz" / "page.html").write_text(
        "{% if question.type == 'numeric' %}a reflection{% endif %}"
    )
    (tmp_path / "certification").mkdir()
    (tmp_path / "certification" / "forms.py").write_text('PREFIX = "reflection"\n')
    (tmp_path / "questions").mkdir()
    (tmp_path / "questions" / "own.py").write_text('NAME = "matching"\n')
    assert type_names_outside_questions(tmp_path) == [
        ("quiz/engine.py", "Matching"),
        ("quiz/engine.py", "SingleChoice"),
        ("quiz/engine.py", "multiple-choice"),
        ("quiz/engine.py", "ordering"),
        ("quiz/engine.py", "true-false"),
        ("quiz/page.html", "numeric"),
    ]


# The protocol itself.


def protocol_members() -> set[str]:
    declared = {name for name in vars(QuestionType) if not name.startswith("_")}
    return declared | set(QuestionType.__annotations__)


def test_the_protocol_is_the_required_members_plus_the_defaulted_ones():
    assert protocol_members() == {*REQUIRED_MEMBERS, *OPTIONAL_MEMBERS}
    for member in ("settings", *OPTIONAL_MEMBERS):
        assert hasattr(QuestionTypeBase, member), member


def test_every_builtin_type_implements_the_whole_protocol():
    for qtype in BUILTIN_TYPES:
        assert isinstance(qtype, QuestionType) and isinstance(qtype, QuestionTypeBase)
        assert resolve(builtin_types(), qtype.name) is qtype
        assert qtype.field(Question("q", qtype.name, "", "", ()), []) is None  # standard field


def _question(kind, answers=("a", "b", "c", "d"), correct=("b",)):
    return Question(
        id="q",
        type=kind,
        prompt="",
        prompt_html="",
        answers=tuple(
            Answer(aid, aid.upper(), f"<b>{aid}</b>", aid in correct, match=aid, match_html=aid)
            for aid in answers
        ),
    )


def test_types_decide_how_their_answers_are_ordered():
    types = builtin_types()
    for name, shuffle, shuffled in [
        ("single-choice", False, False),
        ("single-choice", True, True),
        ("ordering", False, True),  # the written order is the answer
        ("matching", False, True),
        ("true-false", True, False),  # True, False stays in that order
    ]:
        orders = {
            tuple(resolve(types, name).answer_order(_question(name), shuffle, random.Random(n)))
            for n in range(20)
        }
        assert (len(orders) > 1) is shuffled, name


def test_types_say_how_responses_and_keys_read():
    types = builtin_types()
    single = _question("single-choice")
    assert answer_text(single, "c", types) == "<b>c</b>"
    assert correct_text(single, types) == "<b>b</b>"
    assert answer_text(single, None, types) == "<em>no answer</em>"
    ordering = _question("ordering", answers=("a", "b"))
    assert answer_text(ordering, ["b", "a"], types) == "<b>b</b> → <b>a</b>"
    assert correct_text(ordering, types) == "<b>a</b> → <b>b</b>"
    short = _question("short-text", answers=("a",), correct=("a",))
    assert answer_text(short, "a", types) == "a"  # typed text, even when it looks like an id
    assert answer_text(short, "<i>", types) == "&lt;i&gt;"


def test_types_say_what_item_analysis_counts():
    types = builtin_types()
    assert types["multiple-choice"].tally(["a", "c", 3]) == ["a", "c"]
    assert types["single-choice"].tally("b") == ["b"]
    assert types["numeric"].tally(12.5) is None


def test_a_plugin_type_with_only_the_required_members_gets_the_defaults():
    plugin = YesNo()
    qtype = resolve({"yes-no": plugin}, "yes-no")
    assert isinstance(qtype, QuestionType) and not isinstance(plugin, QuestionType)
    assert (qtype.name, qtype.settings) == ("yes-no", plugin.settings)
    question = Question("yn", "yes-no", "", "", (), options={"expected": "yes"})
    assert qtype.grade(question, "yes").score == 1.0
    assert (qtype.widget, qtype.template, qtype.field(question, [])) == ("text", None, None)
    assert qtype.incomplete(question, "") is None and qtype.tally("yes") is None
    assert qtype.answer_order(question, True, random.Random(1)) == []
    assert qtype.response_html(question, "<yes>") == "&lt;yes&gt;"
    # A type whose plugin is gone: defaults, and it scores 0.
    gone = resolve({}, "yes-no")
    assert gone.grade(question, "yes").score == 0.0 and gone.widget == "text"


# Plugin types through HTTP.


@pytest.fixture
def app(engine, database_url, tmp_path):
    return make_app(
        database_url,
        tmp_path,
        CONTENT_DIR=str(PLUGIN_COURSE),
        PLUGINS=["tests.plugins.yes_no", "tests.plugins.traffic_light"],
    )


def _start(client):
    page = client.get("/modules/signals/quiz").get_data(as_text=True)
    response = client.post("/quiz/signals/start", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302, response.data
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _submit(client, attempt_id, answers):
    return post_answers(client, attempt_id, answers)


def test_plugin_types_render_their_own_widget_and_are_graded_over_http(client, session):
    auth = AuthActions(client, session)
    auth.create()
    auth.login()
    attempt_id = _start(client)
    page = client.get(f"/quiz/attempts/{attempt_id}").get_data(as_text=True)
    # The traffic light through its own template and field; yes-no through the standard one.
    assert '<div class="traffic-light" data-question-type="traffic-light">' in page
    for light in ("red", "amber", "green"):
        assert f'id="q0-{light}" name="q0" type="radio" value="{light}"' in page
    assert '<label for="q1-input">Your answer</label>' in page
    assert "Silence is often thinking" not in page  # no feedback before submitting

    held = _submit(client, attempt_id, {"q1": "yes"})  # the type's own `incomplete`
    assert held.status_code == 422
    assert "Choose a light before you submit." in held.get_data(as_text=True)
    assert session.get(QuizAttempt, attempt_id).submitted_at is None

    done = _submit(client, attempt_id, {"q0": "amber", "q1": "yes"})
    assert done.headers["Location"] == f"/quiz/attempts/{attempt_id}/result"
    session.rollback()  # end the read snapshot, then read again
    attempt = session.get(QuizAttempt, attempt_id)
    assert (attempt.percent, attempt.passed) == (100.0, True)
    assert attempt.answers == {"tl-silence": "amber", "yn-turns": "yes"}
    result = client.get(done.headers["Location"]).get_data(as_text=True)
    assert result.count('<span class="light light-amber">Wait</span>') == 2  # answer and key
    assert "Silence is often thinking" in result


def test_item_analysis_counts_what_a_plugin_type_tallies(app, client, session):
    learners = ["amber", "red", "amber"]
    for number, light in enumerate(learners):
        auth = AuthActions(client, session)
        auth.create(f"l{number}@example.org")
        auth.login(f"l{number}@example.org")
        _submit(client, _start(client), {"q0": light, "q1": "no"})
        auth.logout()
    assert len(session.scalars(select(QuizAttempt)).all()) == len(learners)
    auth = AuthActions(client, session)
    auth.create("admin@example.org", Role.ADMIN)
    auth.login("admin@example.org")
    with client.get("/reports/quizzes/signals.csv") as response:
        rows = {row["question_id"]: row for row in csv.DictReader(io.StringIO(response.text))}
    assert rows["tl-silence"]["options"] == "amber=2;red=1"
    assert rows["yn-turns"]["options"] == ""  # counts nothing: no tally of its own


def test_the_test_type_subclasses_the_base_and_overrides_its_widget():
    qtype = resolve({"traffic-light": TrafficLight()}, "traffic-light")
    assert isinstance(qtype, TrafficLight)
    assert qtype.template == "traffic_light/widget.html"
