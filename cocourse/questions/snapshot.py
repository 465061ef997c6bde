"""Questions as JSON, so an attempt keeps the exact questions it was taken on, shown as they
were shown: the answers' order, and the values the attempt's form uses for them."""

from __future__ import annotations

import dataclasses
import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .base import Answer, Question


@dataclass(frozen=True)
class Shown:
    """How one attempt shows one question.

    `order` is the answers' order on the page (for matching, the left sides'); `right_order`
    the order of a matching question's right sides. `tokens` and `right_tokens` are the
    values the form sends for each answer (and right side): random per attempt, so nothing
    in the page says which answer is which in the source. Snapshots made before tokens
    existed have none; an answer's value is then its id.
    """

    order: tuple[str, ...]
    right_order: tuple[str, ...] = ()
    tokens: Mapping[str, str] = field(default_factory=dict)
    right_tokens: Mapping[str, str] = field(default_factory=dict)

    def value(self, answer_id: str, right_side: bool = False) -> str:
        """What the form sends for an answer (or for a matching answer's right side)."""
        tokens = self.right_tokens if right_side else self.tokens
        return tokens.get(answer_id, answer_id)

    def answer_id(self, value: Any, right_side: bool = False) -> str | None:
        """The answer a value sent by the form stands for; None for anything else."""
        if not isinstance(value, str):
            return None
        ids = self.rights if right_side else self.order
        return next((aid for aid in ids if self.value(aid, right_side) == value), None)

    @property
    def rights(self) -> tuple[str, ...]:
        """The right sides' order (the answers' order in snapshots that have none)."""
        return self.right_order or self.order


def new_tokens(ids: Iterable[str]) -> dict[str, str]:
    """A random value per answer id, different from each other and from every id."""
    wanted = list(ids)
    tokens: dict[str, str] = {}
    while len(tokens) < len(wanted):
        token = secrets.token_hex(5)
        if token not in tokens.values() and token not in wanted:
            tokens[wanted[len(tokens)]] = token
    return tokens


def to_snapshot(
    question: Question,
    order: list[str],
    right_order: list[str] | None = None,
    *,
    tokens: Mapping[str, str] | None = None,
    right_tokens: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A JSON-able copy of the question plus how the attempt shows it (see `Shown`)."""
    data = dataclasses.asdict(question)
    data["options"] = dict(question.options)
    data["order"] = order
    if right_order is not None:
        data["right_order"] = right_order
    if tokens is not None:
        data["tokens"] = dict(tokens)
    if right_tokens is not None:
        data["right_tokens"] = dict(right_tokens)
    # Exactly what the database will give back: lists, not tuples.
    return json.loads(json.dumps(data))  # type: ignore[no-any-return]


def from_snapshot(data: dict[str, Any]) -> tuple[Question, list[str]]:
    """The question and answer order stored by `to_snapshot`."""
    fields = {f.name for f in dataclasses.fields(Question)}
    values = {key: value for key, value in data.items() if key in fields}
    values["answers"] = tuple(Answer(**answer) for answer in data["answers"])
    values["tags"] = tuple(data.get("tags", ()))
    return Question(**values), list(data.get("order", []))


def shown_of(data: Mapping[str, Any]) -> Shown:
    """How the attempt shows the question stored by `to_snapshot`."""
    return Shown(
        order=tuple(data.get("order", ())),
        right_order=tuple(data.get("right_order", ())),
        tokens=dict(data.get("tokens", {})),
        right_tokens=dict(data.get("right_tokens", {})),
    )
