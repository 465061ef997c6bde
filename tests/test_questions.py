"""The built-in question types: fences parsed into questions, problems reported with file and
line, and grading of right, partly right, wrong and tampered responses."""

from __future__ import annotations

import dataclasses
import json
import math
import random
import re
import shutil
import string
from pathlib import Path
from typing import Any

import pytest

from cocourse.content.loader import LoadResult, load_course
from cocourse.plugins import make_plugin_manager, question_types
from cocourse.questions import BUILTIN_TYPES, builtin_types
from cocourse.questions.base import Question
from cocourse.questions.common import answer_id, normalize_text
from cocourse.questions.numeric import not_a_number, parse_response
from cocourse.questions.text import enough_words, pattern_problem, too_long, word_count

from .conftest import COURSE, FIXTURES

QUIZZES = FIXTURES / "quizzes"
DOCS = Path(__file__).parent.parent / "docs" / "authoring.md"
TYPES = builtin_types()
GOOD = ("choice", "text", "numeric", "arrange")
MY_CODES = {"C168", "C170", "C171", "C172", "C173", "C174", "C175"}


def add_lesson(course: Path, name: str, text: str | None = None) -> Path:
    """Put a quiz lesson (a fixture file, or the given text) into the course's first module."""
    target = course / "intro" / f"05-{name}.md"
    if text is None:
        text = (QUIZZES / f"{name}.md").read_text(encoding="utf-8")
    target.write_text(text, encoding="utf-8")
    return target


def all_questions(result: LoadResult) -> dict[str, Question]:
    """Every question of a course that loaded without errors, by id."""
    assert result.course is not None, [str(p) for p in result.problems]
    return {
        question.id: question
        for track in result.course.tracks
        for module in track.modules
        for lesson in module.lessons
        for question in lesson.questions
    }


@pytest.fixture(scope="module")
def questions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Question]:
    """The questions of the four valid fixture lessons, loaded with the built-in types."""
    course = tmp_path_factory.mktemp("quizzes") / "course"
    shutil.copytree(COURSE, course)
    for name in GOOD:
        add_lesson(course, name)
    return all_questions(load_course(course))


def grade(question: Question, response: Any) -> Any:
    return TYPES[question.type].grade(question, response)


# Registration ---------------------------------------------------------------------------------


def test_the_eight_builtin_types_come_in_through_the_hook():
    names = {
        "single-choice",
        "multiple-choice",
        "true-false",
        "short-text",
        "numeric",
        "ordering",
        "matching",
        "reflection",
    }
    assert set(TYPES) == names and len(BUILTIN_TYPES) == 8
    from_hook = question_types(make_plugin_manager())
    # Installed plugins (the examples under make test) may add types of their own.
    assert names <= set(from_hook)
    assert all(from_hook[name] is TYPES[name] for name in names)
    for qtype in BUILTIN_TYPES:
        assert all(isinstance(v, str) and v for v in qtype.settings.values())


def test_a_third_party_type_works_in_content_without_core_changes(course_copy):
    pm = make_plugin_manager(["tests.plugins.yes_no"])
    types = question_types(pm)
    assert "yes-no" in types and "single-choice" in types
    lesson = """---
title: Yes or no
quiz:
  id: yes-no-check
---
```quiz yes-no yn-circle
---
expected: yes
points: 3
---
Does a check-in round give everyone a turn?
```

```quiz single-choice sc-next
Pick one.

- [x] Yes
- [ ] No
```
"""
    add_lesson(course_copy, "yes-no", lesson)
    found = all_questions(load_course(course_copy, question_types=types))
    question = found["yn-circle"]
    assert (question.type, question.points, question.options) == (
        "yes-no",
        3.0,
        {"expected": "yes"},
    )
    assert types["yes-no"].grade(question, "yes").score == 1.0
    assert types["yes-no"].grade(question, {"yes": 1}).score == 0.0
    assert found["sc-next"].answers[0].correct  # built-ins still there
    without = load_course(course_copy)  # the built-ins alone do not know the type
    assert [p.code for p in without.errors] == ["C161"]


def test_answer_ids_follow_source_position():
    assert [answer_id(i) for i in (0, 1, 25, 26, 27, 51, 52, 701, 702)] == [
        "a",
        "b",
        "z",
        "aa",
        "ab",
        "az",
        "ba",
        "zz",
        "aaa",
    ]


