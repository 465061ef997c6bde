"""Item-quality warnings (W210-W215): questions a test-wise learner answers without knowing
the subject, or that are easy to misread; and `allow:`, which silences one with a reason."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cocourse.cli import cli
from cocourse.content.lint import lint_path
from cocourse.content.loader import load_course
from cocourse.content.model import Problem
from cocourse.questions.snapshot import to_snapshot

QUALITY = ("W210", "W211", "W212", "W213", "W214", "W215")


def fence(kind: str, qid: str, body: str, settings: str = "") -> str:
    """One ```quiz block; `settings` are YAML lines for its settings block."""
    head = f"---\n{settings}---\n" if settings else ""
    return f"```quiz {kind} {qid}\n{head}{body}\n```\n"


def choice(
    qid: str,
    right: str,
    *wrong: str,
    prompt: str = "Which of these fits the situation best?",
    kind: str = "single-choice",
    settings: str = "",
) -> str:
    """A choice question with the right option first."""
    options = [f"- [x] {right}", *(f"- [ ] {w}" for w in wrong)]
    return fence(kind, qid, f"{prompt}\n\n" + "\n".join(options), settings)


# Prompts about different things, so that no two of them look like the same question.
TOPICS = (
    "opening a meeting with a check-in round",
    "choosing between consent and majority voting",
    "inviting people who carry out the result",
    "harvesting ideas at the end of a session",
    "splitting a large group into pairs",
    "agreeing on a review date for an experiment",
)


def true_false(qid: str, right: bool, topic: str) -> str:
    """A true/false question about a topic."""
    text = f"Facilitators should always insist on {topic}."
    marks = ("x", " ") if right else (" ", "x")
    return fence("true-false", qid, f"{text}\n\n- [{marks[0]}] True\n- [{marks[1]}] False")


def quiz(*fences: str, quiz_id: str = "check", settings: str = "") -> str:
    """A quiz lesson holding the given question blocks."""
    return f"---\ntitle: Check\nquiz:\n  id: {quiz_id}\n{settings}---\n" + "\n".join(fences)


def write(course: Path, relative: str, text: str) -> Path:
    """Put a lesson file into the course."""
    path = course / relative
    path.write_text(text, encoding="utf-8")
    return path


def found(course: Path, codes: tuple[str, ...] = QUALITY) -> list[Problem]:
    """The problems of the course with the given codes."""
    return [p for p in lint_path(course) if p.code in codes]


def summary(course: Path, codes: tuple[str, ...] = QUALITY) -> list[tuple[str, int, str]]:
    """(file name, line, code) of each problem with the given codes."""
    return [(Path(p.path).name, p.line, p.code) for p in found(course, codes)]


# Balanced options: every length within a few characters of the others.
EVEN = (
    "Ask the group what it needs first.",
    "Tell the group what you decided.",
    "Vote on the proposal right away.",
    "Postpone the meeting by one week.",
)
LONG_KEY = (
    "Ask the people affected what they need, then shape the next step with them together.",
    "Decide it yourself.",
    "Vote at once.",
    "Wait a week.",
)


# W210: the right option stands out by its length.


def test_a_right_option_much_longer_than_the_others_is_reported(course_copy):
    write(course_copy, "intro/05-check.md", quiz(choice("long-key", *LONG_KEY)))
    problems = found(course_copy)
    assert [(p.code, p.line, p.severity) for p in problems] == [("W210", 6, "warning")]
    assert "'long-key'" in problems[0].message and "84 characters" in problems[0].message


def test_options_of_about_the_same_length_are_fine(course_copy):
    write(course_copy, "intro/05-check.md", quiz(choice("even", *EVEN)))
    assert found(course_copy) == []


def test_a_small_absolute_difference_is_not_reported(course_copy):
    # 1.5 times as long, but only 6 characters longer than the others' average.
    write(course_copy, "intro/05-check.md", quiz(choice("short", "Consent too", "Vote", "Poll")))
    assert found(course_copy) == []


def test_length_counts_the_text_shown_not_the_markdown(course_copy):
    right = "[Consent](https://example.org/a/very/long/address/about/consent/rounds) round"
    write(course_copy, "intro/05-check.md", quiz(choice("link", right, "Majority vote", "Advice")))
    assert found(course_copy) == []


def test_multiple_choice_right_options_all_longer_are_reported(course_copy):
    question = choice(
        "many-long",
        "Everyone affected by the decision gets a voice early on.",
        "The question is open, and the outcome is not fixed yet.",
        "A fixed plan.",
        "One expert.",
        kind="multiple-choice",
    ).replace("- [ ] The question", "- [x] The question")
    write(course_copy, "intro/05-check.md", quiz(question))
    assert summary(course_copy) == [("05-check.md", 6, "W210")]


def test_multiple_choice_with_a_short_right_option_is_fine(course_copy):
    question = choice(
        "many-mixed",
        "Everyone affected by the decision gets a voice early on.",
        "Open.",
        "A fixed plan.",
        "One expert.",
        kind="multiple-choice",
    ).replace("- [ ] Open.", "- [x] Open.")
    write(course_copy, "intro/05-check.md", quiz(question))
    assert found(course_copy) == []


# W211: the right option is the longest in too many questions of a quiz.


def longest_key_quiz(longest: int, total: int, settings: str = "") -> str:
    """`total` single-choice questions; in the first `longest` the right option is the
    longest (but by too little for W210)."""
    questions = []
    for i, topic in enumerate(TOPICS[:total]):
        if i < longest:
            options = ("Ask the group first.", "Decide it alone.", "Vote on it now.")
        else:
            options = ("Ask them.", "Decide it alone.", "Vote on it now.")
        questions.append(choice(f"q{i}", *options, prompt=f"What helps most with {topic}?"))
    return quiz(*questions, settings=settings)


def test_a_quiz_whose_right_options_are_mostly_the_longest_is_reported(course_copy):
    write(course_copy, "intro/05-check.md", longest_key_quiz(4, 6))
    problems = found(course_copy)
    assert [(p.code, p.line) for p in problems] == [("W211", 3)]  # the `quiz:` line
    assert "in 4 of 6 single-answer questions" in problems[0].message


def test_half_of_the_questions_is_not_too_many(course_copy):
    write(course_copy, "intro/05-check.md", longest_key_quiz(3, 6))
    assert found(course_copy) == []


def test_a_small_quiz_is_not_judged_on_shares(course_copy):
    write(course_copy, "intro/05-check.md", longest_key_quiz(5, 5))
    assert found(course_copy) == []


# W212: True or False is the right answer too often.


def test_true_false_keys_that_lean_one_way_are_reported(course_copy):
    questions = [true_false(f"tf{i}", i == 0, topic) for i, topic in enumerate(TOPICS)]
    write(course_copy, "intro/05-check.md", quiz(*questions))
    problems = found(course_copy)
    assert [(p.code, p.line) for p in problems] == [("W212", 3)]
    assert problems[0].message.startswith("False is the right answer in 5 of 6")


def test_true_false_keys_in_balance_are_fine(course_copy):
    questions = [true_false(f"tf{i}", i < 2, topic) for i, topic in enumerate(TOPICS)]
    write(course_copy, "intro/05-check.md", quiz(*questions))
    assert found(course_copy) == []


def test_a_few_true_false_questions_are_not_judged(course_copy):
    questions = [true_false(f"tf{i}", False, topic) for i, topic in enumerate(TOPICS[:5])]
    write(course_copy, "intro/05-check.md", quiz(*questions))
    assert found(course_copy) == []


# W213: "all of the above" and its relatives.


@pytest.mark.parametrize(
    "option",
    ["All of the above", "none of these.", "Both A and B", "All the above are correct", "None"],
)
def test_catch_all_options_are_reported(course_copy, option):
    options = ("Ask the group.", "Decide alone.", "Vote at once.", option)
    write(course_copy, "intro/05-check.md", quiz(choice("catch-all", *options)))
    expected = [] if option == "None" else [("05-check.md", 6, "W213")]
    assert summary(course_copy) == expected


def test_an_option_starting_with_all_is_not_a_catch_all(course_copy):
    options = ("All parts of the process.", "Only the outcome.", "Only the agenda.")
    write(course_copy, "intro/05-check.md", quiz(choice("all-parts", *options)))
    assert found(course_copy) == []


# W214: the same question twice in the course.

PRACTICE = "A facilitator keeps the process safe and leaves the outcome to the group. Why?"
EXAM = "Why does a facilitator keep the process safe but leave the outcome to the group?"
REASON = ("The group owns the result.", "It saves everybody time.", "The rules require it.")


def test_an_exam_question_that_repeats_a_practice_question_is_reported_once(course_copy):
    practice = write(
        course_copy, "intro/05-practice.md", quiz(choice("p1", *REASON, prompt=PRACTICE))
    )
    exam = quiz(choice("x1", *REASON, prompt=EXAM), quiz_id="exam")
    write(course_copy, "adv/02-exam.md", exam)
    problems = found(course_copy)
    assert [(Path(p.path).name, p.line, p.code) for p in problems] == [("02-exam.md", 6, "W214")]
    assert f"as 'p1' at {practice}:6" in problems[0].message


def test_the_same_prompt_with_another_answer_is_a_new_question(course_copy):
    write(course_copy, "intro/05-practice.md", quiz(choice("p1", *REASON, prompt=PRACTICE)))
    other = ("It saves everybody time.", "The group owns the result.", "The rules require it.")
    write(course_copy, "adv/02-exam.md", quiz(choice("x1", *other, prompt=EXAM), quiz_id="exam"))
    assert found(course_copy) == []


def test_different_prompts_with_the_same_answer_are_fine(course_copy):
    write(course_copy, "intro/05-practice.md", quiz(choice("p1", *REASON, prompt=PRACTICE)))
    prompt = "Who should decide what the new team rota looks like, and on what grounds?"
    write(course_copy, "adv/02-exam.md", quiz(choice("x1", *REASON, prompt=prompt), quiz_id="exam"))
    assert found(course_copy) == []


def test_a_repeat_may_be_allowed_on_either_question(course_copy):
    allow = 'allow: {W214: "the refresher repeats this question on purpose"}\n'
    write(
        course_copy,
        "intro/05-practice.md",
        quiz(choice("p1", *REASON, prompt=PRACTICE, settings=allow)),
    )
    write(course_copy, "adv/02-exam.md", quiz(choice("x1", *REASON, prompt=EXAM), quiz_id="exam"))
    assert found(course_copy) == []


# W215: negative question words without emphasis.


@pytest.mark.parametrize(
    ("prompt", "reported"),
    [
        ("Which of these is not a way to open a meeting?", True),
        ("Each option below helps except one: which one?", True),
        ("Every option helps, except one. Which one?", False),  # only asking sentences
        ("Which of these is **not** a way to open a meeting?", False),
        ("Which of these is *not* a way to open a meeting?", False),
        ("Which of these is NOT a way to open a meeting?", False),
        ("Which of these is the least helpful?", True),
        ("Which round takes at least ten minutes?", False),
        ("The team did not agree on the agenda. What do you do first?", False),
        ("Which structure is never used? Choose one.", True),
    ],
)
def test_negative_questions_need_emphasis(course_copy, prompt, reported):
    write(course_copy, "intro/05-check.md", quiz(choice("negative", *EVEN, prompt=prompt)))
    assert summary(course_copy) == ([("05-check.md", 6, "W215")] if reported else [])


# allow: silencing a warning with a reason.


def test_a_question_allows_a_warning_with_a_reason(course_copy):
    allow = 'allow: {W210: "the right option has to list all four steps"}\n'
    write(course_copy, "intro/05-check.md", quiz(choice("long-key", *LONG_KEY, settings=allow)))
    assert found(course_copy, (*QUALITY, "C168")) == []


def test_allow_silences_only_the_codes_it_names(course_copy):
    allow = 'allow: {W213: "the four options are the four parts of one process"}\n'
    write(course_copy, "intro/05-check.md", quiz(choice("long-key", *LONG_KEY, settings=allow)))
    assert summary(course_copy) == [("05-check.md", 6, "W210")]


@pytest.mark.parametrize(
    ("allow", "message"),
    [
        ('allow: {W210: ""}', "W210 needs a reason"),
        ("allow: {W210: }", "W210 needs a reason"),
        ('allow: {W299: "why"}', "unknown code 'W299'"),
        ('allow: {W211: "why"}', "W211 is about a whole quiz"),
        ("allow: [W210]", "must map warning codes to reasons"),
    ],
)
def test_a_bad_question_allow_is_an_error(course_copy, allow, message):
    write(
        course_copy, "intro/05-check.md", quiz(choice("long-key", *LONG_KEY, settings=allow + "\n"))
    )
    problems = found(course_copy, ("C168",))
    assert [(p.line, p.severity) for p in problems] == [(8, "error")]  # the `allow` line
    assert message in problems[0].message


def test_a_quiz_allows_its_own_warnings(course_copy):
    settings = '  allow:\n    W211: "a warm-up quiz; the exam is balanced"\n'
    write(course_copy, "intro/05-check.md", longest_key_quiz(4, 6, settings))
    assert found(course_copy, (*QUALITY, "C165")) == []


def test_a_quiz_allow_of_a_question_warning_covers_every_question(course_copy):
    settings = '  allow: {W215: "a reading exercise: spotting the negation is the skill"}\n'
    questions = [
        choice(f"neg{i}", *EVEN, prompt=f"What is not helpful when {topic}?")
        for i, topic in enumerate(TOPICS[:2])
    ]
    write(course_copy, "intro/05-check.md", quiz(*questions, settings=settings))
    assert found(course_copy, (*QUALITY, "C165")) == []


@pytest.mark.parametrize(
    ("allow", "message"),
    [('{W212: " "}', "W212 needs a reason"), ('{C166: "why"}', "unknown code 'C166'")],
)
def test_a_bad_quiz_allow_is_an_error(course_copy, allow, message):
    write(
        course_copy, "intro/05-check.md", quiz(choice("q", *EVEN), settings=f"  allow: {allow}\n")
    )
    problems = found(course_copy, ("C165",))
    assert len(problems) == 1 and message in problems[0].message


BODIES = {
    "single-choice": "Pick one.\n\n- [x] Yes\n- [ ] No",
    "multiple-choice": "Pick some.\n\n- [x] Yes\n- [ ] No",
    "true-false": "Consent is not consensus.\n\n- [x] True\n- [ ] False",
    "short-text": "The round that opens a meeting?\n\n- [x] check-in",
    "numeric": "Minutes of 1-2-4-All?\n\n- [x] 12",
    "ordering": "Order them.\n\n1. Alone\n2. Pairs",
    "matching": "Match them.\n\n- Alone -> one\n- Pairs -> two",
    "reflection": "Think of your last meeting.",
}


@pytest.mark.parametrize("kind", sorted(BODIES))
def test_every_built_in_type_accepts_allow(course_copy, kind):
    allow = 'allow: {W214: "asked again on purpose"}\n'
    lesson = quiz(fence(kind, "q-allow", BODIES[kind], allow), settings="  pass_mark: 0\n")
    write(course_copy, "intro/05-check.md", lesson)
    result = load_course(course_copy)
    assert result.errors == (), [str(p) for p in result.errors]


def test_allow_reasons_never_reach_the_course_objects(course_copy):
    question_reason = "SECRET-QUESTION-REASON the long option is right"
    quiz_reason = "SECRET-QUIZ-REASON false is usually right"
    settings = f'  allow: {{W212: "{quiz_reason}"}}\n'
    allow = f'allow: {{W210: "{question_reason}"}}\n'
    text = quiz(choice("long-key", *LONG_KEY, settings=allow), settings=settings)
    write(course_copy, "intro/05-check.md", text)
    result = load_course(course_copy)
    assert result.course is not None and result.problems == ()
    lesson = result.course.module("intro").lessons[-1]
    question = lesson.questions[0]
    stored = json.dumps(to_snapshot(question, [a.id for a in question.answers]))
    shown = "".join(getattr(part, "html", "") for part in lesson.parts)
    for seen in (stored, shown, repr(dataclasses.asdict(question)), repr(lesson.quiz)):
        assert "SECRET" not in seen


def test_the_cli_prints_warnings_with_file_and_line(course_copy):
    lesson = write(course_copy, "intro/05-check.md", quiz(choice("long-key", *LONG_KEY)))
    result = CliRunner().invoke(cli, ["lint", str(course_copy)])
    assert result.exit_code == 0
    assert any(line.startswith(f"{lesson}:6: W210 ") for line in result.output.splitlines())
    assert CliRunner().invoke(cli, ["lint", "--strict", str(course_copy)]).exit_code == 1


def test_course_loading_keeps_the_warnings(course_copy):
    write(course_copy, "intro/05-check.md", quiz(choice("long-key", *LONG_KEY)))
    result = load_course(course_copy)
    assert result.course is not None
    assert [p.code for p in result.course.warnings] == ["W210"]


def test_every_item_quality_code_is_documented():
    from cocourse.content.item_quality import QUESTION_CODES, QUIZ_CODES

    guide = (Path(__file__).parent.parent / "docs" / "authoring.md").read_text(encoding="utf-8")
    section = guide[guide.index("### Item quality") :]
    for code in (*QUESTION_CODES, *QUIZ_CODES):
        assert f"| {code} |" in section, code
