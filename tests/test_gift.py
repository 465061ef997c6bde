"""Moodle GIFT import (GIFT -> quiz lesson Markdown) and export (questions -> GIFT)."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from cocourse.content.loader import load_course
from cocourse.questions import builtin_types
from cocourse.questions.base import Answer, Question
from cocourse.quiz.gift import (
    GiftWarning,
    category_path,
    category_tag,
    gift_to_markdown,
    lesson_file,
    markdown_to_gift,
    question_ids,
    read_gift,
    slugify,
)
from cocourse.quiz.gift.text import escape_markdown, gift_escape

FIXTURE = Path(__file__).parent / "fixtures" / "gift" / "co-creation.gift"


def convert(text: str, **options: object) -> tuple[str, list[GiftWarning]]:
    """GIFT to Markdown with a fixed quiz id and title."""
    return gift_to_markdown(text, quiz_id="imported", title="Imported quiz", **options)  # type: ignore[arg-type]


def fence(markdown: str, qid: str) -> str:
    """The ```quiz fence of one question, from its opening line to its closing fence."""
    found = re.search(rf"^(`{{3,}})quiz \S+ {re.escape(qid)}\n.*?^\1$", markdown, re.M | re.S)
    assert found, f"no question {qid!r} in:\n{markdown}"
    return found.group(0)


def only(text: str) -> tuple[str, list[GiftWarning]]:
    """The fence of the only question of a GIFT text, and the warnings."""
    markdown, warnings = convert(text)
    fences = re.findall(r"^```quiz \S+ (\S+)$", markdown, re.M)
    assert len(fences) == 1, markdown
    return fence(markdown, fences[0]), warnings


def body(fenced: str) -> str:
    """A question fence without its opening line and settings block."""
    rest = fenced.split("\n", 1)[1]
    return rest.split("---\n", 2)[2] if rest.startswith("---\n") else rest


def messages(warnings: list[GiftWarning]) -> list[str]:
    return [str(warning) for warning in warnings]


def question(qtype: str, answers: list[Answer], **fields: object) -> Question:
    """A question built directly, as a question type would build it."""
    values: dict[str, object] = {
        "id": "q-1",
        "type": qtype,
        "prompt": "Which fits?",
        "prompt_html": "",
        "answers": tuple(answers),
        "path": "intro/09-quiz.md",
        "line": 7,
    }
    values.update(fields)
    return Question(**values)  # type: ignore[arg-type]


def option(text: str, correct: bool = False, feedback: str = "", match: str = "") -> Answer:
    return Answer(id="a", text=text, html="", correct=correct, feedback=feedback, match=match)


# The lesson around the questions.


def test_lesson_front_matter_names_title_and_quiz_id():
    markdown, warnings = gift_to_markdown(
        "Q?{T}", quiz_id="meeting-basics", title="Meetings: the basics"
    )
    assert markdown.startswith(
        '---\ntitle: "Meetings: the basics"\nquiz:\n  id: meeting-basics\n---\n\n```quiz'
    )
    assert warnings == []


def test_an_invalid_quiz_id_is_refused():
    with pytest.raises(ValueError, match="invalid quiz id"):
        gift_to_markdown("Q?{T}", quiz_id="Not Valid", title="T")


def test_an_empty_file_gives_a_lesson_without_questions_and_says_so():
    markdown, warnings = convert("// only a comment\n\n")
    assert markdown == "---\ntitle: Imported quiz\nquiz:\n  id: imported\n---\n"
    assert messages(warnings) == ["line 1: no question could be imported"]


# Exact Markdown for questions of the fixture file.


@pytest.fixture(scope="module")
def fixture_import() -> tuple[str, list[GiftWarning]]:
    return convert(FIXTURE.read_text(encoding="utf-8"))


def test_single_choice_with_feedback_title_and_category(fixture_import):
    markdown, _ = fixture_import
    assert fence(markdown, "what-fits-co-creation") == (
        "```quiz single-choice what-fits-co-creation\n"
        "---\n"
        'name: "What fits co-creation?"\n'
        'category: "$course$/top/Co-creation/Basics"\n'
        "tags: [category-co-creation-basics]\n"
        "---\n"
        "Which description fits co-creation best?\n"
        "\n"
        "- [ ] The manager decides, then explains the decision.\n"
        "  > That is informing.\n"
        "- [x] The people involved shape the question, the process and the result.\n"
        "  > Yes.\n"
        "- [ ] Everyone votes on a finished plan.\n"
        "  > That is consulting, at best.\n"
        "\n"
        "> Co-creation shares the design, not only the decision.\n"
        "```"
    )


def test_true_false_feedback_is_wrong_answer_first_then_right_answer(fixture_import):
    markdown, _ = fixture_import
    # {F#It does not...#Right...}: the first feedback is for the wrong answer (True here).
    assert fence(markdown, "co-creation-and-consensus").split("---\n", 2)[2] == (
        "Co-creation means that everyone agrees on everything.\n"
        "\n"
        "- [ ] True\n"
        "  > It does not: disagreement is part of the work.\n"
        "- [x] False\n"
        "  > Right: it needs room to disagree.\n"
        "```"
    )
    # {TRUE#Look again...}: one feedback is the wrong-answer feedback, so it goes to False.
    assert fence(markdown, "facilitator-neutral").endswith(
        "- [x] True\n- [ ] False\n  > Look again at the role of a facilitator.\n```"
    )


def test_numeric_tolerance_range_and_several_answers(fixture_import):
    markdown, _ = fixture_import
    assert fence(markdown, "meeting-length").endswith("\n- [x] 15 ± 5\n```")
    assert fence(markdown, "group-size").endswith("\n- [x] 3..6\n```")
    assert fence(markdown, "energizer").split("---\n", 2)[2] == (
        "How many minutes should an energizer take?\n"
        "\n"
        "- [x] 3\n"
        "  > Exactly.\n"
        "- [x] 3 ± 2\n"
        "  > Close enough.\n"
        "- [ ] 30\n"
        "  > That is a workshop, not an energizer.\n"
        "\n"
        "> Keep it short: about three minutes.\n"
        "```"
    )


