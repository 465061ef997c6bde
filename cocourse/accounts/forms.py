"""Account forms: log in, sign up, change password, give a role."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    Length,
)

from cocourse.accounts.services import MAX_PASSWORD, MIN_PASSWORD
from cocourse.models import Role
from cocourse.web.forms import strip_filter

_new_password = [
    DataRequired(),
    Length(MIN_PASSWORD, MAX_PASSWORD, message=f"Use at least {MIN_PASSWORD} characters."),
]


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField(
        "Email", validators=[DataRequired(), Length(max=254)], filters=[strip_filter]
    )
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_PASSWORD)])
    remember = BooleanField("Keep me logged in on this device")
    next = HiddenField()


class RegisterForm(FlaskForm):
    """A new learner account."""

    name = StringField("Your name", validators=[DataRequired(), Length(max=120)])
    email = EmailField(
        "Email",
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
        filters=[strip_filter],
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


class ForgotPasswordForm(FlaskForm):
    """The email of the account whose password is forgotten."""

    email = EmailField(
        "Email", validators=[DataRequired(), Length(max=254)], filters=[strip_filter]
    )


class NewPasswordForm(FlaskForm):
    """A new password, twice (from an invitation or reset link)."""

    password = PasswordField("New password", validators=_new_password)
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")],
    )


class EmailChangeForm(FlaskForm):
    """A new email address, confirmed with the current password."""

    email = EmailField(
        "New email address",
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
        filters=[strip_filter],
    )
    current = PasswordField("Current password", validators=[DataRequired()])
