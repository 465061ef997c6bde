"""Questions as JSON, so an attempt keeps the exact questions it was taken on."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from .base import Answer, Question


def to_snapshot(question: Question, order: list[str]) -> dict[str, Any]:
    """A JSON-able copy of the question plus the order its answers were shown in."""
    data = dataclasses.asdict(question)
    data["options"] = dict(question.options)
    data["order"] = order
    # Exactly what the database will give back: lists, not tuples.
    return json.loads(json.dumps(data))  # type: ignore[no-any-return]


def from_snapshot(data: dict[str, Any]) -> tuple[Question, list[str]]:
    """The question and answer order stored by `to_snapshot`."""
    fields = {f.name for f in dataclasses.fields(Question)}
    values = {key: value for key, value in data.items() if key in fields}
    values["answers"] = tuple(Answer(**answer) for answer in data["answers"])
    values["tags"] = tuple(data.get("tags", ()))
    return Question(**values), list(data.get("order", []))
