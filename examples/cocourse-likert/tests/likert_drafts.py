"""Hand-made drafts of likert fences, as the core's Markdown parser would hand them over."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from cocourse_likert.likert import Likert
from markupsafe import escape

from cocourse.questions.base import DraftItem, QuestionDraft

LIKERT = Likert()
FENCE_LINE = 10  # the ```quiz line of the hand-made drafts


def item(text: str, checked: bool | None = None, feedback: str = "") -> DraftItem:
    """An answer-list item; `checked` is its [x] (True) or [ ] (False) mark, None for none."""
    return DraftItem(
        text=text,
        html=str(escape(text)),
        checked=checked,
        feedback=feedback,
        feedback_html=f"<p>{escape(feedback)}</p>" if feedback else "",
    )


def draft(items: tuple[DraftItem, ...] = (), feedback: str = "", **settings: Any) -> QuestionDraft:
    """A likert fence on line 10: its settings on lines 12, 13 ..., its items after them."""
    lines = {key: FENCE_LINE + 2 + n for n, key in enumerate(settings)}
    first_item = FENCE_LINE + len(settings) + 5
    placed = tuple(replace(one, line=first_item + n) for n, one in enumerate(items))
    return QuestionDraft(
        id="lk",
        type="likert",
        settings=settings,
        settings_lines=lines,
        prompt="I listen before I speak.",
        prompt_html="<p>I listen before I speak.</p>",
        items=placed,
        ordered=False,
        feedback=feedback,
        feedback_html=f"<p>{escape(feedback)}</p>" if feedback else "",
        path="module/01-lesson.md",
        line=FENCE_LINE,
        source_hash="0" * 64,
    )


def parse(**kwargs: Any) -> Any:
    """The question a draft gives, which must have no problems."""
    question, problems = LIKERT.parse(draft(**kwargs))
    assert not problems, [str(problem) for problem in problems]
    return question


FREQUENCY = (
    item("Never", False, "Silence is often thinking."),
    item("Rarely", False),
    item("Sometimes", True),
    item("Often", True),
    item("Always", True, "The pause gives the quiet ones a chance."),
)