def test_missing_word_question_gets_a_blank_and_a_numbered_id(fixture_import):
    markdown, _ = fixture_import
    assert fence(markdown, "q-8") == (
        "```quiz single-choice q-8\n"
        "---\n"
        'category: "$course$/top/Co-creation/Basics"\n'
        "tags: [category-co-creation-basics]\n"
        "---\n"
        "A good meeting starts _____ and ends on time.\n"
        "\n"
        "- [ ] late\n"
        "- [x] on time\n"
        "- [ ] whenever people arrive\n"
        "```"
    )


def test_matching_pairs_and_general_feedback(fixture_import):
    markdown, _ = fixture_import
    assert fence(markdown, "roles").split("---\n", 2)[2] == (
        "Match each role with what it does.\n"
        "\n"
        "- Facilitator -> guides the process\n"
        "- Question owner -> owns the question and the result\n"
        "- Participant -> brings knowledge and experience\n"
        "\n"
        "> Roles may change during a project.\n"
        "```"
    )


def test_short_answers_with_anticipated_wrong_answers(fixture_import):
    markdown, _ = fixture_import
    assert fence(markdown, "name-the-method").split("---\n", 2)[2] == (
        "Name the method where small groups rotate between tables.\n"
        "\n"
        "- [x] World Café\n"
        "  > Yes.\n"
        "- [x] World Cafe\n"
        "  > Yes (without the accent).\n"
        "- [x] Cafe\n"
        "  > Almost: the full name is World Café.\n"
        "- [ ] Open Space\n"
        "  > Open Space lets people choose their own groups.\n"
        "```"
    )


def test_multiple_choice_from_percentage_weights(fixture_import):
    markdown, _ = fixture_import
    body = fence(markdown, "good-practices").split("---\n", 2)[2]
    assert body.startswith("Which practices help a co-creation session?\n\n")
    assert "- [x] Agree on the question first\n  > Yes.\n" in body
    assert "- [ ] Present a finished plan\n  > That closes the process.\n" in body


def test_html_moodle_plain_and_markdown_texts(fixture_import):
    markdown, _ = fixture_import
    assert "Which ground rule is **most** important?\\\nPick *one*.\n" in fence(
        markdown, "ground-rules"
    )
    assert "Read the \\<u>agenda\\</u> first.\n\nThen answer: is it \\<span>clear\\</span>?\n" in (
        fence(markdown, "formats")
    )
    assert "Which *tool* helps to **map** ideas?\n" in fence(markdown, "markdown-text")
    assert "Is 2 \\* 3 = 6 written with \\<b> tags?\n" in fence(markdown, "plain-text")
    assert "Why start a workshop with a check-in?\\\nThink of **trust** & attention.\n" in (
        fence(markdown, "check-in")
    )


def test_gift_escapes_and_line_break(fixture_import):
    markdown, _ = fixture_import
    assert fence(markdown, "escapes").split("---\n", 2)[2] == (
        "Which characters need a backslash in GIFT: \\~ = # { } ?\\\n"
        "All of them.\n"
        "\n"
        "- [x] True\n"
        "- [ ] False\n"
        "\n"
        "> Write \\\\ for a backslash.\n"
        "```"
    )


def test_essays_become_reflections(fixture_import):
    markdown, _ = fixture_import
    assert fence(markdown, "reflection").endswith(
        "---\nDescribe a meeting where you felt heard.\n```"
    )
    assert fence(markdown, "reflection-with-feedback").endswith(
        "What would you change in your next workshop?\n\n> Thank you for reflecting.\n```"
    )


def test_descriptions_stay_as_prose_and_categories_change_the_tag(fixture_import):
    markdown, _ = fixture_import
    assert "```\n\nThis part is about facilitation.\n\n```quiz short-text meeting-length-2\n" in (
        markdown
    )
    assert "tags: [category-facilitation]" in fence(markdown, "meeting-length-2")


def test_fixture_warnings_name_the_gift_lines(fixture_import):
    _, warnings = fixture_import
    expected = [
        (30, "question 'energizer': partial credit (50%) for '3:2' is not possible"),
        (32, "question 'energizer': feedback for any other answer is not possible"),
        (41, "question 'name-the-method': partial credit (50%) for 'Cafe' is not possible"),
        (55, "question 'meeting-roles': weights differ from the cocourse rule"),
        (61, "question 'ground-rules': partial credit (50%) for 'Speak briefly'"),
        (65, "question 'formats': HTML <span>, <u> is not converted"),
        (79, "question 'reflection': an essay becomes a reflection"),
        (81, "question 'reflection-with-feedback': an essay becomes a reflection"),
        (84, "question 'either-answer': weights differ from the cocourse rule"),
        (85, "question 'either-answer': 2 options are right"),
        (91, "description has no answers: kept as text in the lesson"),
        (95, "{true} is read as a short answer 'true', as Moodle does"),
        (97, "question 'no-right-option': skipped: no option is right"),
        (99, "question 25 'Unclosed' skipped: '{' is never closed by '}'"),
        (101, "question 'not-a-number': skipped: 'many' is not a number"),
    ]
    assert len(warnings) == len(expected), messages(warnings)
    for warning, (line, start) in zip(warnings, expected, strict=True):
        assert (warning.line, warning.message[: len(start)]) == (line, start)
    roles = next(w.message for w in warnings if "meeting-roles" in w.message)
    assert roles.endswith("'An audience' -100% (cocourse: -50%); 'A latecomer' 0% (cocourse: -50%)")


