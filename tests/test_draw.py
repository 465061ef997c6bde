"""Pool draws with several minimums at once (`draw_per_tag`, groups such as `domain:*`): every
draw meets them all whenever the pool can, lint says when it cannot, and draws stay random."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from pathlib import Path

import pytest

from cocourse.content.draw_rules import Cover, expand_minimums
from cocourse.content.lint import lint_path
from cocourse.content.quiz import QuizSettings, parse_quiz_settings
from cocourse.questions.base import Question
from cocourse.quiz.draw import choose, choose_questions
from cocourse.quiz.engine import pick

DOMAINS = [f"domain:{name}" for name in ("listening", "harvest", "design", "safety", "stance")]


def pool(*tag_sets: set[str]) -> list[Question]:
    """Questions carrying the given tags (nothing else matters to a draw)."""
    return [
        Question(
            id=f"q{i}",
            type="single-choice",
            prompt="",
            prompt_html="",
            answers=(),
            tags=tuple(sorted(tags)),
        )
        for i, tags in enumerate(tag_sets)
    ]


def meets(drawn: set[int], questions: list[Question], minimums) -> bool:
    """Whether the drawn questions meet every (tag, count) minimum."""
    return all(sum(1 for i in drawn if tag in questions[i].tags) >= n for tag, n in minimums)


def exam_pool() -> list[Question]:
    """Five domains of 10 questions; only the first two domains have scenario questions (5
    each), so 8 scenario questions must also count towards those domains' minimums."""
    tags = []
    for d, domain in enumerate(DOMAINS):
        for i in range(10):
            module = f"module:m{(d * 10 + i) % 4}"
            tags.append({domain, module, *(["scenario"] if d < 2 and i < 5 else [])})
    return pool(*tags)


EXAM_RULES = (("domain:*", 6), ("module:*", 2), ("scenario", 8))


def old_pick(questions: list[Question], per_tag, draw: int, rng: random.Random) -> set[int]:
    """The draw before groups: each tag's minimum in turn, then the rest at random."""
    chosen: set[int] = set()
    for tag, wanted in per_tag:
        have = sum(1 for i in chosen if tag in questions[i].tags)
        candidates = [i for i, q in enumerate(questions) if tag in q.tags and i not in chosen]
        chosen.update(rng.sample(candidates, min(max(wanted - have, 0), len(candidates))))
    rest = [i for i in range(len(questions)) if i not in chosen]
    chosen.update(rng.sample(rest, min(draw - len(chosen), len(rest))))
    return chosen


def test_the_old_greedy_draw_failed_on_overlapping_minimums():
    questions = exam_pool()
    minimums = expand_minimums(EXAM_RULES, {t for q in questions for t in q.tags})
    failures = 0
    for seed in range(100):
        try:
            drawn = old_pick(questions, minimums, 30, random.Random(seed))
        except ValueError:  # it took more than the draw, then could not fill a negative rest
            failures += 1
            continue
        failures += len(drawn) != 30 or not meets(drawn, questions, minimums)
    assert failures > 50


def test_overlapping_minimums_are_met_on_every_seed():
    questions = exam_pool()
    settings = QuizSettings(id="exam", draw=30, draw_per_tag=EXAM_RULES)
    minimums = expand_minimums(EXAM_RULES, {t for q in questions for t in q.tags})
    assert len(minimums) == 5 + 4 + 1  # five domains, four module groups, scenario
    for seed in range(300):
        drawn = pick(questions, settings, random.Random(seed))
        assert len(drawn) == 30, seed
        assert meets(drawn, questions, minimums), seed


def test_every_question_that_can_be_drawn_is_sometimes_drawn():
    questions = exam_pool()
    settings = QuizSettings(id="exam", draw=30, draw_per_tag=EXAM_RULES)
    counts = Counter(
        i for seed in range(400) for i in pick(questions, settings, random.Random(seed))
    )
    assert set(counts) == set(range(len(questions)))
    # The scenario questions are needed more often than the others, but nobody is starved.
    assert min(counts.values()) > 400 * 30 / len(questions) / 4


