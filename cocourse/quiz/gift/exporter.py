"""cocourse questions written as Moodle GIFT (text in Moodle's [markdown] format).

Works on the `Question` objects of a loaded quiz lesson; what GIFT cannot say becomes a warning.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from markdown_it import MarkdownIt

from cocourse.questions.base import Answer, Question

from .importer import category_tag
from .reader import GiftWarning
from .text import gift_escape, unescape_markdown

NUMBER = r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
NUMERIC = re.compile(
    rf"^\s*(?P<value>{NUMBER})\s*(?:(?:±|\+-|\+/-)\s*(?P<margin>{NUMBER})"
    rf"|\.\.\s*(?P<high>{NUMBER}))?\s*$"
)
BLANK = re.compile(r"(?:\\_){5}(?!\\_)|(?<![_\\])_{5}(?!_)")
ESCAPED_BLANK = "\\_" * 5  # how the import writes the blank of a [markdown] question
_MD = MarkdownIt("commonmark")
MATCH_ARROW = re.compile(r"\s+(?:->|→)\s+")
MOODLE_SHARES = frozenset({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20})  # 100/C is a Moodle grade


class _Skip(Exception):
    """The question cannot be written in GIFT."""


def markdown_to_gift(
    questions: Iterable[Question], category: str = ""
) -> tuple[str, list[GiftWarning]]:
    """GIFT for the questions of a quiz lesson, and warnings for what GIFT cannot hold.

    Each question goes into its own `category` setting, else into `category` (when given):
    a `$CATEGORY` line stands before the first question of each.
    """
    blocks: list[str] = []
    warnings: list[GiftWarning] = []
    current = ""

    for question in questions:

        def warn(message: str, question: Question = question) -> None:
            warnings.append(
                GiftWarning(question.line, f"question {question.id!r}: {message}", question.path)
            )

        writer = _WRITERS.get(question.type)
        if writer is None:
            warn(f"GIFT has no {question.type} questions: left out")
            continue
        try:
            answers = writer(question, warn)
        except _Skip as skip:
            warn(f"left out: {skip}")
            continue
        wanted = question.category or category
        if wanted and wanted != current:
            blocks.append(f"$CATEGORY: {wanted}")
            current = wanted
        blocks.append(_block(question, answers, warn))
    return "\n\n".join(blocks) + ("\n" if blocks else ""), warnings


Warn = Callable[[str], None]


def _block(question: Question, answers: str, warn: Warn) -> str:
    """Comments, ::name::, [markdown] text with the answers in place, general feedback.

    The id and tags go into Moodle's `// [id:...] [tag:...]` comment; the tag an import
    made from the question's category is left out, as the category says it.
    """
    derived = category_tag(question.category) if question.category else None
    marks = [f"[id:{_bracketed(question.id)}]"]
    for tag in question.tags:
        if set(tag) & set("<>`"):
            warn(f"Moodle's tags cannot hold <, > or `: the tag {tag!r} is left out")
        elif tag != derived:
            marks.append(f"[tag:{_bracketed(tag)}]")
    lines = [f"// {' '.join(marks)}"]
    if question.points != 1:
        lines.append(f"// points: {question.points:g}")
        warn(f"GIFT has no points: {question.points:g} points become Moodle's default mark")
    if question.feedback:
        general = f"####{gift_escape(question.feedback)}"
        if answers.endswith("\n}"):
            answers = f"{answers[:-1]}\t{general}\n}}"
        else:
            answers = f"{answers[:-1]}{general}}}"
    blank = _blank(question.prompt)
    if blank is not None:  # a missing-word question: the answers stand where the blank was
        before, after = question.prompt[: blank.start()], question.prompt[blank.end() :]
        text = f"{gift_escape(before)}{answers}{gift_escape(after)}"
    else:
        text = f"{gift_escape(question.prompt)}{answers}"
    lines.append(f"::{gift_escape(question.name or question.id)}::[markdown]{text}")
    return "\n".join(lines)


def category_path(*names: str) -> str:
    """A Moodle category path below the course's top category (a `/` in a name is `//`)."""
    return "/".join(
        ["$course$", "top", *(" ".join(name.split()).replace("/", "//") for name in names)]
    )


def _bracketed(text: str) -> str:
    """Text inside `[id:...]` or `[tag:...]` on one comment line: `]` escaped, no line breaks."""
    return " ".join(text.split()).replace("]", "\\]")


def _blank(prompt: str) -> re.Match[str] | None:
    """The one `_____` blank in the middle of a prompt, if it shows as a blank (not in code)."""
    blanks = list(BLANK.finditer(prompt))
    if len(blanks) != 1 or not prompt[blanks[0].end() :].strip():
        return None
    found = blanks[0]
    escaped = f"{prompt[: found.start()]}{ESCAPED_BLANK}{prompt[found.end() :]}"
    return found if _MD.render(escaped) == _MD.render(prompt) else None


def _feedback(answer: Answer) -> str:
    return f"#{gift_escape(answer.feedback)}" if answer.feedback else ""


def _list(lines: list[str]) -> str:
    return "{\n" + "".join(f"\t{line}\n" for line in lines) + "}"


def _share(count: int) -> str:
    return f"{100 / count:.5f}".rstrip("0").rstrip(".")