def test_the_fixture_covers_every_cocourse_type_it_can(fixture_import):
    markdown, _ = fixture_import
    types = set(re.findall(r"^```quiz (\S+) ", markdown, re.M))
    assert types == {
        "single-choice",
        "multiple-choice",
        "true-false",
        "short-text",
        "numeric",
        "matching",
        "reflection",
    }


# Reading GIFT: rules checked one at a time.


def test_comments_are_ignored_even_inside_a_question():
    text = "// about\n::Q1:: Is this true?\n// hidden\n{T}\n"
    body, warnings = only(text)
    assert "hidden" not in body and "about" not in body
    assert warnings == []


@pytest.mark.parametrize(
    ("answer", "correct"),
    [("T", "True"), ("TRUE", "True"), ("F", "False"), ("FALSE", "False")],
)
def test_true_false_spellings(answer, correct):
    body, _ = only(f"The sky is blue.{{{answer}}}")
    assert f"- [x] {correct}" in body


def test_true_false_with_only_right_answer_feedback():
    body, _ = only("Q?{T##Well done.}")
    assert body.endswith("- [x] True\n  > Well done.\n- [ ] False\n```")


def test_title_becomes_id_and_is_kept_as_the_name():
    markdown, _ = convert("::Über Co-creation!::Q?{T}\n\n::Über co-creation::Q2?{F}\n\nQ3?{T}")
    assert '```quiz true-false uber-co-creation\n---\nname: "Über Co-creation!"\n---\n' in (
        markdown
    )
    assert "```quiz true-false uber-co-creation-2\n" in markdown
    assert "```quiz true-false q-3\n" in markdown


def test_ids_avoid_reserved_ids_of_the_course():
    markdown, _ = convert("::Roles::Q?{T}\n\nQ2?{T}", reserved_ids={"roles", "q-2"})
    assert "```quiz true-false roles-2\n" in markdown
    assert "```quiz true-false q-2-2\n" in markdown


def test_long_titles_are_cut_at_a_dash():
    slug = slugify("A very long question title about facilitation, meetings and co-creation")
    assert slug == "a-very-long-question-title-about-facilitation"
    assert len(slug) <= 48


def test_tags_and_points_comments_written_by_the_export_are_read_back():
    text = (
        "// tags: domain-1, needs review, a:b\n// points: 2\n::Q::Is it?{T}\n\n// tags: x\nQ2?{T}"
    )
    markdown, warnings = convert("$CATEGORY: Meetings\n\n" + text)
    settings = (
        "name: Q\ncategory: Meetings\npoints: 2\n"
        'tags: [domain-1, needs review, "a:b", category-meetings]'
    )
    assert f"---\n{settings}\n---\n" in fence(markdown, "q")
    assert "tags: [x, category-meetings]" in fence(markdown, "q-2")
    assert warnings == []


def test_category_tags():
    assert category_tag("$course$/top/Co-creation/Basics") == "category-co-creation-basics"
    assert category_tag("$system$/top") is None
    assert category_tag("Facilitation") == "category-facilitation"


def test_a_question_right_after_category_is_read_with_a_warning():
    markdown, warnings = convert("$CATEGORY: Meetings\n::M::Q?{T}")
    assert "tags: [category-meetings]" in fence(markdown, "m")
    assert warnings[0].line == 1 and "without a blank line" in warnings[0].message


def test_several_equals_signs_make_a_short_text_question():
    body, warnings = only("Name a facilitation method.{=World Café =Open Space}")
    assert body.startswith("```quiz short-text q-1\n")
    assert "- [x] World Café\n- [x] Open Space\n" in body
    assert warnings == []


def test_short_answers_keep_markdown_characters_as_typed():
    # Short-text answers are compared with what learners type, so they are not escaped.
    body, _ = only("Which operator multiplies?{=* =x#Also fine.}")
    assert "- [x] x\n  > Also fine.\n" in body


def test_wildcards_in_short_answers_are_taken_literally_with_a_warning():
    body, warnings = only("Q?{=co*creation}")
    assert "- [x] co*creation" in body
    assert "Moodle reads * as 'any characters'" in warnings[0].message


def test_exact_multiple_choice_weights_give_no_warning():
    text = "Pick two.{~%33.33333%a ~%33.33333%b ~%33.3%c ~%-33.33333%d}"
    body, warnings = only(text)
    assert body.startswith("```quiz multiple-choice q-1\n")
    assert "- [x] a\n- [x] b\n- [x] c\n- [ ] d\n" in body
    assert warnings == []


def test_uneven_right_weights_are_reported():
    _, warnings = only("Pick.{~%70%a ~%30%b ~%-50%c}")
    assert messages(warnings) == [
        "line 1: question 'q-1': weights differ from the cocourse rule (each of the 2 right "
        "options earns 50%, each wrong option costs 50%, at least 0 in total): 'a' 70% "
        "(cocourse: 50%); 'b' 30% (cocourse: 50%)"
    ]


def test_penalties_in_single_choice_are_reported_with_their_line():
    body, warnings = only("Pick one.{\n=right\n~%-50%wrong\n}")
    assert "- [x] right\n- [ ] wrong\n" in body
    assert warnings[0].line == 3
    assert "the penalty (-50%) for 'wrong' is not possible" in warnings[0].message


def test_options_without_a_marker_are_wrong_options():
    body, warnings = only("Pick one.{stray ~a =b}")
    assert "- [ ] stray\n- [ ] a\n- [x] b\n" in body
    assert "'stray' has no ~ or = in front" in warnings[0].message


def test_repeated_options_are_dropped_and_conflicts_skip_the_question():
    body, warnings = only("Pick.{=Yes ~No ~no}")
    assert body.count("No") == 1
    assert "'no' is listed twice" in warnings[0].message
    markdown, warnings = convert("Name it.{=five =%0%Five}")
    assert "```quiz" not in markdown
    assert "listed as both right and wrong" in warnings[0].message