def test_normalization():
    assert normalize_text("  Check\t\n  IN  ") == "check in"
    assert normalize_text("ｃｈｅｃｋ－ｉｎ") == "check-in"  # full-width forms (NFKC)
    assert normalize_text("Straße") == "strasse"  # casefold, not lower
    assert normalize_text(" Check  In ", case_sensitive=True) == "Check In"


# Parsing ----------------------------------------------------------------------------------


def test_single_choice_parses(questions):
    q = questions["sc-what-fits"]
    assert [(a.id, a.correct) for a in q.answers] == [("a", False), ("b", True), ("c", False)]
    assert q.answers[0].feedback.startswith("That is informing")
    assert q.answers[1].feedback_html.startswith("<p>Yes: shared influence")
    assert q.answers[2].feedback == ""
    assert "<strong>best</strong>" in q.prompt_html
    assert q.feedback_html.startswith("<p>Co-creation shares influence")
    assert (q.points, q.tags, q.scored) == (2.0, ("domain-1",), True)
    assert q.path.endswith("intro/05-choice.md") and q.line == 9


def test_multiple_choice_and_true_false_parse(questions):
    mc = questions["mc-structures"]
    assert [a.id for a in mc.answers if a.correct] == ["a", "b"]
    assert (mc.points, mc.tags) == (1.0, ("domain-2", "practices"))
    tf = questions["tf-consensus"]
    assert [(a.id, a.text, a.correct) for a in tf.answers] == [
        ("a", "True", False),
        ("b", "False", True),
    ]
    assert tf.feedback == ""


def test_short_text_parses(questions):
    q = questions["st-round"]
    assert [(a.text, a.correct) for a in q.answers] == [
        ("check-in", True),
        ("check in round", True),
        ("check-out", False),
    ]
    assert q.options == {"case_sensitive": False, "pattern": None}
    p = questions["st-pattern"]
    assert p.options == {"case_sensitive": True, "pattern": "1-2-4-[Aa]ll"}
    assert p.points == 0.5


def test_numeric_parses_values_tolerances_and_ranges(questions):
    q = questions["nu-minutes"]
    assert q.options == {
        "tolerance": 1.0,
        "ranges": {"a": [11.0, 13.0], "b": [10.0, 11.0], "c": [20.0, 60.0]},
    }
    assert [a.correct for a in q.answers] == [True, True, False]
    share = questions["nu-share"]
    assert share.options["ranges"] == {"a": [0.7, 0.8], "b": [-3.5, -3.5], "c": [0.4, 0.6]}
    assert share.options["tolerance"] == 0.0


def test_ordering_and_matching_parse(questions):
    order = questions["or-steps"]
    assert [a.text for a in order.answers] == [
        "Think alone",
        "Share in pairs",
        "Share in fours",
        "Share with everyone",
    ]
    assert order.answers[1].feedback == "Pairs come right after the silent minute."
    match = questions["ma-structures"]
    assert [(a.id, a.text, a.match) for a in match.answers] == [
        ("a", "1-2-4-All", "hearing every voice"),
        ("b", "Troika Consulting", "getting help from peers"),  # written with →
        ("c", "Check-in", "opening a meeting"),
        ("d", "Welcome round", "opening a meeting"),
    ]
    assert match.answers[0].match_html == "hearing every voice"


def test_reflection_parses_unscored(questions):
    q = questions["rf-last-meeting"]
    assert q.answers == () and q.options == {"scored": False, "min_words": 5}
    assert not q.scored
    assert q.feedback.startswith("Keep your answer")
    assert questions["rf-default"].options["min_words"] == 20


def test_options_survive_a_json_snapshot(questions):
    """Attempts store questions as JSON: grading the stored copy gives the same result."""
    samples: dict[str, list[Any]] = {
        "single-choice": ["a", "b", "zz"],
        "multiple-choice": [["a"], ["a", "b", "c"], ["b"]],
        "true-false": ["a", "b"],
        "short-text": ["Check-In", "1-2-4-all", "check-out", "nope"],
        "numeric": ["12", "10,5", "0.8", "30", "x"],
        "ordering": [["a", "b", "c", "d"], ["b", "a", "c", "d"]],
        "matching": [{"a": "a", "b": "b", "c": "d", "d": "c"}, {"a": "b"}],
        "reflection": ["one two three four five six", ""],
    }
    for question in questions.values():
        data = json.loads(json.dumps(dataclasses.asdict(question)))
        stored = dataclasses.replace(question, options=data["options"])
        for response in samples[question.type]:
            assert grade(stored, response) == grade(question, response)
            json.dumps(grade(question, response).response)


