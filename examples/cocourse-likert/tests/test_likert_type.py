"""The likert type on its own: reading fences, grading, and what the result page and reports
get from it. Drafts are built by hand here, as the core's parser would hand them over."""

from __future__ import annotations

import random

import pytest
from cocourse_likert.likert import INCOMPLETE
from likert_drafts import FREQUENCY, LIKERT, item, parse
from wtforms import Form

from cocourse.questions.base import QuestionType, resolve

AGREE_5 = ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"]
ODD_RESPONSES = [None, "", " ", "0", "6", "4.0", "four", True, 4.0, ["4"], {"4": 1}, object()]


# The type as a plugin.


def test_the_type_implements_the_whole_protocol():
    assert isinstance(LIKERT, QuestionType)
    assert resolve({"likert": LIKERT}, "likert") is LIKERT
    assert (LIKERT.name, LIKERT.widget, LIKERT.template) == (
        "likert",
        "radio",
        "cocourse_likert/widget.html",
    )
    assert set(LIKERT.settings) == {"scale", "labels", "expect"}
    assert all(isinstance(meaning, str) and meaning for meaning in LIKERT.settings.values())


# Reading fences.


def test_a_bare_statement_is_a_five_point_agreement_scale_and_not_scored():
    question = parse(feedback="Thanks.")
    assert [a.id for a in question.answers] == ["1", "2", "3", "4", "5"]
    assert [a.text for a in question.answers] == AGREE_5
    assert not any(a.correct for a in question.answers)
    assert question.scored is False and question.options == {"scored": False, "long": False}
    assert (question.id, question.type, question.points) == ("lk", "likert", 1.0)
    assert question.feedback_html == "<p>Thanks.</p>"