def test_numeric_numbers_are_written_as_cocourse_reads_them():
    body, _ = only("How many?{#=1e1 =%0%.5:0 =-2..+3}")
    assert "- [x] 10\n- [ ] 0.5\n- [x] -2..3\n" in body


@pytest.mark.parametrize("answers", ["#5..1", "#5:-1", "#=", "#abc"])
def test_bad_numbers_skip_the_question(answers):
    markdown, warnings = convert(f"How many?{{{answers}}}")
    assert "```quiz" not in markdown
    assert "skipped" in warnings[0].message


def test_numeric_catch_all_without_feedback_is_reported():
    body, warnings = only("How many?{#5 ~}")
    assert body.endswith("- [x] 5\n```")
    assert "matching anything" in warnings[0].message


def test_matching_arrows_inside_a_side_are_escaped():
    body, _ = only("Match.{=a -> b -> c =d -> e}")
    assert "- a -> b -\\> c\n- d -> e\n" in body


def test_matching_feedback_and_weights_are_reported():
    body, warnings = only("Match.{=%50%a -> b#fb =c -> d}")
    assert "- a -> b\n  > fb\n- c -> d\n" in body
    assert [w.message.split(":")[0] for w in warnings] == [
        "matching pairs take no %weight%",
        "question 'q-1'",
    ]


def test_matching_pairs_without_a_right_side_are_left_out():
    body, warnings = only("Match.{=a -> b =c -> d =e -> }")
    assert body.endswith("- a -> b\n- c -> d\n```")
    assert "the pair 'e' has nothing on the right: left out" in warnings[0].message


def test_matching_needs_two_pairs_with_a_left_side():
    markdown, warnings = convert("Match.{=a -> b = -> c}")
    assert "```quiz" not in markdown
    assert "nothing on the left" in warnings[0].message
    assert "at least two pairs" in warnings[1].message


def test_html_conversion_of_simple_tags():
    text = (
        "[html]<p>Plan the <strong>check-in</strong>, <em>agenda</em> and <code>a*b</code>."
        "</p><p>Then <b> rest </b>.<br/>Done &amp; dusted.</p>{T}"
    )
    fenced, warnings = only(text)
    assert body(fenced).startswith(
        "Plan the **check-in**, *agenda* and `a*b`.\n\nThen **rest** .\\\nDone & dusted.\n\n"
    )
    assert warnings == []


def test_html_line_breaks_in_answers_become_spaces_with_a_warning():
    body, warnings = only("[html]Pick.{=one<br>line ~two}")
    assert "- [x] one line\n" in body
    assert "a line break in an answer was replaced by a space" in warnings[0].message


def test_unknown_html_and_comments_are_reported():
    body, warnings = only("[html]A <a href='x'>link</a><!-- note -->.{T}")
    assert "A \\<a href='x'>link\\</a>." in body
    assert warnings[0].message.endswith(
        "HTML <a>, <!-- --> is not converted: cocourse shows it as text; HTML comments were removed"
    )


def test_markdown_text_is_kept_and_html_in_it_reported():
    body, warnings = only("[markdown]Use a *check-in* <b>first</b>.{T}")
    assert "Use a *check-in* <b>first</b>." in body
    assert "HTML <b> is not converted" in warnings[0].message


def test_plain_and_moodle_text_is_escaped_for_markdown():
    text = "[plain]# Not a heading\n- not a list\n1. not a list *nor* [a link](x) &amp; `code`{T}"
    fenced, _ = only(text)
    assert body(fenced).startswith(
        "\\# Not a heading\\\n\\- not a list\\\n1\\. not a list \\*nor\\* \\[a link\\](x) "
        "\\&amp; \\`code\\`\n"
    )


def test_escaped_braces_and_special_characters_stay_text():
    body, _ = only("Is \\{x\\} a set\\: \\~, \\= and \\#?{=yes\\#1 ~no\\~}")
    assert "Is {x} a set: \\~, = and #?" in body
    assert "- [x] yes#1\n- [ ] no\\~\n" in body


def test_answers_with_per_answer_format():
    body, _ = only("[html]Pick.{=[plain]<b>x</b> ~[markdown]*y*}")
    assert "- [x] \\<b>x\\</b>\n- [ ] *y*\n" in body


def test_a_fence_inside_markdown_text_gets_a_longer_fence():
    markdown, _ = convert("[markdown]Run\\n```\\ncode\\n```\\nthen?{T}")
    assert markdown.endswith(
        "````quiz true-false q-1\nRun\n```\ncode\n```\nthen?\n\n- [x] True\n- [ ] False\n````\n"
    )


def test_lists_in_a_reflection_become_paragraphs():
    body, warnings = only("[markdown]Think about\\n- your role\\n- your goals{}")
    assert body.endswith("Think about\n\n\\- your role\n\n\\- your goals\n```")
    assert "cannot hold a list" in warnings[1].message


def test_a_prompt_ending_in_a_dash_list_gets_star_bullets():
    body, _ = only("[markdown]Which fits?\\n- a\\n- b{=yes ~no}")
    assert body.endswith("Which fits?\n- a\n- b\n\n* [x] yes\n* [ ] no\n```")


def test_options_that_show_no_text_are_left_out():
    body, warnings = only("[html]Pick.{=yes ~<br> ~no}")
    assert "- [x] yes\n- [ ] no\n" in body
    assert "'<br>' shows no text: left out" in warnings[-1].message