# Problems ---------------------------------------------------------------------------------

# (fixture, question id, code, text on the reported line; None: the line of the fence)
EXPECTED_PROBLEMS = [
    ("broken-choice", "sc-none-marked", "C170", None),
    ("broken-choice", "sc-two-marked", "C170", "- [x] Maybe"),
    ("broken-choice", "sc-one-option", "C171", None),
    ("broken-choice", "sc-plain-item", "C174", "- No"),
    ("broken-choice", "sc-twice", "C175", "- [ ]   yes"),
    ("broken-choice", "mc-none-marked", "C170", None),
    ("broken-choice", "mc-no-list", "C171", None),
    ("broken-choice", "tf-yes-no", "C174", "- [x] Yes"),
    ("broken-choice", "tf-three", "C174", "- [x] True"),
    ("broken-choice", "tf-both-marked", "C170", "- [x] false"),
    ("broken-choice", "tf-one", "C171", None),
    ("broken-text", "st-no-accepted", "C170", None),
    ("broken-text", "st-no-list", "C171", None),
    ("broken-text", "st-plain", "C174", "- right"),
    ("broken-text", "st-twice", "C175", "CHECK-IN"),
    ("broken-text", "st-twice-sensitive", "C175", "- [x]  Check-in"),
    ("broken-text", "st-bad-settings", "C168", "case_sensitive:"),
    ("broken-text", "st-bad-settings", "C168", "pattern: 5"),
    ("broken-text", "st-bad-pattern", "C173", "pattern: '(check'"),
    ("broken-text", "st-long-pattern", "C173", "pattern: 'aaa"),
    ("broken-text", "st-empty-pattern", "C173", "pattern:"),
    ("broken-text", "st-slow-pattern", "C173", "pattern:"),
    ("broken-text", "rf-with-list", "C174", "- who decides"),
    ("broken-text", "rf-bad-min", "C168", "min_words: 2.5"),
    ("broken-text", "rf-negative-min", "C168", "min_words: -1"),
    ("broken-text", "rf-bool-min", "C168", "min_words: true"),
    ("broken-numeric", "nu-words", "C172", "twelve"),
    ("broken-numeric", "nu-words", "C172", "1e5"),
    ("broken-numeric", "nu-backwards", "C172", "45..40"),
    ("broken-numeric", "nu-backwards", "C172", "42 ± -1"),
    ("broken-numeric", "nu-backwards", "C172", "12 + 1"),
    ("broken-numeric", "nu-none-accepted", "C170", None),
    ("broken-numeric", "nu-no-list", "C171", None),
    ("broken-numeric", "nu-twice", "C175", "42.0"),
    ("broken-numeric", "nu-bad-tolerance", "C168", "tolerance: -1"),
    ("broken-numeric", "nu-text-tolerance", "C168", "tolerance: a little"),
    ("broken-numeric", "nu-plain", "C174", "- 42"),
    ("broken-arrange", "or-bullets", "C174", "- First"),
    ("broken-arrange", "or-marked", "C174", "1. [x] First"),
    ("broken-arrange", "or-marked", "C174", "2. [ ] Second"),
    ("broken-arrange", "or-one", "C171", None),
    ("broken-arrange", "or-twice", "C175", "3. first"),
    ("broken-arrange", "ma-no-arrow", "C174", "Blue is cold"),
    ("broken-arrange", "ma-one", "C171", None),
    ("broken-arrange", "ma-same-left", "C175", "red -> hot"),
    ("broken-arrange", "ma-marked", "C174", "[x] Red"),
    ("broken-arrange", "ma-marked", "C174", "[ ] Blue"),
]


def line_of(path: Path, question_id: str, text: str | None) -> int:
    """The file line of a question's fence, or of the first line after it containing text."""
    lines = path.read_text(encoding="utf-8").split("\n")
    fence = next(
        i
        for i, line in enumerate(lines)
        if line.startswith("```quiz ") and line.split()[-1] == question_id
    )
    if text is None:
        return fence + 1
    return next(i for i in range(fence, len(lines)) if text in lines[i]) + 1


