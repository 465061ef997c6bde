"""WTForms forms (with CSRF through Flask-WTF) for every page that changes state."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length

from .accounts import MAX_PASSWORD, MIN_PASSWORD
from .cohorts import MAX_DESCRIPTION
from .cohorts import MAX_NAME as MAX_COHORT_NAME
from .models import Role
from .people import MAX_BYTES as MAX_PEOPLE_FILE


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