def test_general_feedback_only_essay():
    body, warnings = only("Reflect.{\n####Thanks!\n}")
    assert body.endswith("Reflect.\n\n> Thanks!\n```")
    assert "an essay becomes a reflection" in warnings[0].message


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("Q?\n{=a", 2, "'{' is never closed by '}'"),
        ("Q?\n=a}", 2, "'}' without '{'"),
        ("Q} and {=a", 1, "'}' comes before '{'"),
        ("Q?{=a {=b}", 1, "a second '{' inside the answers"),
        ("Q?{=a}\n{=b}", 2, "more than one answer block"),
        ("Q?{~a ~b}", 1, "no option is right"),
        ("Q?{=a}extra{", 1, "more than one answer block"),
        ("{=a =b}", 1, "the question has no text"),
        ("Q?{=a -> }", 1, "at least two pairs"),
        ("Q?{~=}", 1, "no option is right"),
        ("Q?{=%50%a ~b}", 1, "no option gives full marks"),
        ("Q?{=%0%a}", 1, "no right answer"),
        ("Q?{=a -> b =c}", 1, "has no '->'"),
        ("Q?{~ =a}", 1, "a choice question needs at least two options"),
    ],
)
def test_malformed_questions_are_skipped_with_a_warning(text, line, message):
    markdown, warnings = convert(f"Fine?{{T}}\n\n{text}\n\nAlso fine?{{F}}")
    assert markdown.count("```quiz") == 2
    skipped = [w for w in warnings if message in w.message]
    assert skipped and skipped[0].line == line + 2, messages(warnings)


def test_unclosed_title_is_read_as_text_with_a_warning():
    body, warnings = only("::No end Q?{T}")
    assert "No end Q?" in body
    assert "no closing '::'" in warnings[0].message


def test_lowercase_true_is_a_short_answer_as_in_moodle():
    body, warnings = only("Q?{true}")
    assert body.startswith("```quiz short-text")
    assert "write {TRUE} in capitals" in warnings[0].message


def test_weights_outside_the_range_are_reported():
    _, warnings = only("Q?{~%150%a ~%-50%b}")
    assert "weight 150% is outside -100%..100%" in warnings[0].message


def test_random_text_never_raises():
    pieces = ["{", "}", "~", "=", "#", "%50%", "%-", "->", "::", "\\", "\n", "\n\n", "T", "a"]
    pieces += ["..", ":", "[html]", "<b>", "</b>", "<br>", "$CATEGORY: x", "// c", "*", "1", " "]
    rng = random.Random(20261127)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 30)))
        markdown, warnings = convert(text)
        assert markdown.startswith("---\n")
        assert all(isinstance(w, GiftWarning) for w in warnings)


def test_read_gift_gives_the_moodle_types():
    items, warnings = read_gift(FIXTURE.read_text(encoding="utf-8"))
    kinds = [item.kind for item in items]
    assert kinds.count("category") == 2
    assert {"description", "essay", "multichoice", "match", "truefalse", "numerical"} <= set(kinds)
    assert "shortanswer" in kinds
    assert [w.line for w in warnings] == [99]


# Markdown escaping helpers.


def test_markdown_escaping_keeps_words_readable():
    assert escape_markdown("snake_case and _x_ *y* [z] <b> a < b &amp; a & b") == (
        "snake_case and \\_x\\_ \\*y\\* \\[z\\] \\<b> a < b \\&amp; a & b"
    )


def test_gift_escaping():
    assert gift_escape("a:b~c=d#e{f}g\\h\ni") == "a\\:b\\~c\\=d\\#e\\{f\\}g\\\\h\\ni"


# Export: questions to GIFT.


def test_export_single_choice():
    gift, warnings = markdown_to_gift(
        [
            question(
                "single-choice",
                [option("Informing", feedback="Not quite."), option("Co-creating", True, "Yes.")],
                feedback="General **feedback**.",
                tags=("domain-1",),
            )
        ]
    )
    assert gift == (
        "// [id:q-1] [tag:domain-1]\n"
        "::q-1::[markdown]Which fits?{\n"
        "\t~Informing#Not quite.\n"
        "\t=Co-creating#Yes.\n"
        "\t####General **feedback**.\n"
        "}\n"
    )
    assert warnings == []


def test_export_multiple_choice_weights_follow_the_cocourse_rule():
    answers = [option("a", True), option("b", True), option("c", True), option("d")]
    gift, _ = markdown_to_gift([question("multiple-choice", answers)])
    assert gift.splitlines()[2:6] == [
        "\t~%33.33333%a",
        "\t~%33.33333%b",
        "\t~%33.33333%c",
        "\t~%-33.33333%d",
    ]
    gift, _ = markdown_to_gift([question("multiple-choice", [option("a", True), option("b")])])
    assert "\t~%100%a\n\t~%-100%b\n" in gift


def test_export_multiple_choice_with_a_share_moodle_lacks_warns():
    answers = [option(str(i), True) for i in range(11)] + [option("x")]
    gift, warnings = markdown_to_gift([question("multiple-choice", answers)])
    assert "\t~%9.09091%0\n" in gift
    assert "Moodle has no grade of 9.09091%" in warnings[0].message


def test_export_true_false_puts_wrong_answer_feedback_first():
    answers = [
        option("True", feedback="No: it allows disagreement."),
        option("False", True, "Yes."),
    ]
    gift, _ = markdown_to_gift([question("true-false", answers)])
    assert gift == (
        "// [id:q-1]\n::q-1::[markdown]Which fits?{FALSE#No\\: it allows disagreement.#Yes.}\n"
    )
    answers = [option("true", True, "Right."), option("false")]
    gift, _ = markdown_to_gift([question("true-false", answers, feedback="See module 2.")])
    assert gift == "// [id:q-1]\n::q-1::[markdown]Which fits?{TRUE##Right.####See module 2.}\n"