@pytest.mark.parametrize("fixture", sorted({row[0] for row in EXPECTED_PROBLEMS}))
def test_problems_name_file_line_and_code(course_copy, fixture):
    lesson = add_lesson(course_copy, fixture)
    result = load_course(course_copy)
    assert result.course is None
    found = {
        (p.path, p.line, p.code, p.message.split("'")[1])
        for p in result.problems
        if p.code in MY_CODES
    }
    expected = {
        (str(lesson), line_of(lesson, qid, text), code, qid)
        for name, qid, code, text in EXPECTED_PROBLEMS
        if name == fixture
    }
    assert found == expected
    for problem in result.problems:
        if problem.code in MY_CODES:  # every message says what to do
            assert re.search(
                r": .*\b(write|mark|keep|add|remove|shorten|make|check)\b", problem.message
            ), problem


def test_every_code_is_covered_by_the_fixtures():
    assert {row[2] for row in EXPECTED_PROBLEMS} == MY_CODES


def test_problem_messages_are_specific(course_copy):
    add_lesson(course_copy, "broken-numeric")
    messages = [str(p) for p in load_course(course_copy).problems]
    assert any("the range '45..40' runs backwards" in m for m in messages)
    assert any("tolerance in '42 ± -1' is negative" in m for m in messages)
    assert any("'tolerance' must be a number of 0 or more" in m for m in messages)


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("check-?in", None),
        ("(co-?)+creation", None),
        ("[(+*]+x", None),
        (r"\(a+\)+", None),
        ("(a+)+", "repeats a group that itself repeats"),
        ("((a*)b)*", "repeats a group that itself repeats"),
        (r"(\w+\s?){2,}", "repeats a group that itself repeats"),
        ("(?:x+)+y", "repeats a group that itself repeats"),
        ("a*", "accepts an empty answer"),
        ("[a-", "not a valid regular expression"),
        ("a{99999999999}", "not a valid regular expression"),
        ("a" * 201, "201 characters long"),
    ],
)
def test_pattern_checks(pattern, reason):
    found = pattern_problem(pattern, case_sensitive=False)
    assert (found is None) if reason is None else (reason in str(found))


def test_a_valid_pattern_and_settings_of_the_wrong_kind(course_copy):
    text = """---
title: Patterns
quiz:
  id: patterns
---
```quiz short-text st-ok
---
pattern: '^check-?in$'
case_sensitive: no
---
Name it.

- [x] check-in
```
"""
    add_lesson(course_copy, "patterns", text)
    question = all_questions(load_course(course_copy))["st-ok"]
    assert question.options == {"case_sensitive": False, "pattern": "^check-?in$"}
    assert grade(question, "CHECKIN").score == 1.0


# Grading ----------------------------------------------------------------------------------


def test_single_choice_grading(questions):
    q = questions["sc-what-fits"]
    right = grade(q, "b")
    assert right.score == 1.0 and right.response == "b"
    assert right.feedback_html == (q.answers[1].feedback_html, q.feedback_html)
    wrong = grade(q, "a")
    assert wrong.score == 0.0 and wrong.feedback_html == (
        q.answers[0].feedback_html,
        q.feedback_html,
    )
    assert grade(q, "c").feedback_html == (q.feedback_html,)  # no feedback of its own


def test_true_false_grading(questions):
    q = questions["tf-consensus"]
    assert grade(q, "b").score == 1.0
    assert grade(q, "b").feedback_html == (q.answers[1].feedback_html,)
    assert grade(q, "a").score == 0.0
    assert grade(q, "False").score == 0.0  # the text is not the id


@pytest.mark.parametrize(
    ("response", "score", "normalized"),
    [
        (["a", "b"], 1.0, ["a", "b"]),
        (["b", "a"], 1.0, ["a", "b"]),
        (["a"], 0.5, ["a"]),
        (["a", "a", "a"], 0.5, ["a"]),  # repeats are ignored
        (["a", "c"], 0.0, ["a", "c"]),
        (["a", "b", "c"], 0.5, ["a", "b", "c"]),
        (["a", "b", "c", "d"], 0.0, ["a", "b", "c", "d"]),  # everything: no full marks
        (["c", "d"], 0.0, ["c", "d"]),  # floored at zero
        ([], 0.0, []),
    ],
)
def test_multiple_choice_partial_credit(questions, response, score, normalized):
    result = grade(questions["mc-structures"], response)
    assert result.score == score and result.response == normalized


