"""Workshop forms: schedule or change a workshop, invite someone, cancel; walk-ins, the
feedback form (built from the kit's questions) and the harvest."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from cocourse.content.workshop_kit import KIND_LABELS, FeedbackQuestion
from cocourse.web.forms import strip_filter
from cocourse.workshops.services import MAX_CAPACITY, MAX_MINUTES, MIN_MINUTES


class ScheduleForm(FlaskForm):
    """A facilitator schedules a workshop or changes it; the view sets the choices."""

    kind = SelectField(
        _l("Kind"), choices=[SelectChoice(kind, label) for kind, label in KIND_LABELS.items()]
    )
    title = StringField(
        _l("Title"), validators=[DataRequired(), Length(min=3, max=200)], filters=[strip_filter]
    )
    purpose = TextAreaField(
        _l("Purpose (what participants will work on)"),
        validators=[Length(max=4000)],
        filters=[strip_filter],
        render_kw={"rows": 3},
    )
    day = DateField(_l("Date"), validators=[InputRequired(_l("Choose the date."))])
    start = TimeField(_l("Starts at"), validators=[InputRequired(_l("Choose the starting time."))])
    minutes = IntegerField(
        _l("Length in minutes"),
        validators=[
            InputRequired(_l("Say how long it lasts, in minutes.")),
            NumberRange(MIN_MINUTES, MAX_MINUTES),
        ],
    )
    timezone = StringField(
        _l("Time zone"), validators=[DataRequired(), Length(max=64)], filters=[strip_filter]
    )
    place = StringField(_l("Place"), validators=[Length(max=300)], filters=[strip_filter])
    video_url = StringField(
        _l("Video link (optional)"), validators=[Length(max=500)], filters=[strip_filter]
    )
    capacity = IntegerField(
        _l("Seats"),
        validators=[InputRequired(_l("Say how many people fit.")), NumberRange(1, MAX_CAPACITY)],
    )
    opportunity = SelectField(_l("Opportunity it works on (optional)"), choices=[], coerce=int)
    hosts = StringField(
        _l("Co-facilitators' emails (optional, separated by commas)"),
        validators=[Length(max=1500)],
        filters=[strip_filter],
    )
    agenda = TextAreaField(
        _l("Agenda: one block per line, minutes first"),
        validators=[DataRequired(_l("Write the agenda.")), Length(max=6000)],
        render_kw={"rows": 8},
    )
    template = StringField(validators=[Optional(), Length(max=64)])


class InviteForm(FlaskForm):
    """A facilitator invites a colleague (by their account's email) or a guest."""

    name = StringField(
        _l("Name (for guests without an account)"),
        validators=[Length(max=120)],
        filters=[strip_filter],
    )
    email = EmailField(
        _l("Email"), validators=[DataRequired(), Length(max=254)], filters=[strip_filter]
    )


class CancelForm(FlaskForm):
    """A facilitator cancels a workshop, saying why."""

    reason = TextAreaField(
        _l("Why (sent to everyone signed up)"),
        validators=[DataRequired(_l("Say why, in a sentence.")), Length(max=1000)],
        filters=[strip_filter],
        render_kw={"rows": 2},
    )


class WalkInForm(FlaskForm):
    """Someone who came without a place: their name and email."""

    name = StringField(_l("Name"), validators=[Length(max=120)], filters=[strip_filter])
    email = EmailField(
        _l("Email"), validators=[DataRequired(), Length(max=254)], filters=[strip_filter]
    )


class HarvestForm(FlaskForm):
    """A decision or an action from the workshop's harvest."""

    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice("action", _l("Action")), SelectChoice("decision", _l("Decision"))],
    )
    text = TextAreaField(
        _l("What was decided or is to be done"),
        validators=[DataRequired(_l("Write the decision or action.")), Length(max=2000)],
        filters=[strip_filter],
        render_kw={"rows": 2},
    )
    owner_email = EmailField(
        _l("Owner's email (a person with an account here)"),
        validators=[Length(max=254)],
        filters=[strip_filter],
    )
    owner_name = StringField(
        _l("Or the owner's name"), validators=[Length(max=120)], filters=[strip_filter]
    )
    due_on = DateField(_l("Due date (optional)"), validators=[Optional()])


def feedback_form(questions: Sequence[FeedbackQuestion], **values: Any) -> Any:
    """A form for the kit's feedback questions: a scale question as radio buttons, a
    question in words as a text area. Field names are `q-<question id>`; the service checks
    required answers and ranges, so the messages are the same for guests and accounts."""

    class FeedbackForm(FlaskForm):
        pass

    for question in questions:
        label = (
            question.ask
            if question.required
            else _("%(question)s (optional)", question=question.ask)
        )
        field: Any
        if question.scale:
            choices = [SelectChoice(str(n), str(n)) for n in range(1, question.scale + 1)]
            field = RadioField(
                label, choices=choices, validators=[Optional()], validate_choice=False
            )
        else:
            field = TextAreaField(
                label,
                validators=[Length(max=2000)],
                filters=[strip_filter],
                render_kw={"rows": 3},
            )
        setattr(FeedbackForm, field_name(question), field)
    return FeedbackForm(**values)


def field_name(question: FeedbackQuestion) -> str:
    """The form field of a feedback question."""
    return "q-" + question.id