def test_export_short_text_with_wrong_answers_and_lost_settings():
    answers = [option("World Café", True, "Yes."), option("Open Space", False, "No.")]
    q = question(
        "short-text", answers, options={"case_sensitive": True, "pattern": "^world ?caf[eé]$"}
    )
    gift, warnings = markdown_to_gift([q])
    assert "\t=World Café#Yes.\n\t=%0%Open Space#No.\n" in gift
    assert messages(warnings) == [
        "intro/09-quiz.md:7: question 'q-1': GIFT cannot make answers case-sensitive: "
        "Moodle will ignore case",
        "intro/09-quiz.md:7: question 'q-1': GIFT has no patterns: the pattern "
        "'^world ?caf[eé]$' is left out",
    ]


def test_export_numeric_from_text_and_from_parsed_ranges():
    answers = [
        Answer("a", "42", "", True),
        Answer("b", "42 ± 0.5", "", True, "Close."),
        Answer("c", "40..45", "", True),
        Answer("d", "4,5", "", False, "Off by ten."),
        Answer("e", "7 +- 1", "", True),
    ]
    ranges = {"a": [41.9, 42.1], "b": [41.5, 42.5], "c": [40, 45], "d": [4.5, 4.5], "e": [6, 8]}
    q = question("numeric", answers, options={"tolerance": 0.1, "ranges": ranges})
    gift, _ = markdown_to_gift([q])
    assert gift.endswith(
        "{#\n\t=42:0.1\n\t=42:0.5#Close.\n\t=40..45\n\t=%0%4.5#Off by ten.\n\t=7:1\n}\n"
    )
    plain = question("numeric", answers[:3])  # no parsed ranges: the text decides
    gift, _ = markdown_to_gift([plain])
    assert gift.endswith("{#\n\t=42\n\t=42:0.5#Close.\n\t=40..45\n}\n")


def test_export_numeric_prefers_the_stored_range_when_the_text_disagrees():
    q = question(
        "numeric", [Answer("a", "４２", "", True)], options={"ranges": {"a": [42.0, 42.0]}}
    )
    gift, _ = markdown_to_gift([q])
    assert gift.endswith("{#\n\t=42\n}\n")


def test_export_numeric_that_cannot_be_read_is_left_out():
    gift, warnings = markdown_to_gift([question("numeric", [option("many", True)])])
    assert gift == ""
    assert "left out: 'many' is not a number" in warnings[0].message


def test_export_matching():
    answers = [
        option("Facilitator", match="guides the \\*process\\*"),
        option("Owner -> of it", match="owns: the question", feedback="x"),
    ]
    gift, warnings = markdown_to_gift([question("matching", answers)])
    assert (
        "\t=Facilitator -> guides the *process*\n\t=Owner -\\\\> of it -> owns\\: the question\n"
        in (gift)
    )
    assert "no feedback on matching pairs" in warnings[0].message


def test_export_reflection_and_unsupported_types():
    questions = [
        question("reflection", [], options={"min_words": 30, "scored": False}),
        question("ordering", [option("first", True), option("second", True)], id="q-2"),
        question("drawing", [], id="q-3"),
    ]
    gift, warnings = markdown_to_gift(questions)
    assert gift == "// [id:q-1]\n::q-1::[markdown]Which fits?{}\n"
    assert [w.message for w in warnings] == [
        "question 'q-1': GIFT cannot ask for a minimum number of words: min_words 30 is left out",
        "question 'q-1': a reflection becomes a Moodle essay, which Moodle counts towards the "
        "grade",
        "question 'q-2': left out: GIFT has no ordering questions",
        "question 'q-3': GIFT has no drawing questions: left out",
    ]


def test_export_escapes_multiline_prompts_points_and_missing_words():
    q = question(
        "single-choice",
        [option("on time", True), option("late {or} never")],
        prompt="A good meeting:\n\nstarts _____ and ends = on time.",
        points=2,
    )
    gift, warnings = markdown_to_gift([q])
    assert gift == (
        "// [id:q-1]\n"
        "// points: 2\n"
        "::q-1::[markdown]A good meeting\\:\\n\\nstarts {\n"
        "\t=on time\n"
        "\t~late \\{or\\} never\n"
        "} and ends \\= on time.\n"
    )
    assert "GIFT has no points" in warnings[0].message


def test_export_keeps_underscores_in_code_where_they_are():
    q = question("reflection", [], prompt="Type `_____` here and go on.")
    gift, _ = markdown_to_gift([q])
    assert gift == "// [id:q-1]\n::q-1::[markdown]Type `_____` here and go on.{}\n"


# GIFT -> Markdown -> loaded lesson -> GIFT.


def write_lesson(course: Path, markdown: str) -> tuple[Question, ...]:
    """Put a quiz lesson in the intro module, load the course, return the lesson's questions."""
    (course / "intro" / "09-imported.md").write_text(markdown, encoding="utf-8")
    result = load_course(course)
    # The fixture's first question has a long right option (W210): only errors matter here.
    assert result.errors == (), [str(p) for p in result.errors]
    assert result.course is not None
    module = result.course.module("intro")
    assert module is not None
    return module.lessons[-1].questions


def meaning(q: Question) -> tuple[object, ...]:
    """What a question means to a learner: not its id, tags, source lines or spelling."""
    answers = tuple((a.html, a.correct, a.feedback_html, a.match_html) for a in q.answers)
    return (q.type, q.prompt_html, answers, q.feedback_html, dict(q.options), q.points)


def test_the_types_are_built_in():
    assert {
        "single-choice",
        "multiple-choice",
        "true-false",
        "short-text",
        "numeric",
        "ordering",
        "matching",
        "reflection",
    } <= set(builtin_types())


