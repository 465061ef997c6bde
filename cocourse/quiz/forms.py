"""WTForms forms built from an attempt's questions: one field per question.

A question's type gives its field (`field()`), or names one of the standard fields built
here (`widget`, default "text"). The standard fields offer nothing but the answers' visible
text and the attempt's random values, so they hold no answer key; `read` turns what they
send back into answer ids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import (
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
from cocourse.questions.snapshot import Shown
from cocourse.quiz.answers import (
    MAX_TEXT,
    Read,
    as_formdata,
    clean_draft,
    read_all,
    shown_pairs,
    widget_of,
)
from cocourse.quiz.display import truth_word
from cocourse.quiz.engine import AttemptView

_REQUEST = object()  # attempt_form binds to the request unless given other form data


def _in_order(question: Question, order: Sequence[str]) -> list[Answer]:
    """The question's answers in the order the attempt shows them."""
    by_id = {answer.id: answer for answer in question.answers}
    return [by_id[aid] for aid in order if aid in by_id]


def _choices(
    answers: Sequence[Answer], shown: Shown, *, right_side: bool = False
) -> list[SelectChoice]:
    """Choices valued by the attempt's random values and labelled with the answers' HTML
    (made by the safe Markdown renderer): nothing says which answer is which."""
    return [
        SelectChoice(
            shown.value(a.id, right_side),
            Markup(a.match_html if right_side else a.html),  # noqa: S704
        )
        for a in answers
    ]


def _truth_choices(
    question: Question, answers: Sequence[Answer], shown: Shown
) -> list[SelectChoice]:
    """Choices as `_choices` makes them; the words True and False (a true-false question)
    in the reader's language."""
    choices = _choices(answers, shown)
    for index, answer in enumerate(answers):
        word = truth_word(question, answer)
        if word is not None:
            choices[index] = SelectChoice(choices[index].value, word)
    return choices


def _group(label: str, fields: Mapping[str, Any]) -> Any:
    """A group of select fields named by the attempt's random values (ordering, matching)."""
    return FormField(type("Group", (Form,), dict(fields)), label=label)


def standard_field(question: Question, shown: Shown, widget: str) -> Any:
    """The unbound standard field of a widget for one question.

    Every value the browser sends back is a random value of this attempt (`Shown`), and the
    fields come in the order shown: no name, value or order reflects the key.
    """
    label = f"Question {question.id}"
    items = _in_order(question, shown.order)
    if widget == "radio":
        return RadioField(
            label, choices=_truth_choices(question, items, shown), validate_choice=False
        )
    if widget == "checkbox":
        return SelectMultipleField(
            label,
            choices=_choices(items, shown),
            widget=ListWidget(prefix_label=False),
            option_widget=CheckboxInput(),
            validate_choice=False,
        )
    if widget == "textarea":
        return TextAreaField(label, render_kw={"rows": 8, "maxlength": MAX_TEXT})
    if widget == "order":
        # Each item, in the order shown, gets a position: short choices that fit a phone.
        positions = [SelectChoice("", "–")] + [
            SelectChoice(str(n), str(n)) for n in range(1, len(items) + 1)
        ]
        return _group(
            label,
            {
                shown.value(a.id): SelectField(
                    Markup(a.html),  # noqa: S704 - rendered by the safe parser
                    choices=positions,
                    validate_choice=False,
                )
                for a in items
            },
        )
    if widget == "match":
        rights = [SelectChoice("", _("Choose…"))] + _choices(
            _in_order(question, shown.rights), shown, right_side=True
        )
        return _group(
            label,
            {
                shown.value(a.id): SelectField(
                    Markup(a.html),  # noqa: S704 - rendered by the safe parser
                    choices=rights,
                    validate_choice=False,
                )
                for a in items
            },
        )
    extra = {"inputmode": "decimal"} if widget == "number" else {}
    return StringField(label, render_kw={"maxlength": 500, "autocomplete": "off", **extra})


def _field(question: Question, shown: Shown, qtype: QuestionType) -> Any:
    """The type's own field for the question, or else the standard one it names."""
    own = qtype.field(question, list(shown.order))
    return own if own is not None else standard_field(question, shown, widget_of(qtype))


def attempt_form(
    view: AttemptView,
    types: Mapping[str, QuestionType],
    draft: Mapping[str, Any] | None | object = _REQUEST,
) -> FlaskForm:
    """A form with one field per question (named q0, q1, ...), bound to the request, or
    filled from a saved `draft` (None: empty)."""
    fields = {
        f"q{index}": _field(question, shown, resolve(types, question.type))
        for index, (question, shown) in enumerate(shown_pairs(view))
    }
    form_class = type("AttemptForm", (FlaskForm,), fields)
    if draft is _REQUEST:
        return form_class()
    saved = as_formdata(draft) if isinstance(draft, Mapping) else None
    return form_class(formdata=saved)


def responses(
    form: FlaskForm, view: AttemptView, types: Mapping[str, QuestionType]
) -> dict[str, Read]:
    """Each question's submitted response, by question id (see `answers.Read`)."""
    return read_all(field_data(form, view), view, types)


def field_data(form: FlaskForm, view: AttemptView) -> dict[str, Any]:
    """What the form's question fields hold, by field name: the draft to save."""
    names = [f"q{index}" for index in range(len(view.questions))]
    return clean_draft({name: form[name].data for name in names})
