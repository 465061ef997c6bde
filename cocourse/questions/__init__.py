"""Question types. Each is a plugin; the built-in ones are registered like any other.

Every type implements `base.QuestionType` (most members through `base.QuestionTypeBase`);
code outside this package finds a type with `base.resolve` and never names a built-in one.
"""

from __future__ import annotations

from .arrange import Matching, Ordering
from .base import QuestionType
from .choice import MultipleChoice, SingleChoice, TrueFalse
from .numeric import Numeric
from .text import Reflection, ShortText

BUILTIN_TYPES: tuple[QuestionType, ...] = (
    SingleChoice(),
    MultipleChoice(),
    TrueFalse(),
    ShortText(),
    Numeric(),
    Ordering(),
    Matching(),
    Reflection(),
)


def builtin_types() -> dict[str, QuestionType]:
    """The built-in question types by name."""
    return {qtype.name: qtype for qtype in BUILTIN_TYPES}


def starter_question(question_id: str) -> str:
    """A question block for a new quiz to start from: one situation and three options, each
    with its feedback, for the author to replace."""
    return (
        f"```quiz single-choice {question_id}\n"
        "Replace this question with your own: one situation, one decision.\n\n"
        "- [x] The answer that is right, in as many words as the others\n"
        "  > Why it is right.\n"
        "- [ ] A wrong answer that someone could believe\n"
        "  > Why it is not right.\n"
        "- [ ] Another plausible wrong answer of a similar length\n"
        "  > Why it is not right either.\n"
        "```\n"
    )
