"""WTForms forms (with CSRF through Flask-WTF) for every page that changes state."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from .accounts import MAX_PASSWORD, MIN_PASSWORD
from .cohorts import MAX_DESCRIPTION
from .cohorts import MAX_NAME as MAX_COHORT_NAME
from .content.program import ReflectionPrompt, Rubric
from .models import Role
from .people import MAX_BYTES as MAX_PEOPLE_FILE
from .portfolios import MAX_TEXT
from .practicum_rules import ROLES


def _strip(value: str | None) -> str | None:
    """People paste emails with spaces around them."""
    return value.strip() if isinstance(value, str) else value


_new_password = [
    DataRequired(),
    Length(MIN_PASSWORD, MAX_PASSWORD, message=f"Use at least {MIN_PASSWORD} characters."),
]


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)], filters=[_strip])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_PASSWORD)])
    remember = BooleanField("Keep me logged in on this device")
    next = HiddenField()


class RegisterForm(FlaskForm):
    """A new learner account."""

    name = StringField("Your name", validators=[DataRequired(), Length(max=120)])
    email = EmailField(
        "Email",
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
        filters=[_strip],
    )
    password = PasswordField("Password", validators=_new_password)
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")],
    )


class ChangePasswordForm(FlaskForm):
    """Current password and a new one, twice."""

    current = PasswordField("Current password", validators=[DataRequired()])
    password = PasswordField("New password", validators=_new_password)
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")],
    )


class RoleForm(FlaskForm):
    """An admin gives a person a role."""

    role = SelectField("Role", choices=[SelectChoice(r.value, r.value.capitalize()) for r in Role])


class ActionForm(FlaskForm):
    """A button that changes state (mark complete, log out): only the CSRF token."""


class CohortForm(FlaskForm):
    """An admin creates a cohort or changes its name and description."""

    name = StringField(
        "Name", validators=[DataRequired(), Length(max=MAX_COHORT_NAME)], filters=[_strip]
    )
    description = TextAreaField(
        "Description (optional)",
        validators=[Length(max=MAX_DESCRIPTION)],
        filters=[_strip],
        render_kw={"rows": 3},
    )


class AddMemberForm(FlaskForm):
    """An admin puts a person with an account into a cohort."""

    email = EmailField(
        "Email of the person", validators=[DataRequired(), Length(max=254)], filters=[_strip]
    )


class AssessorForm(FlaskForm):
    """An admin assigns an assessor (or admin) to a cohort; choices are set by the view."""

    user_id = SelectField("Assessor", coerce=int, choices=[])


class JoinCodeForm(FlaskForm):
    """A learner types or pastes a join code (or a whole join link)."""

    code = StringField("Join code", validators=[DataRequired(), Length(max=500)], filters=[_strip])


class PeopleFileForm(FlaskForm):
    """An admin uploads a CSV file of people."""

    file = FileField(
        "CSV file",
        validators=[
            FileRequired("Choose a CSV file to upload."),
            FileAllowed(["csv"], "Upload a file ending in .csv."),
            FileSize(
                MAX_PEOPLE_FILE,
                message=f"The file is larger than {MAX_PEOPLE_FILE // 1024} KB; split it.",
            ),
        ],
    )


class PracticumSessionForm(FlaskForm):
    """One facilitated session for the practicum log; reflection fields are added per
    programme by `practicum_session_form`."""

    held_on = DateField("Date of the session", validators=[InputRequired("Give the date.")])
    minutes = IntegerField(
        "Facilitated time (minutes)",
        validators=[InputRequired("Give the duration."), NumberRange(1, 24 * 60)],
    )
    participants = IntegerField(
        "Participants", validators=[InputRequired("Give the number."), NumberRange(1, 10_000)]
    )
    role = RadioField(
        "Your role",
        choices=[SelectChoice(key, label) for key, label in ROLES.items()],
        validators=[DataRequired("Choose your role.")],
    )
    co_facilitators = StringField(
        "Co-facilitators (optional)", validators=[Length(max=500)], filters=[_strip]
    )
    stakeholder_groups = StringField(
        "Stakeholder groups present", validators=[Length(max=500)], filters=[_strip]
    )
    beyond_team = BooleanField("Participants came from beyond one team")
    purpose = TextAreaField(
        "Purpose", validators=[Length(max=MAX_TEXT)], render_kw={"rows": 2}, filters=[_strip]
    )
    methods = TextAreaField(
        "Methods used", validators=[Length(max=MAX_TEXT)], render_kw={"rows": 2}, filters=[_strip]
    )
    harvest = TextAreaField(
        "Outcome and harvest",
        validators=[Length(max=MAX_TEXT)],
        render_kw={"rows": 3},
        filters=[_strip],
    )
    feedback = TextAreaField(
        "Participant feedback summary (optional)",
        validators=[Length(max=MAX_TEXT)],
        render_kw={"rows": 2},
        filters=[_strip],
    )
    attachment = FileField("Attachment (optional)")

    def reflection_fields(self) -> list[Any]:
        """The reflection fields, in prompt order."""
        return [field for name, field in self._fields.items() if name.startswith("reflection_")]


def practicum_session_form(prompts: Sequence[ReflectionPrompt], **kwargs: Any) -> Any:
    """A session form with one text area per reflection prompt of the programme."""
    return _with_texts(PracticumSessionForm, "reflection", prompts, **kwargs)


class StatementForm(FlaskForm):
    """A renewal reflection; its text areas are added per programme by `statement_form`."""

    development_hours = IntegerField(
        "Hours of continuing development since you were certified",
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
            filters=[_strip],
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
        "Decision",
        choices=[
            SelectChoice("approve", "Approve and issue the certificate"),
            SelectChoice("request-changes", "Request changes"),
        ],
        validators=[DataRequired("Choose a decision.")],
    )
    independent = BooleanField(
        "I am not this trainee's line manager and did not co-facilitate the session I observed"
    )
    comments = TextAreaField(
        "Comments for the trainee",
        validators=[Length(max=MAX_TEXT)],
        render_kw={"rows": 4},
        filters=[_strip],
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
                f"Level: {criterion.title}",
                choices=levels,
                validators=[DataRequired(f"Choose a level for {criterion.title}.")],
            ),
        )
        setattr(
            form_class,
            f"evidence_{index}",
            TextAreaField(
                f"Evidence: {criterion.title}",
                validators=[Length(max=MAX_TEXT)],
                render_kw={"rows": 2},
                filters=[_strip],
            ),
        )
    return form_class(**kwargs)


class RevokeForm(FlaskForm):
    """An admin revokes a certificate, with the reason (kept, never published)."""

    reason = TextAreaField(
        "Reason (kept in the audit trail, not shown publicly)",
        validators=[DataRequired("Give the reason."), Length(max=1000)],
        render_kw={"rows": 2},
        filters=[_strip],
    )