def test_multiple_choice_feedback_follows_the_choices(questions):
    q = questions["mc-structures"]
    feedback = grade(q, ["c", "a"]).feedback_html
    assert feedback == (q.answers[0].feedback_html, q.answers[2].feedback_html, q.feedback_html)


@pytest.mark.parametrize(
    ("response", "score", "normalized"),
    [
        ("check-in", 1.0, "check-in"),
        ("  Check-IN ", 1.0, "check-in"),
        ("CHECK   in\tround", 1.0, "check in round"),
        ("ｃｈｅｃｋ-ｉｎ", 1.0, "check-in"),
        ("check-out", 0.0, "check-out"),
        ("check", 0.0, "check"),
        ("", 0.0, ""),
    ],
)
def test_short_text_grading(questions, response, score, normalized):
    result = grade(questions["st-round"], response)
    assert result.score == score and result.response == normalized


def test_short_text_feedback(questions):
    q = questions["st-round"]
    assert grade(q, "check-in").feedback_html == ("<p>Right.</p>\n", q.feedback_html)
    assert grade(q, "Check-Out").feedback_html[0] == "<p>That one closes the meeting.</p>\n"
    assert grade(q, "meeting").feedback_html == (q.feedback_html,)


def test_short_text_pattern_and_case(questions):
    q = questions["st-pattern"]
    assert grade(q, "1-2-4-All").score == 1.0  # listed
    assert grade(q, " 1-2-4-all ").score == 1.0  # by the pattern
    assert grade(q, "1-2-4-ALL").score == 0.0  # case-sensitive
    assert grade(q, "x1-2-4-all").score == 0.0  # the whole response must match
    almost = grade(q, "1-2-4")
    assert almost.score == 0.0 and "Almost" in almost.feedback_html[0]


def test_short_text_length_limit(questions):
    q = questions["st-round"]
    at_limit = grade(q, "x" * 500)
    assert at_limit.score == 0.0 and too_long() not in at_limit.feedback_html
    longer = grade(q, "check-in " + "x" * 600)
    assert longer.score == 0.0 and longer.feedback_html[0] == too_long()
    assert too_long() == "<p>Your answer is longer than 500 characters, so it is not accepted.</p>"
    assert len(longer.response) == 500


@pytest.mark.parametrize(
    ("qid", "response", "score", "feedback"),
    [
        ("nu-minutes", "12", 1.0, "<p>Right: one"),
        ("nu-minutes", " 13 ", 1.0, "<p>Right: one"),  # within the tolerance of 1
        ("nu-minutes", "11,5", 1.0, "<p>Right: one"),  # decimal comma
        ("nu-minutes", "10.5", 1.0, "<p>Close enough"),  # the range
        ("nu-minutes", "14", 0.0, "<p>The timing"),  # only the general feedback
        ("nu-minutes", "+30", 0.0, "<p>That is much longer"),  # an anticipated wrong value
        ("nu-share", "0.8", 1.0, None),  # 0.75 ± 0.05, bounds included
        ("nu-share", "0,70", 1.0, None),
        ("nu-share", ".7", 1.0, None),
        ("nu-share", "0.81", 0.0, None),
        ("nu-share", "-3.5", 1.0, None),
        ("nu-share", "\u22123.5", 1.0, None),  # a real minus sign
        ("nu-share", "0.45", 0.0, "<p>Half"),
    ],
)
def test_numeric_grading(questions, qid, response, score, feedback):
    result = grade(questions[qid], response)
    assert result.score == score
    assert isinstance(result.response, float)
    if feedback:
        assert result.feedback_html[0].startswith(feedback)


@pytest.mark.parametrize(
    "response",
    ["twelve", "", "  ", "1e3", "inf", "-inf", "nan", "NaN", "1,000.5", "--1", "1 2", "12 min"]
    + ["0x10", "1_000", "9" * 400, "١٢"],
)
def test_numeric_rejects_what_is_not_a_number(questions, response):
    q = questions["nu-minutes"]
    result = grade(q, response)
    assert (result.score, result.response) == (0.0, None)
    assert result.feedback_html == (not_a_number(), q.feedback_html)
    assert not_a_number() == "<p>Enter a number, for example 12.5.</p>"


