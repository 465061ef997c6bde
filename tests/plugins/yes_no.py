"""A third-party question type, "yes-no", added only through the register_question_types hook.

Content writes it as a ```quiz yes-no <id> fence with an `expected` setting (YAML reads yes
and no as true and false).
"""

from __future__ import annotations

from typing import Any

from cocourse.hookspecs import hookimpl
from cocourse.questions.base import Grade, Question


class YesNo:
    """A statement the learner answers with yes or no."""

    name = "yes-no"
    settings = {"expected": "the right answer: yes or no"}

    def parse(self, draft: Any) -> tuple[Question | None, list[Any]]:
        expected = draft.settings.get("expected")
        if not isinstance(expected, bool):
            line = draft.settings_lines.get("expected")
            return None, [draft.problem("C168", "'expected' must be yes or no", line)]
        if draft.items:
            return None, [draft.problem("C174", "a yes-no question has no answer list")]
        question = Question(
            id=draft.id,
            type=draft.type,
            prompt=draft.prompt,
            prompt_html=draft.prompt_html,
            answers=(),
            points=float(draft.settings.get("points", 1)),
            options={"expected": "yes" if expected else "no"},
            path=draft.path,
            line=draft.line,
            source_hash=draft.source_hash,
        )
        return question, []

    def grade(self, question: Question, response: Any) -> Grade:
        given = response if response in ("yes", "no") else None
        score = 1.0 if given is not None and given == question.options["expected"] else 0.0
        return Grade(score, (), given)


@hookimpl
def register_question_types() -> Any:
    return [YesNo()]