def test_questions_no_valid_draw_can_hold_are_never_drawn():
    # Two of each tag are needed in a draw of four: the untagged questions never fit.
    questions = pool({"a"}, {"a"}, {"b"}, {"b"}, set(), set(), set())
    settings = QuizSettings(id="q", draw=4, draw_per_tag=(("a", 2), ("b", 2)))
    drawn = set().union(*(pick(questions, settings, random.Random(s)) for s in range(50)))
    assert drawn == {0, 1, 2, 3}


def test_a_draw_without_minimums_is_the_plain_random_sample_it_was():
    questions = pool(*({f"t{i % 3}"} for i in range(20)))
    settings = QuizSettings(id="q", draw=7)
    for seed in range(20):
        expected = set(random.Random(seed).sample(range(20), 7))
        assert pick(questions, settings, random.Random(seed)) == expected


def test_an_impossible_draw_still_gives_a_full_attempt():
    questions = pool({"a"}, {"b"}, {"c"}, set(), set())
    drawn = choose([q.tags for q in questions], [("a", 1), ("b", 1), ("c", 1)], 2, random.Random(1))
    assert len(set(drawn)) == 2 and all(i < 3 for i in drawn)  # as many minimums as fit


def test_groups_expand_to_the_tags_that_start_with_them():
    tags = {"domain:b", "domain:a", "module:x", "scenario", "domain"}
    rules = (("domain:*", 2), ("domain:a", 3), ("scenario", 1), ("nothing:*", 4))
    assert expand_minimums(rules, tags) == (("domain:a", 3), ("domain:b", 2), ("scenario", 1))


def test_the_cover_search_agrees_with_trying_every_draw():
    for trial in range(300):
        rng = random.Random(trial)
        size = rng.randint(3, 9)
        names = "abcd"[: rng.randint(1, 4)]
        tag_sets = [{t for t in names if rng.random() < 0.45} for _ in range(size)]
        minimums = [(t, rng.randint(1, 3)) for t in names]
        draw = rng.randint(1, size)

        def meets_all(drawn, tag_sets=tag_sets, minimums=minimums):
            return all(sum(1 for i in drawn if t in tag_sets[i]) >= n for t, n in minimums)

        possible = [
            k
            for k in range(size + 1)
            if any(map(meets_all, itertools.combinations(range(size), k)))
        ]
        cover = Cover(minimums, tag_sets)
        assert cover.fewest(cover.needs, cover.groups()) == min(possible, default=None), trial
        assert cover.fits(cover.needs, cover.groups(), draw) == (draw in possible), trial
        if draw in possible:
            for seed in range(3):
                drawn = choose(tag_sets, minimums, draw, random.Random(seed))
                assert len(set(drawn)) == draw and meets_all(drawn), (trial, seed)


def test_a_tangled_pool_is_drawn_quickly_and_correctly():
    # Twelve tags spread at random over 200 questions: many small groups, much overlap.
    rng = random.Random(1)
    names = [f"t{i}" for i in range(12)]
    tag_sets = [{t for t in names if rng.random() < 0.2} for _ in range(200)]
    rules = [(t, rng.randint(2, 6)) for t in names]
    drawn = choose_questions(tag_sets, rules, 30, random.Random(7))
    assert len(set(drawn)) == 30
    assert all(sum(1 for i in drawn if t in tag_sets[i]) >= n for t, n in rules)


# Settings and lint.


def test_minimums_may_add_up_to_more_than_the_draw():
    settings, problems = parse_quiz_settings(
        {"id": "q", "draw": 3, "draw_per_tag": {"domain:*": 2, "a": 2, "b": 2}}, "x.md", 2
    )
    assert problems == []
    assert settings is not None and settings.draw_per_tag == (("domain:*", 2), ("a", 2), ("b", 2))
    assert hash(settings)


@pytest.mark.parametrize(
    ("per_tag", "message"),
    [
        ({"do*main": 1}, "must be a tag, or a group such as 'domain:*'"),
        ({"domain:**": 1}, "must be a tag, or a group"),
        ({"*": 1}, "needs the beginning of its tags"),
        ({"a": 3}, "asks for 3 questions for 'a' but 'draw' is 2"),
    ],
)
def test_malformed_group_rules_are_named(per_tag, message):
    _settings, problems = parse_quiz_settings(
        {"id": "q", "draw": 2, "draw_per_tag": per_tag}, "x.md", 2
    )
    assert [p.code for p in problems] == ["C165"] and message in problems[0].message


