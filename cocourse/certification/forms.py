"""Certification forms: practicum sessions, statements, reviews, revocation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from cocourse.certification.portfolios import MAX_TEXT
from cocourse.certification.practicum_rules import ROLES
from cocourse.content.program import ReflectionPrompt, Rubric
from cocourse.web.forms import strip_filter


class PracticumSessionForm(FlaskForm):
    """One facilitated session for the practicum log; reflection fields are added per
    programme by `practicum_session_form`."""

    held_on = DateField(_l("Date of the session"), validators=[InputRequired(_l("Give the date."))])
    minutes = IntegerField(
        _l("Facilitated time (minutes)"),
        validators=[InputRequired(_l("Give the duration.")), NumberRange(1, 24 * 60)],
    )
    participants = IntegerField(
        _l("Participants"),
        validators=[InputRequired(_l("Give the number.")), NumberRange(1, 10_000)],
    )
    role = RadioField(
        _l("Your role"),
        choices=[SelectChoice(key, label) for key, label in ROLES.items()],
        validators=[DataRequired(_l("Choose your role."))],
    )
    co_facilitators = StringField(
        _l("Co-facilitators (optional)"), validators=[Length(max=500)], filters=[strip_filter]
    )
    stakeholder_groups = StringField(
        _l("Stakeholder groups present"), validators=[Length(max=500)], filters=[strip_filter]
    )
    beyond_team = BooleanField(_l("Participants came from beyond one team"))
    purpose = TextAreaField(
        _l("Purpose"),
        validators=[Length(max=MAX_TEXT)],
        render_kw={"rows": 2},
        filters=[strip_filter],
    )
    methods = TextAreaField(
        _l("Methods used"),
        validators=[Length(max=MAX_TEXT)],
        render_kw={"rows": 2},
        filters=[strip_filter],
    )
    harvest = TextAreaField(
        _l("Outcome and harvest"),
        validators=[Length(max=MAX_TEXT)],
        render_kw={"rows": 3},
        filters=[strip_filter],
    )
    feedback = TextAreaField(
        _l("Participant feedback summary (optional)"),
        validators=[Length(max=MAX_TEXT)],
        render_kw={"rows": 2},
        filters=[strip_filter],
    )
    attachment = FileField(_l("Attachment (optional)"))

    def reflection_fields(self) -> list[Any]:
        """The reflection fields, in prompt order."""
        return [field for name, field in self._fields.items() if name.startswith("reflection_")]


def practicum_session_form(prompts: Sequence[ReflectionPrompt], **kwargs: Any) -> Any:
    """A session form with one text area per reflection prompt of the programme."""
    return _with_texts(PracticumSessionForm, "reflection", prompts, **kwargs)


class StatementForm(FlaskForm):
    """A renewal reflection; its text areas are added per programme by `statement_form`."""

    development_hours = IntegerField(
        _l("Hours of continuing development since you were certified"),
        validators=[Optional(), NumberRange(0, 10_000)],
    )

    def reflection_fields(self) -> list[Any]:
        """The reflection fields, in prompt order."""
        return [field for name, field in self._fields.items() if name.startswith("reflection_")]


def statement_form(prompts: Sequence[ReflectionPrompt], **kwargs: Any) -> Any:
    """A renewal reflection form with one text area per prompt."""
    return _with_texts(StatementForm, "reflection", prompts, **kwargs)


def _with_texts(
    base: type[FlaskForm], prefix: str, prompts: Sequence[ReflectionPrompt], **kwargs: Any
) -> Any:
    form_class = type(base.__name__, (base,), {})
    for index, prompt in enumerate(prompts):
        field = TextAreaField(
            prompt.text,
            validators=[Length(max=MAX_TEXT)],
            render_kw={"rows": 5},
            filters=[strip_filter],
        )
        setattr(form_class, f"{prefix}_{index}", field)
    return form_class(**kwargs)


def reflection_texts(form: Any, prompts: Sequence[ReflectionPrompt]) -> dict[str, str]:
    """The texts a form holds for each prompt, by prompt id."""
    return {
        prompt.id: form[f"reflection_{index}"].data or "" for index, prompt in enumerate(prompts)
    }


class ReviewForm(FlaskForm):
    """An assessor's decision; a level and an evidence note per rubric criterion are added
    by `review_form`."""

    decision = RadioField(
        _l("Decision"),
        choices=[
            SelectChoice("approve", _l("Approve and issue the certificate")),
            SelectChoice("request-changes", _l("Request changes")),
        ],
        validators=[DataRequired(_l("Choose a decision."))],
    )
    independent = BooleanField(
        _l("I am not this trainee's line manager and did not co-facilitate the session I observed")
    )
    comments = TextAreaField(
        _l("Comments for the trainee"),
        validators=[Length(max=MAX_TEXT)],
        render_kw={"rows": 4},
        filters=[strip_filter],
    )


def review_form(rubric: Rubric, **kwargs: Any) -> Any:
    """The review form with a level choice and an evidence note for every criterion."""
    form_class = type("ReviewForm", (ReviewForm,), {})
    levels = [SelectChoice(level.id, level.title) for level in rubric.levels]
    for index, criterion in enumerate(rubric.criteria):
        setattr(
            form_class,
            f"level_{index}",
            RadioField(
                _("Level: %(criterion)s", criterion=criterion.title),
                choices=levels,
                validators=[
                    DataRequired(_("Choose a level for %(criterion)s.", criterion=criterion.title))
                ],
            ),
        )
        setattr(
            form_class,
            f"evidence_{index}",
            TextAreaField(
                _("Evidence: %(criterion)s", criterion=criterion.title),
                validators=[Length(max=MAX_TEXT)],
                render_kw={"rows": 2},
                filters=[strip_filter],
            ),
        )
    return form_class(**kwargs)


class RevokeForm(FlaskForm):
    """An admin revokes a certificate, with the reason (kept, never published)."""

    reason = TextAreaField(
        _l("Reason (kept in the audit trail, not shown publicly)"),
        validators=[DataRequired(_l("Give the reason.")), Length(max=1000)],
        render_kw={"rows": 2},
        filters=[strip_filter],
    )