def test_round_trip_of_the_fixture_keeps_the_meaning(course_copy, fixture_import):
    markdown, _ = fixture_import
    first = write_lesson(course_copy, markdown)
    assert len(first) == 22
    gift, _ = markdown_to_gift(first)
    again, _ = convert(gift)
    second = write_lesson(course_copy, again)
    assert [q.id for q in second] == [q.id for q in first]
    for before, after in zip(first, second, strict=True):
        assert meaning(after) == meaning(before), before.id
    # Export is stable: the second lesson gives the same GIFT again.
    assert markdown_to_gift(second)[0] == gift


MOODLE_BANK = FIXTURE.parent / "moodle-bank.gift"


def identity(q: Question) -> tuple[object, ...]:
    """What a question bank knows a question by."""
    return (q.id, q.name, q.category, q.tags)


def test_a_moodle_bank_keeps_ids_names_tags_and_categories_both_ways(course_copy):
    markdown, warnings = convert(MOODLE_BANK.read_text(encoding="utf-8"))
    first = write_lesson(course_copy, markdown)
    assert [identity(q) for q in first[:4]] == [
        (
            "ladder-01",
            "Ladder step",
            "$course$/top/Co-creation basics",
            ("participation", "week 1", "category-co-creation-basics"),
        ),
        (
            "reasons-02",
            "Good reasons",
            "$course$/top/Co-creation basics",
            ("participation", "category-co-creation-basics"),
        ),
        (
            "groan-zone",
            "Groan zone",
            "$course$/top/Co-creation basics",
            ("diamond", "needs review]", "category-co-creation-basics"),
        ),
        (
            "standup-length",
            "Stand-up length",
            "$course$/top/Co-creation basics/Meetings",
            ("category-co-creation-basics-meetings",),
        ),
    ]
    assert len(first) == 8
    # Every change is said: the ID number that is not a cocourse id, the numeric question's
    # feedback for any other answer, and the essay that becomes a reflection.
    assert [(w.line, w.message.split(":")[0]) for w in warnings] == [
        (9, "the ID number 'LADDER-01' is not a cocourse id"),
        (35, "question 'standup-length'"),
        (56, "question 'reflection-1'"),
    ]

    gift, _ = markdown_to_gift(first, category_path("Intro", "Imported quiz"))
    assert gift.startswith("$CATEGORY: $course$/top/Co-creation basics\n\n")
    assert "// [id:groan-zone] [tag:diamond] [tag:needs review\\]]\n::Groan zone::" in gift
    again, warnings = convert(gift)
    second = write_lesson(course_copy, again)
    assert [identity(q) for q in second] == [identity(q) for q in first]
    assert [meaning(q) for q in second] == [meaning(q) for q in first]
    assert ["essay becomes a reflection" in w.message for w in warnings] == [True]
    assert markdown_to_gift(second, category_path("Intro", "Imported quiz"))[0] == gift


def test_the_first_id_number_counts_and_a_taken_one_is_renamed_with_a_warning():
    text = "// [id:roles] [tag:a]\n// [id:other]\n::R::Q?{T}\n\n// [id:roles]\n::S::Q2?{T}"
    markdown, warnings = convert(text)
    assert "```quiz true-false roles\n" in markdown
    assert "```quiz true-false roles-2\n" in markdown
    assert messages(warnings) == [
        "line 3: a second ID number 'other' is left out: Moodle keeps the first, 'roles'",
        "line 6: the ID number 'roles' is used already: the question's id is 'roles-2', "
        "which an export writes as its ID number",
    ]


def test_export_without_categories_files_the_quiz_under_its_own_and_warns_about_lost_tags():
    q = question("true-false", [option("True", True), option("False")], tags=("a<b", "x"))
    gift, warnings = markdown_to_gift([q], category_path("Week 1/2", "Check"))
    assert gift.startswith("$CATEGORY: $course$/top/Week 1//2/Check\n\n// [id:q-1] [tag:x]\n")
    assert "the tag 'a<b' is left out" in warnings[0].message
    named = question("true-false", [option("True", True), option("False")], name="Is it?")
    assert "::Is it?::[markdown]" in markdown_to_gift([named])[0]


def test_round_trip_weights_ranges_and_feedback_in_gift(course_copy, fixture_import):
    markdown, _ = fixture_import
    gift, _ = markdown_to_gift(write_lesson(course_copy, markdown))
    assert (
        "// [id:good-practices]\n"
        "::Good practices::[markdown]Which practices help a co-creation session?{\n"
        "\t~%50%Agree on the question first#Yes.\n"
        "\t~%50%Make room for every voice#Yes.\n"
        "\t~%-50%Present a finished plan#That closes the process.\n"
        "\t~%-50%Skip the check-out#The check-out closes the session.\n"
        "}\n"
    ) in gift
    assert (
        "\t=3#Exactly.\n\t=3:2#Close enough.\n\t=%0%30#That is a workshop, not an energizer.\n"
        in gift
    )
    assert "{#\n\t=3..6\n}" in gift and "{#\n\t=15:5\n}" in gift
    assert "{FALSE#It does not\\: disagreement is part of the work.#Right\\: it needs" in gift
    assert "::q-8::[markdown]A good meeting starts {\n\t~late\n\t=on time\n" in gift
    assert "} and ends on time.\n" in gift
    assert gift.startswith("$CATEGORY: $course$/top/Co-creation/Basics\n\n// [id:")
    assert "$CATEGORY: $course$/top/Facilitation\n\n// [id:" in gift
    # The category's tag is not written: the $CATEGORY line says it, and an import makes it again.
    assert "[tag:category-" not in gift