def write_pool(course: Path, draw: int, rules: str, tag_lists: list[list[str]]) -> Path:
    """A pool quiz in the fixture course: one question per tag list."""
    fences = [
        f"```quiz single-choice p{i}\n---\ntags: [{', '.join(tags)}]\n---\n"
        f"Pool question {i}: which option?\n\n- [x] First option\n- [ ] Second option\n```\n"
        for i, tags in enumerate(tag_lists)
    ]
    head = f"---\ntitle: Pool\nquiz:\n  id: pool\n  draw: {draw}\n  draw_per_tag: {rules}\n---\n"
    lesson = course / "intro" / "05-pool.md"
    lesson.write_text(head + "\n".join(fences), encoding="utf-8")
    return lesson


def draw_problems(course: Path) -> list[str]:
    return [p.message for p in lint_path(course) if p.code in ("C165", "C166")]


def test_lint_accepts_minimums_one_draw_can_meet(course_copy):
    tags = [["domain:a", "scenario"], ["domain:a"], ["domain:b", "scenario"], ["domain:b"]]
    write_pool(course_copy, 2, "{domain:*: 1, scenario: 2}", tags)
    assert draw_problems(course_copy) == []


def test_lint_names_a_minimum_that_does_not_fit_beside_the_others(course_copy):
    # Scenario questions exist only in domain a: one question per domain leaves room for one.
    tags = [["domain:a", "scenario"], ["domain:a", "scenario"], ["domain:b"], ["domain:c"]]
    write_pool(course_copy, 3, "{domain:b: 1, domain:c: 1, scenario: 2}", tags)
    assert draw_problems(course_copy) == [
        "draw_per_tag cannot be met in a draw of 3: meeting every minimum at once takes 4 "
        "questions; dropping any one of the minimums for 'domain:b' (1), 'domain:c' (1), "
        "'scenario' (2) would make it fit"
    ]


def test_lint_names_the_group_a_minimum_comes_from(course_copy):
    tags = [["domain:a", "scenario"], ["domain:a", "scenario"], ["domain:b"], ["domain:c"]]
    write_pool(course_copy, 3, "{domain:*: 1, scenario: 2}", tags)
    (message,) = draw_problems(course_copy)
    assert "'domain:b' (from 'domain:*') (1)" in message


def test_lint_names_the_one_minimum_to_blame(course_copy):
    tags = [["a", "b"], ["a", "b"], ["c"], ["c"]]
    write_pool(course_copy, 3, "{a: 2, b: 2, c: 2}", tags)
    (message,) = draw_problems(course_copy)
    assert message.endswith("dropping the minimum for 'c' (2) would make it fit")


def test_lint_says_when_no_single_minimum_is_to_blame(course_copy):
    tags = [["a"], ["a"], ["b"], ["b"], ["c"], ["c"]]
    write_pool(course_copy, 3, "{a: 2, b: 2, c: 2}", tags)
    (message,) = draw_problems(course_copy)
    assert "takes 6 questions" in message and "no one minimum is to blame" in message


def test_lint_reports_a_group_that_matches_no_tag(course_copy):
    write_pool(course_copy, 1, "{domain:*: 1}", [["module:a"], ["module:b"]])
    assert draw_problems(course_copy) == [
        "draw_per_tag group 'domain:*' matches no tag of the quiz's questions"
    ]


def test_lint_reports_a_group_tag_with_too_few_questions(course_copy):
    write_pool(course_copy, 3, "{domain:*: 2}", [["domain:a"], ["domain:a"], ["domain:b"]])
    assert draw_problems(course_copy) == [
        "draw_per_tag needs 2 question(s) tagged 'domain:b' (from 'domain:*'); the quiz has 1"
    ]


def test_lint_says_when_the_rules_are_too_tangled_to_check(course_copy, monkeypatch):
    # A draw of 4 can meet these minimums, but the greedy cover takes 5: only the search
    # finds the draw, and with a budget of one step it gives up.
    tags = [["d"], ["c", "d"], ["a", "b", "d"], ["a", "c"], ["b", "c"], ["a", "d"]]
    write_pool(course_copy, 4, "{a: 3, b: 2, c: 2, d: 2}", tags)
    assert draw_problems(course_copy) == []
    monkeypatch.setattr(Cover, "BUDGET", 1)
    (message,) = draw_problems(course_copy)
    assert "too intricate to check" in message