def _choices(question: Question, warn: Warn) -> str:
    right = [answer for answer in question.answers if answer.correct]
    if question.type == "single-choice" and len(right) == 1:
        return _list(
            [
                f"{'=' if answer.correct else '~'}{gift_escape(answer.text)}{_feedback(answer)}"
                for answer in question.answers
            ]
        )
    if not right:
        raise _Skip("no option is right")
    share = _share(len(right))
    if len(right) not in MOODLE_SHARES:
        warn(f"Moodle has no grade of {share}%: it rounds to the nearest grade it has")
    return _list(
        [
            f"~%{'' if answer.correct else '-'}{share}%{gift_escape(answer.text)}"
            f"{_feedback(answer)}"
            for answer in question.answers
        ]
    )


def _true_false(question: Question, warn: Warn) -> str:
    right = next((answer for answer in question.answers if answer.correct), None)
    wrong = next((answer for answer in question.answers if not answer.correct), None)
    if right is None or wrong is None:
        raise _Skip("a true-false question needs one right and one wrong answer")
    value = "TRUE" if right.text.strip().casefold() == "true" else "FALSE"
    out = value
    if wrong.feedback or right.feedback:
        out += f"#{gift_escape(wrong.feedback)}"  # Moodle: first the feedback for a wrong answer
    if right.feedback:
        out += f"#{gift_escape(right.feedback)}"
    return f"{{{out}}}"


def _short_text(question: Question, warn: Warn) -> str:
    options = question.options
    if options.get("case_sensitive"):
        warn("GIFT cannot make answers case-sensitive: Moodle will ignore case")
    if options.get("pattern"):
        warn(f"GIFT has no patterns: the pattern {options['pattern']!r} is left out")
    return _list(
        [
            f"={'' if answer.correct else '%0%'}{gift_escape(answer.text)}{_feedback(answer)}"
            for answer in question.answers
        ]
    )


def _numeric(question: Question, warn: Warn) -> str:
    tolerance = _number(question.options.get("tolerance"))
    lines = []
    for answer in question.answers:
        value = _numeric_answer(answer, question.options, tolerance)
        if value is None:
            raise _Skip(f"{answer.text!r} is not a number, number ± margin or min..max")
        weight = "" if answer.correct else "%0%"
        lines.append(f"={weight}{value}{_feedback(answer)}")
    return "{#\n" + "".join(f"\t{line}\n" for line in lines) + "}"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _numeric_answer(
    answer: Answer, options: Mapping[str, Any], tolerance: float | None
) -> str | None:
    """An answer as GIFT's number, number:margin or min..max.

    The range the numeric type stored decides; the answer's own text gives its shape when it
    means the same range (42 ± 0.5 stays 42:0.5 rather than 41.5..42.5).
    """
    written = _written_range(answer.text, tolerance or 0.0)
    parsed = _parsed_range(answer, options)
    if parsed is None:
        return written[0] if written else None
    if written and all(
        math.isclose(a, b, abs_tol=1e-9) for a, b in zip(written[1:], parsed, strict=True)
    ):
        return written[0]
    low, high = parsed
    return _fmt(low) if low == high else f"{_fmt(low)}..{_fmt(high)}"


def _written_range(text: str, tolerance: float) -> tuple[str, float, float] | None:
    """(GIFT form, low, high) read from an answer's text: 42, 42 ± 0.5, 42 +- 0.5 or 40..45."""
    found = NUMERIC.match(text.replace(",", "."))
    if found is None:
        return None
    value = float(found["value"])
    if found["high"] is not None:
        return f"{found['value']}..{found['high']}", value, float(found["high"])
    margin = float(found["margin"]) if found["margin"] is not None else tolerance
    shape = f"{found['value']}:{_fmt(margin)}" if margin else found["value"]
    return shape, value - margin, value + margin


def _parsed_range(answer: Answer, options: Mapping[str, Any]) -> tuple[float, float] | None:
    """(low, high) for an answer when the numeric question type stored parsed ranges."""
    ranges = options.get("ranges")
    found = ranges.get(answer.id) if isinstance(ranges, Mapping) else None
    if isinstance(found, list | tuple) and len(found) == 2:
        low, high = _number(found[0]), _number(found[1])
        if low is not None and high is not None:
            return low, high
    return None


def _fmt(value: float | None) -> str:
    return "0" if value is None else f"{value:.10g}"


def _matching(question: Question, warn: Warn) -> str:
    lines = []
    for answer in question.answers:
        left, right = answer.text, answer.match
        if not right:
            parts = MATCH_ARROW.split(answer.text, maxsplit=1)
            if len(parts) != 2:
                raise _Skip(f"{answer.text!r} is not a 'left -> right' pair")
            left, right = parts
        left = left.strip().replace("->", "-\\>")
        right = unescape_markdown(right.strip())
        if answer.feedback:
            warn(f"Moodle has no feedback on matching pairs: the feedback on {left!r} is left out")
        lines.append(f"={gift_escape(left)} -> {gift_escape(right)}")
    return _list(lines)


def _reflection(question: Question, warn: Warn) -> str:
    minimum = question.options.get("min_words")
    if isinstance(minimum, int) and minimum > 0:
        warn(f"GIFT cannot ask for a minimum number of words: min_words {minimum} is left out")
    warn("a reflection becomes a Moodle essay, which Moodle counts towards the grade")
    return "{}"


def _ordering(question: Question, warn: Warn) -> str:
    raise _Skip("GIFT has no ordering questions")


_WRITERS: dict[str, Callable[[Question, Warn], str]] = {
    "single-choice": _choices,
    "multiple-choice": _choices,
    "true-false": _true_false,
    "short-text": _short_text,
    "numeric": _numeric,
    "matching": _matching,
    "reflection": _reflection,
    "ordering": _ordering,
}
