"""Question types. Each is a plugin; the built-in ones are registered like any other."""

from __future__ import annotations

from .base import QuestionType

BUILTIN_TYPES: tuple[QuestionType, ...] = ()


def builtin_types() -> dict[str, QuestionType]:
    """The built-in question types by name."""
    return {qtype.name: qtype for qtype in BUILTIN_TYPES}
