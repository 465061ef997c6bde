"""A quiz form's data and the responses the question types grade, both ways. No database.

The standard widgets send the attempt's random values (`Shown`); `read` turns them back into
answer ids.
A draft is the form's field data, by field name (q0, q1, ...), kept as JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from cocourse.questions.base import Question, QuestionType, resolve
from cocourse.questions.snapshot import Shown

if TYPE_CHECKING:
    from cocourse.quiz.engine import AttemptView

MAX_TEXT = 5000
WIDGETS = ("radio", "checkbox", "text", "number", "textarea", "order", "match")
# A draft holds at most this many values per field (checkboxes, positions, pairs).
MAX_VALUES = 100


def widget_of(qtype: QuestionType) -> str:
    """The standard widget a type asks for (text when it names none of them)."""
    return qtype.widget if qtype.widget in WIDGETS else "text"


def shown_pairs(view: AttemptView) -> list[tuple[Question, Shown]]:
    """Each question of the attempt with how it is shown (snapshots without `Shown` data
    show the answers in their stored order, valued by their ids)."""
    shown = view.shown or tuple(Shown(tuple(order)) for _question, order in view.questions)
    return [(question, how) for (question, _order), how in zip(view.questions, shown, strict=True)]


def unanswered(response: Any) -> bool:
    """Whether a response says nothing: None, blank text, no choice."""
    if isinstance(response, str):
        return not response.strip()
    return response is None or response in ([], {})


def read_all(
    data: Mapping[str, Any], view: AttemptView, types: Mapping[str, QuestionType]
) -> dict[str, Read]:
    """Each question's response, by question id, from the form's field data (see `Read`).

    A type with its own field gets its field's data as it is; the standard widgets' data is
    turned back into answer ids."""
    found: dict[str, Read] = {}
    for index, (question, shown) in enumerate(shown_pairs(view)):
        qtype = resolve(types, question.type)
        value = data.get(f"q{index}")
        if qtype.field(question, list(shown.order)) is not None:
            found[question.id] = Read(value[:MAX_TEXT] if isinstance(value, str) else value)
        else:
            found[question.id] = read(widget_of(qtype), shown, value)
    return found


@dataclass(frozen=True)
class Read:
    """One question's response read from the form: as its type grades it, in answer ids,
    and what the page should point out about it (a partial ordering), if anything."""

    response: Any
    note: str | None = None


def read(widget: str, shown: Shown, data: Any) -> Read:
    """A standard widget's data turned back into answer ids.

    Values that are not this attempt's (tampered, from another attempt) count as no choice.
    """
    if widget == "radio":
        return Read(shown.answer_id(data))
    if widget == "checkbox":
        chosen = [shown.answer_id(value) for value in data or [] if isinstance(value, str)]
        return Read(list(dict.fromkeys(aid for aid in chosen if aid is not None)))
    if widget == "order":
        return _read_order(shown, data if isinstance(data, dict) else {})
    if widget == "match":
        pairs = data if isinstance(data, dict) else {}
        matched = {}
        for aid in shown.order:
            right = shown.answer_id(pairs.get(shown.value(aid)), right_side=True)
            if right is not None:
                matched[aid] = right
        return Read(matched)
    return Read(data[:MAX_TEXT] if isinstance(data, str) else data)


def _read_order(shown: Shown, data: Mapping[str, Any]) -> Read:
    """The items sorted by the positions given; None (no answer) unless every item has its
    own position, with a note when some but not all were given."""
    count = len(shown.order)
    positions: dict[str, int] = {}
    for aid in shown.order:
        text = data.get(shown.value(aid))
        if isinstance(text, str) and text.isdigit() and 1 <= int(text) <= count:
            positions[aid] = int(text)
    if not positions:
        return Read(None)
    if len(positions) < count or len(set(positions.values())) < count:
        note = _(
            "Give each of the %(count)s items its own position, from 1 to %(count)s.", count=count
        )
        return Read(None, note)
    return Read(sorted(positions, key=positions.__getitem__))


def clean_draft(data: Mapping[str, Any]) -> dict[str, Any]:
    """Field data that can be stored as a draft: text (cut to MAX_TEXT), lists of text and
    flat mappings of text, at most MAX_VALUES values each; anything else is dropped."""

    def text(value: Any) -> str | None:
        if isinstance(value, bool) or value is None:
            return None
        if isinstance(value, str | int | float):
            return str(value)[:MAX_TEXT]
        return None

    clean: dict[str, Any] = {}
    for name, value in data.items():
        if isinstance(value, Mapping):
            inner = {str(k)[:100]: text(v) for k, v in list(value.items())[:MAX_VALUES]}
            clean[name] = {k: v for k, v in inner.items() if v is not None}
        elif isinstance(value, list | tuple):
            clean[name] = [t for t in map(text, value[:MAX_VALUES]) if t is not None]
        elif (single := text(value)) is not None:
            clean[name] = single
    return clean


def as_formdata(draft: Mapping[str, Any]) -> MultiDict[str, str]:
    """A draft as the form data that would have filled the fields: a mapping's entries as
    `name-key` (WTForms' names for a group of fields), a list as repeated values."""
    formdata: MultiDict[str, str] = MultiDict()
    for name, value in draft.items():
        if isinstance(value, Mapping):
            for key, inner in value.items():
                formdata.add(f"{name}-{key}", str(inner))
        elif isinstance(value, list):
            for inner in value:
                formdata.add(name, str(inner))
        else:
            formdata.add(name, str(value))
    return formdata