@pytest.mark.parametrize(
    ("scale", "first", "middle", "last"),
    [
        (2, "Disagree", None, "Agree"),
        (3, "Disagree", "Neither agree nor disagree", "Agree"),
        (4, "Strongly disagree", None, "Strongly agree"),
        (7, "Strongly disagree", "Neither agree nor disagree", "Strongly agree"),
    ],
)
def test_scale_picks_the_standard_wording(scale, first, middle, last):
    labels = [a.text for a in parse(scale=scale).answers]
    assert len(labels) == scale and (labels[0], labels[-1]) == (first, last)
    assert middle is None or labels[scale // 2] == middle


def test_labels_come_from_the_setting_as_plain_text():
    question = parse(labels=["Never", "<b>Sometimes</b>", 3, "Always"], points=2, tags=["habits"])
    assert [a.text for a in question.answers] == ["Never", "<b>Sometimes</b>", "3", "Always"]
    assert question.answers[1].html == "&lt;b&gt;Sometimes&lt;/b&gt;"  # escaped, not markup
    assert (question.points, question.tags, question.scored) == (2.0, ("habits",), False)


def test_labels_and_per_point_feedback_come_from_an_answer_list():
    question = parse(items=FREQUENCY)
    assert [a.text for a in question.answers] == ["Never", "Rarely", "Sometimes", "Often", "Always"]
    assert [a.correct for a in question.answers] == [False, False, True, True, True]
    assert question.answers[0].feedback_html == "<p>Silence is often thinking.</p>"
    assert question.scored is True
    plain = parse(items=tuple(item(text) for text in ("No", "Maybe", "Yes")))
    assert plain.scored is False and len(plain.answers) == 3


@pytest.mark.parametrize(
    ("expect", "points"),
    [(4, {4}), ("4-5", {4, 5}), ("4 \u2013 5", {4, 5}), (" 2-4 ", {2, 3, 4}), ("1", {1})],
)
def test_expect_marks_the_acceptable_points(expect, points):
    question = parse(expect=expect)
    assert question.scored is True
    assert {int(a.id) for a in question.answers if a.correct} == points


def test_long_scales_are_marked_for_a_column_on_phones():
    assert parse().options["long"] is False  # five short points: a row
    assert parse(scale=7).options["long"] is True  # more than five points
    assert parse(labels=["Never", "Rarely", "Sometimes"]).options["long"] is True  # wide word
    assert parse(labels=["No", "Somewhat", "Yes"]).options["long"] is True
    assert parse(labels=["Not at all", "A little", "Quite", "Very"]).options["long"] is False


# Answering and grading.


def test_a_scored_item_gives_one_for_an_acceptable_point_and_zero_otherwise():
    question = parse(expect="4-5", feedback="Everyone gets a turn.")
    for response, score in [("4", 1.0), ("5", 1.0), ("3", 0.0), ("1", 0.0)]:
        grade = LIKERT.grade(question, response)
        assert (grade.score, grade.response) == (score, response)
        assert grade.feedback_html == ("<p>Everyone gets a turn.</p>",)


def test_the_chosen_points_feedback_comes_before_the_general_one():
    question = parse(items=FREQUENCY, feedback="See the lesson.")
    grade = LIKERT.grade(question, "1")
    assert grade.score == 0.0
    assert grade.feedback_html == ("<p>Silence is often thinking.</p>", "<p>See the lesson.</p>")
    assert LIKERT.grade(question, "5").feedback_html[0].startswith("<p>The pause")
    assert LIKERT.grade(question, "3").feedback_html == ("<p>See the lesson.</p>",)


def test_an_opinion_item_has_no_score():
    question = parse(labels=["Not at all", "A little", "Very"])
    grade = LIKERT.grade(question, "2")
    assert (grade.score, grade.response, grade.feedback_html) == (None, "2", ())
    assert LIKERT.grade(question, None).score is None


@pytest.mark.parametrize("response", ODD_RESPONSES)
def test_odd_responses_grade_as_no_answer_and_never_raise(response):
    scored, opinion = parse(expect=4), parse()
    assert (LIKERT.grade(scored, response).score, LIKERT.grade(scored, response).response) == (
        0.0,
        None,
    )
    assert LIKERT.grade(opinion, response).score is None
    assert LIKERT.grade(opinion, response).response is None
    assert LIKERT.incomplete(scored, response) == INCOMPLETE
    assert LIKERT.response_html(scored, response) == ""


def test_a_stored_number_and_spaces_around_the_point_are_read_too():
    question = parse(expect=4)
    assert LIKERT.grade(question, 4).response == "4"
    assert LIKERT.grade(question, " 4 ").score == 1.0


def test_a_point_must_be_chosen_before_submitting():
    for question in (parse(), parse(expect="4-5")):
        assert LIKERT.incomplete(question, None) == "Choose a point on the scale before you submit."
        assert LIKERT.incomplete(question, "9") == INCOMPLETE  # not on this scale
        assert LIKERT.incomplete(question, "3") is None


def test_the_points_keep_their_order():
    question = parse(items=FREQUENCY)
    for seed in range(10):
        order = LIKERT.answer_order(question, True, random.Random(seed))
        assert order == ["1", "2", "3", "4", "5"]


def test_the_field_offers_the_labels_and_nothing_about_the_key():
    question = parse(items=FREQUENCY)
    form_class = type("F", (Form,), {"q0": LIKERT.field(question, ["1", "2", "3", "4", "5"])})
    field = form_class()["q0"]
    assert [(option.data, str(option.label.text)) for option in field] == [
        ("1", "Never"),
        ("2", "Rarely"),
        ("3", "Sometimes"),
        ("4", "Often"),
        ("5", "Always"),
    ]
    html = "".join(str(option()) for option in field)
    assert "correct" not in html and "checked" not in html and "feedback" not in html


# The result page and reports.


def test_the_response_reads_as_its_label_and_position():
    question = parse()
    assert LIKERT.response_html(question, "4") == "Agree (point 4 of 5)"
    tricky = parse(labels=["<i>never</i>", "always"])
    assert LIKERT.response_html(tricky, "1") == "&lt;i&gt;never&lt;/i&gt; (point 1 of 2)"


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"expect": 4}, "Agree (point 4 of 5)"),
        ({"expect": "4-5"}, "Agree to Strongly agree (points 4\u20135 of 5)"),
        (
            {"items": (item("Low", True), item("Mid", False), item("High", True))},
            "Low or High (points 1, 3 of 3)",
        ),
        (
            {"items": tuple(item(t, t != "c") for t in ("a", "b", "c", "d"))},
            "a, b or d (points 1, 2, 4 of 4)",
        ),
        ({}, ""),  # an opinion: no right answer to show
    ],
)
def test_the_key_reads_as_the_acceptable_points(kwargs, key):
    assert LIKERT.key_html(parse(**kwargs)) == key


def test_item_analysis_counts_the_point_chosen():
    assert LIKERT.tally("4") == ["4"]
    assert LIKERT.tally("9") == ["9"]
    for nothing in (None, "", "10", "0", "x", 4):
        assert LIKERT.tally(nothing) == []


def test_synthetic_learners_pick_acceptable_points_when_right():
    question = parse(expect="4-5")
    weights = {"1": 0.1, "2": 0.2, "3": 1.0}
    rng = random.Random(7)
    assert {LIKERT.simulate(question, True, rng, weights) for _ in range(50)} == {"4", "5"}
    wrong = [LIKERT.simulate(question, False, rng, weights) for _ in range(200)]
    assert set(wrong) <= {"1", "2", "3"} and wrong.count("3") > wrong.count("1")
    assert LIKERT.guess_chance(question) == pytest.approx(0.4)
    opinion = parse()
    assert {LIKERT.simulate(opinion, True, rng, {}) for _ in range(100)} == set("12345")
    assert LIKERT.guess_chance(opinion) == 0.0
