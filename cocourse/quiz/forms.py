"""WTForms forms built from an attempt's questions: one field per question.

A question's type gives its field (`field()`), or names one of the standard fields built
here (`widget`, default "text"). The standard fields offer nothing but the answers' visible
text and opaque ids, so they hold no answer key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import (
    Field,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from cocourse.questions.base import Answer, Question, QuestionType, resolve

MAX_TEXT = 5000
WIDGETS = ("radio", "checkbox", "text", "number", "textarea", "order", "match")


def widget_of(qtype: QuestionType) -> str:
    """The standard widget a type asks for (text when it names none of them)."""
    return qtype.widget if qtype.widget in WIDGETS else "text"


def _in_order(question: Question, order: Sequence[str]) -> list[Answer]:
    """The question's answers in the order the attempt shows them."""
    by_id = {answer.id: answer for answer in question.answers}
    return [by_id[aid] for aid in order if aid in by_id]


def _choices(answers: Sequence[Answer], *, right_side: bool = False) -> list[SelectChoice]:
    """Choices labelled with the answers' HTML (made by the safe Markdown renderer)."""
    return [
        SelectChoice(a.id, Markup(a.match_html if right_side else a.html))  # noqa: S704
        for a in answers
    ]


def standard_field(question: Question, order: Sequence[str], widget: str) -> Any:
    """The unbound standard field of a widget for one question."""
    label = f"Question {question.id}"
    shown = _in_order(question, order)
    if widget == "radio":
        return RadioField(label, choices=_choices(shown), validate_choice=False)
    if widget == "checkbox":
        return SelectMultipleField(
            label,
            choices=_choices(shown),
            widget=ListWidget(prefix_label=False),
            option_widget=CheckboxInput(),
            validate_choice=False,
        )
    if widget == "textarea":
        return TextAreaField(label, render_kw={"rows": 8, "maxlength": MAX_TEXT})
    if widget == "order":
        choices = [SelectChoice("", "Choose…"), *_choices(shown)]
        item = SelectField("Position", choices=choices, validate_choice=False)
        return FieldList(item, label=label, min_entries=len(shown), max_entries=len(shown))
    if widget == "match":
        rights = _choices(shown, right_side=True)
        inner = type(
            "MatchForm",
            (Form,),
            {
                a.id: SelectField(
                    Markup(a.html),  # noqa: S704 - rendered by the safe parser
                    choices=[SelectChoice("", "Choose…"), *rights],
                    validate_choice=False,
                )
                for a in question.answers
            },
        )
        return FormField(inner, label=label)
    extra = {"inputmode": "decimal"} if widget == "number" else {}
    return StringField(label, render_kw={"maxlength": 500, "autocomplete": "off", **extra})


def _field(question: Question, order: Sequence[str], qtype: QuestionType) -> Any:
    """The type's own field for the question, or else the standard one it names."""
    own = qtype.field(question, order)
    return own if own is not None else standard_field(question, order, widget_of(qtype))


def attempt_form(
    questions: Sequence[tuple[Question, list[str]]], types: Mapping[str, QuestionType]
) -> FlaskForm:
    """A form with one field per question (named q0, q1, ...), bound to the request."""
    fields = {
        f"q{index}": _field(question, order, resolve(types, question.type))
        for index, (question, order) in enumerate(questions)
    }
    form_class = type("AttemptForm", (FlaskForm,), fields)
    return form_class()


def responses(form: FlaskForm, questions: Sequence[tuple[Question, list[str]]]) -> dict[str, Any]:
    """Each question's submitted response, by question id, as the type will grade it."""
    found: dict[str, Any] = {}
    for index, (question, _order) in enumerate(questions):
        field: Field = form[f"q{index}"]
        data = field.data
        if isinstance(data, str):
            data = data[:MAX_TEXT]
        found[question.id] = data
    return found