def test_numeric_response_parsing():
    assert parse_response("12.5") == parse_response("12,5") == parse_response(" 12.50 ") == 12.5
    assert parse_response("12.") == 12.0 and parse_response("+3") == 3.0
    assert parse_response(12.5) == 12.5  # a stored answer, read back by a regrade
    assert parse_response(True) is None and parse_response(float("nan")) is None


@pytest.mark.parametrize(
    ("response", "score"),
    [
        (["a", "b", "c", "d"], 1.0),
        (("a", "b", "c", "d"), 1.0),
        (["b", "a", "c", "d"], 0.5),
        (["a", "c", "b", "d"], 0.5),
        (["d", "c", "b", "a"], 0.0),
        (["b", "c", "d", "a"], 0.0),
    ],
)
def test_ordering_grading(questions, response, score):
    result = grade(questions["or-steps"], response)
    assert result.score == score and result.response == list(response)


def test_ordering_feedback_of_misplaced_items(questions):
    q = questions["or-steps"]
    assert grade(q, ["a", "b", "c", "d"]).feedback_html == (q.feedback_html,)
    swapped = grade(q, ["b", "a", "c", "d"]).feedback_html
    assert swapped == (q.answers[1].feedback_html, q.feedback_html)


@pytest.mark.parametrize(
    ("response", "score"),
    [
        ({"a": "a", "b": "b", "c": "c", "d": "d"}, 1.0),
        ({"a": "a", "b": "b", "c": "d", "d": "c"}, 1.0),  # same right side, same text
        ({"a": "b", "b": "a", "c": "c", "d": "d"}, 0.5),
        ({"a": "a"}, 0.25),  # the others are unanswered
        ({"a": "a", "b": "zz", "c": "", "d": None}, 0.25),  # unknown choices count as wrong
        ({"a": "a", "b": ["b"], "c": {"c": "c"}, "d": 4}, 0.25),
        ({}, 0.0),
    ],
)
def test_matching_grading(questions, response, score):
    assert grade(questions["ma-structures"], response).score == score


def test_matching_response_and_feedback(questions):
    q = questions["ma-structures"]
    result = grade(q, {"a": "b", "b": "zz"})
    assert result.response == {"a": "b", "b": None, "c": None, "d": None}
    assert result.feedback_html == (q.answers[0].feedback_html, q.feedback_html)


def test_reflection_grading_counts_words(questions):
    q = questions["rf-last-meeting"]
    short = grade(q, "  Only three words ")
    assert short.score is None and short.response == "Only three words"
    assert short.feedback_html == (
        "<p>You wrote 3 words. Write at least 5 words: 2 more.</p>",
        q.feedback_html,
    )
    enough = grade(q, "The team lead decided, as always.")
    assert enough.feedback_html[0] == "<p>You wrote 6 words.</p>"
    one = grade(questions["rf-default"], "Hello")
    assert one.feedback_html == ("<p>You wrote 1 word. Write at least 20 words: 19 more.</p>",)
    assert grade(q, {"text": "a b c d e"}) == grade(q, "")


def test_word_count_and_minimum(questions):
    assert word_count("") == 0
    assert word_count("  co-creation — works, really!  ") == 3  # the dash alone is no word
    assert word_count("one\ntwo\tthree") == 3
    q = questions["rf-last-meeting"]
    assert enough_words(q, "one two three four five")
    assert not enough_words(q, "one two three four")
    assert not enough_words(q, ["one two three four five"])


# Tampered input -----------------------------------------------------------------------------

HUGE = "a" * 1_000_000
TAMPERED: dict[str, list[Any]] = {
    "sc-what-fits": [None, 1, 1.0, True, ["b"], {"b": True}, "B", "b ", "", "zz", "d", HUGE],
    "mc-structures": [None, "a", "ab", {"a": 1}, ["a", "zz"], ["a", 1], [["a"]], ["e"], [HUGE]],
    "tf-consensus": [None, "False", "false", ["b"], {"b": "b"}, 0, "c", HUGE],
    "st-round": [None, ["check-in"], {"check-in": 1}, 1, b"check-in", HUGE, "check-in" * 70],
    # A bare number is not tampering: it is how a graded answer is stored and regraded.
    "nu-minutes": [None, True, ["12"], {"12": 12}, HUGE, "1" * 5000, "12" + " " * 10**6],
    "or-steps": [
        None,
        "abcd",
        ["a", "b", "c"],
        ["a", "b", "c", "d", "e"],
        ["a", "a", "c", "d"],
        ["a", "b", "c", "e"],
        [1, 2, 3, 4],
        {"a": 0, "b": 1, "c": 2, "d": 3},
        ["a", "b", "c", "d", "d"],
    ],
    "ma-structures": [
        None,
        [["a", "a"]],
        "a=a",
        {"a": "a", "b": "b", "c": "c", "d": "d", "e": "a"},  # an extra key
        {"zz": "a"},
        {1: "a"},
    ],
}


