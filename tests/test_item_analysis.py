"""Item analysis on data small enough to check by hand."""

from __future__ import annotations

from statistics import pvariance

import pytest

from cocourse.reports.item_analysis import AttemptRecord, Response, analyse

from .plugins.yes_no import YesNo

# Five attempts at three 0/1 items; rows are attempts, columns items q1..q3.
MATRIX = [
    (1, 1, 1),
    (1, 1, 0),
    (1, 0, 0),
    (0, 1, 0),
    (0, 0, 0),
]


def records(matrix, version="v1", answers=None):
    out = []
    for row_number, row in enumerate(matrix):
        items = {}
        for column, score in enumerate(row):
            answer = (answers or {}).get((row_number, column), "a")
            items[(f"q{column + 1}", version)] = Response(float(score), answer, "single-choice")
        out.append(AttemptRecord(sum(row) / len(row), items))
    return out


def test_facility_is_the_mean_score():
    stats = analyse(records(MATRIX))
    assert [round(i.facility, 2) for i in stats.items] == [0.6, 0.6, 0.2]
    assert stats.attempts == 5


def test_discrimination_compares_the_upper_and_lower_27_percent():
    stats = analyse(records(MATRIX))
    # 27% of 5 rounds to 1 attempt per group: the best (1,1,1) and the worst (0,0,0).
    assert [i.discrimination for i in stats.items] == [1.0, 1.0, 1.0]


def test_kr20_matches_the_textbook_formula():
    stats = analyse(records(MATRIX))
    k = 3
    totals = [sum(row) for row in MATRIX]
    item_var = sum(pvariance([row[c] for row in MATRIX]) for c in range(k))
    expected = k / (k - 1) * (1 - item_var / pvariance(totals))
    assert stats.reliability_name == "KR-20"
    assert stats.reliability == pytest.approx(expected)
    assert stats.reliability_attempts == 5


def test_partial_credit_makes_it_cronbachs_alpha():
    matrix = [(1, 0.5), (0.5, 0.5), (0, 0)]
    stats = analyse(records(matrix))
    assert stats.reliability_name == "Cronbach's alpha"
    totals = [sum(row) for row in matrix]
    item_var = sum(pvariance([row[c] for row in matrix]) for c in range(2))
    assert stats.reliability == pytest.approx(2 * (1 - item_var / pvariance(totals)))


def test_broken_items_are_flagged():
    # q1: the weakest get it right and the strongest wrong; q2: nobody right.
    matrix = [(0, 0, 1, 1), (0, 0, 1, 1), (1, 0, 0, 0), (1, 0, 0, 0)]
    flags = {i.question_id: i.flags for i in analyse(records(matrix)).items}
    assert any("negative discrimination" in f for f in flags["q1"])
    assert flags["q2"] == ("nobody answered it correctly",)
    assert flags["q3"] == ()


def test_option_frequencies_count_what_was_chosen():
    answers = {(0, 0): "b", (1, 0): "b", (2, 0): "c", (3, 0): ["a", "c"], (4, 0): None}
    stats = analyse(records(MATRIX, answers=answers))
    assert stats.items[0].options == {"a": 1, "b": 2, "c": 2}


def test_each_question_type_says_what_its_option_frequencies_count():
    class Counts:
        """A plugin type that counts the words of a response; yes-no counts nothing."""

        name = "words"

        def tally(self, response):
            return response.split()

    counted = [
        AttemptRecord(1.0, {("w", "v"): Response(1.0, "so so", "words")}),
        AttemptRecord(0.0, {("w", "v"): Response(0.0, "no", "words")}),
    ]
    types = {"words": Counts(), "yes-no": YesNo()}
    assert analyse(counted, types).items[0].options == {"no": 1, "so": 2}
    assert analyse(counted).items[0].options == {}  # the built-in types do not know it
    plain = [AttemptRecord(1.0, {("y", "v"): Response(1.0, "yes", "yes-no")})]
    assert analyse(plain, types).items[0].options == {}


def test_versions_are_kept_apart_and_pools_use_the_common_item_set():
    old = records(MATRIX[:2], version="old")
    new = records(MATRIX, version="new")
    pooled = [AttemptRecord(1.0, {("q9", "x"): Response(1.0, "a", "single-choice")})]
    stats = analyse([*old, *new, *pooled])
    keys = [(i.question_id, i.version) for i in stats.items]
    assert ("q1", "old") in keys and ("q1", "new") in keys
    assert stats.reliability_attempts == 5  # the five attempts sharing the new item set


def test_no_attempts():
    stats = analyse([])
    assert stats.attempts == 0 and stats.items == () and stats.reliability is None