def test_round_trip_of_tricky_text(course_copy):
    text = (
        "::Tricky::[html]Use <b>*</b>, <i>_</i> and [brackets] \\{ok\\}\\: 1. not a list"
        "<br># not a heading{\n"
        "=C\\#\\=2 -> right#<b>bold</b> feedback\n"
        "=a \\~ b -> left\n"
        "}"
    )
    markdown, warnings = convert(text)
    assert [w.message.split(": ", 1)[1][:40] for w in warnings] == [
        "Moodle has no feedback on matching pairs"
    ]
    first = write_lesson(course_copy, markdown)
    assert first[0].prompt_html == (
        "<p>Use <strong>*</strong>, <em>_</em> and [brackets] {ok}: 1. not a list<br />\n"
        "# not a heading</p>\n"
    )
    assert [(a.text, a.match) for a in first[0].answers] == [
        ("C#=2", "right"),
        ("a \\~ b", "left"),
    ]
    gift, _ = markdown_to_gift(first)
    second = write_lesson(course_copy, convert(gift)[0])
    # Moodle has no feedback on matching pairs, so only that is lost.
    assert second[0].prompt_html == first[0].prompt_html
    assert [(a.html, a.match_html) for a in second[0].answers] == [
        (a.html, a.match_html) for a in first[0].answers
    ]


def test_round_trip_of_a_short_text_with_markdown_characters(course_copy):
    markdown, warnings = convert("Which operators?{=C++ =*ptr#Also fine. =%0%_x_#No. =+}")
    assert [w.line for w in warnings] == [1, 1]
    assert "'+' would start a Markdown list" in warnings[1].message
    first = write_lesson(course_copy, markdown)
    assert [(a.text, a.correct) for a in first[0].answers] == [
        ("C++", True),
        ("*ptr", True),
        ("_x_", False),
        ("\\+", True),
    ]
    gift, _ = markdown_to_gift(first)
    assert "\t=C++\n\t=*ptr#Also fine.\n\t=%0%_x_#No.\n\t=\\\\+\n" in gift
    second = write_lesson(course_copy, convert(gift)[0])
    assert meaning(second[0]) == meaning(first[0])


PIECES = list("ab XZ*_`[]<>#~=:{}\\|&!-+.12()\"'é") + [
    "->", "<b>", "</b>", "<br>", "&amp;", "\\n", "\\~", "\\=", "\\#", "\\{", "\\}", "\\:",
    "\\\\", "1. ", "# ", "- ", "> ", "_____",
]  # fmt: skip


def random_gift(rng: random.Random) -> str:
    """Six well-formed GIFT questions of random types, formats and texts full of markup."""

    def text(size: int = 8) -> str:
        raw = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, size)))
        # Escape GIFT's special characters, except in the escapes already there.
        return re.sub(
            r"\\[~=#{}:n\\]|([~=#{}:\\])", lambda m: m[0] if not m[1] else "\\" + m[1], raw
        )

    def feedback() -> str:
        return rng.choice(["", "#" + text(6)])

    questions = []
    for _ in range(6):
        kind = rng.choice(["single", "multiple", "tf", "short", "numeric", "match", "essay"])
        answers = {
            "single": ["=r" + text() + feedback(), "~w1" + text() + feedback(), "~w2" + text()],
            "multiple": ["~%50%r1" + text(), "~%50%r2" + text(), "~%-50%w" + text() + feedback()],
            "tf": [rng.choice(["T", "F", "TRUE", "FALSE"]) + feedback() + feedback()],
            "short": [f"=s{i}" + text() + feedback() for i in range(rng.randint(1, 3))],
            "numeric": ["#=" + rng.choice(["3", "3:1", "1..5", "-2.5:0.5"]) + feedback()],
            "match": [f"=L{i}" + text() + " -> R" + text() for i in range(rng.randint(2, 3))],
            "essay": [],
        }[kind]
        name = rng.choice(["", f"::{text(6)}::"])
        fmt = rng.choice(["", "[html]", "[plain]", "[markdown]", "[moodle]"])
        block = " ".join(answers) + rng.choice(["", "####" + text(6)])
        after = f" {text(5)}" if rng.random() < 0.2 and kind != "essay" else ""
        questions.append(f"{name}{fmt}Q{text(12)}{{{block}}}{after}")
    return "\n\n".join(questions)


def test_random_questions_load_and_keep_their_meaning(course_copy):
    rng = random.Random(42)
    total = 0
    for _ in range(20):
        markdown, _ = convert(random_gift(rng))
        first = write_lesson(course_copy, markdown)
        # A few are skipped, as in Moodle: an "->" in a short answer makes a broken matching one.
        assert len(first) == len(re.findall(r"^`{3,}quiz ", markdown, re.M))
        total += len(first)
        second = write_lesson(course_copy, convert(markdown_to_gift(first)[0])[0])
        for before, after in zip(first, second, strict=True):
            if "<h" in before.prompt_html:  # the prompt source loses a setext underline
                continue
            assert meaning(after)[:4] == meaning(before)[:4], (before.prompt, after.prompt)
    assert total > 100


# Helpers for the import command.


def test_lesson_file_is_numbered_after_the_last_lesson(tmp_path):
    assert lesson_file(tmp_path, "quiz") == tmp_path / "01-quiz.md"
    (tmp_path / "module.md").write_text("x")
    (tmp_path / "01-first.md").write_text("x")
    (tmp_path / "07-seventh.md").write_text("x")
    assert lesson_file(tmp_path, "quiz") == tmp_path / "08-quiz.md"
    (tmp_path / "120-many.md").write_text("x")
    assert lesson_file(tmp_path, "quiz") == tmp_path / "121-quiz.md"
    with pytest.raises(FileExistsError, match="already has a lesson 'seventh'"):
        lesson_file(tmp_path, "seventh")


def test_question_ids_of_a_course(course_copy):
    assert question_ids(course_copy) == set()
    markdown, _ = convert("::Roles::Q?{T}\n\nQ2?{F}")
    (course_copy / "intro" / "09-imported.md").write_text(markdown, encoding="utf-8")
    assert question_ids(course_copy) == {"roles", "q-2"}