@pytest.mark.parametrize(
    ("qid", "index"), [(qid, i) for qid, values in TAMPERED.items() for i in range(len(values))]
)
def test_tampered_responses_score_zero(questions, qid, index):
    question = questions[qid]
    result = grade(question, TAMPERED[qid][index])
    assert result.score == 0.0
    json.dumps(result.response)
    assert all(isinstance(part, str) for part in result.feedback_html)


def test_an_id_from_another_question_is_not_an_answer(questions):
    # mc-structures has an option "d"; the single-choice question has only a, b and c.
    assert "d" in {a.id for a in questions["mc-structures"].answers}
    assert grade(questions["sc-what-fits"], "d").score == 0.0
    assert grade(questions["tf-consensus"], "c").score == 0.0
    assert grade(questions["ma-structures"], {"a": "a", "e": "e"}).score == 0.0


def _random_value(rng: random.Random, ids: list[str], depth: int = 0) -> Any:
    """A random response: scalars, strings, lists, tuples and dicts, near-misses of real ids."""
    kind = rng.randrange(12 if depth < 2 else 8)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False, 0, -1, 2**70, math.nan, math.inf, -0.0, 12.5])
    if kind == 2:
        return rng.choice(ids + ["", "zz", "A", " a", "a\x00", "é", "12", "1e309", "nan"])
    if kind == 3:
        alphabet = string.printable + "±→−０１２ßİ\u200b"
        return "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
    if kind == 4:
        return rng.choice(["x", "1", " ", "a"]) * rng.choice([499, 500, 501, 10_000])
    if kind == 5:
        return b"a"
    if kind == 6:
        return rng.sample(ids, len(ids))  # a real permutation
    if kind == 7:
        return [rng.choice(ids) for _ in range(rng.randrange(0, 6))]
    if kind == 8:
        return [_random_value(rng, ids, depth + 1) for _ in range(rng.randrange(0, 5))]
    if kind == 9:
        return tuple(_random_value(rng, ids, depth + 1) for _ in range(rng.randrange(0, 5)))
    if kind == 10:
        return {rng.choice(ids): rng.choice(ids) for _ in range(rng.randrange(0, 5))}
    keys = [rng.choice([*ids, "zz", "", "0"]) for _ in range(rng.randrange(0, 5))]
    return {key: _random_value(rng, ids, depth + 1) for key in keys}


def test_random_tampered_responses_never_raise(questions):
    rng = random.Random(20240611)
    for question in questions.values():
        ids = [a.id for a in question.answers] or ["a"]
        for _ in range(400):
            response = _random_value(rng, ids)
            result = grade(question, response)
            if question.scored:
                assert result.score is not None and 0.0 <= result.score <= 1.0, response
            else:
                assert result.score is None
            json.dumps(result.response)
            assert isinstance(result.feedback_html, tuple)
            assert all(isinstance(part, str) for part in result.feedback_html)


# Docs ---------------------------------------------------------------------------------------


def test_the_authoring_guide_examples_load(course_copy):
    """Every ```quiz example in the guide's Quizzes section builds without problems."""
    guide = DOCS.read_text(encoding="utf-8")
    section = guide[guide.index("\n## Quizzes") :]
    fences = re.findall(r"^```quiz .*?^```$", section, flags=re.MULTILINE | re.DOTALL)
    body = "\n\n".join(fences)
    lesson = f"---\ntitle: Guide examples\nquiz:\n  id: guide-examples\n---\n{body}\n"
    add_lesson(course_copy, "guide", lesson)
    found = all_questions(load_course(course_copy))
    assert {q.type for q in found.values()} == set(TYPES)
    for code in ["C160", "C161", "C162", "C163", "C164", "C165", "C166", "C167", "C169", *MY_CODES]:
        assert f"| {code} |" in section
