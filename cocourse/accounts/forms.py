"""Account forms: log in, sign up, change password, give a role."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
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

# The roles as a select or a list shows them, and as a sentence names them ("… is now admin").
ROLE_LABELS = {
    Role.LEARNER: _l("Learner"),
    Role.ASSESSOR: _l("Assessor"),
    Role.ADMIN: _l("Admin"),
    Role.SPONSOR: _l("Sponsor"),
    Role.AUTHOR: _l("Author"),
}
ROLE_NAMES = {
    # Translators: a role, in the middle of a sentence ("Rita is now assessor.").
    Role.LEARNER: _l("learner"),
    # Translators: a role, in the middle of a sentence ("Rita is now assessor.").
    Role.ASSESSOR: _l("assessor"),
    # Translators: a role, in the middle of a sentence ("Rita is now assessor.").
    Role.ADMIN: _l("admin"),
    # Translators: a role, in the middle of a sentence ("Rita is now assessor.").
    Role.SPONSOR: _l("sponsor"),
    # Translators: a role, in the middle of a sentence ("Rita is now assessor.").
    Role.AUTHOR: _l("author"),
}
# The People page's status filter.
STATUS_LABELS = {"active": _l("Active"), "deactivated": _l("Deactivated")}
_PASSWORDS_MATCH = _l("The passwords do not match.")
_new_password = [
    DataRequired(),
    Length(
        MIN_PASSWORD,
        MAX_PASSWORD,
        message=_l("Use at least %(num)d characters.", num=MIN_PASSWORD),
    ),
]


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField(
        _l("Email"), validators=[DataRequired(), Length(max=254)], filters=[strip_filter]
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_PASSWORD)])
    remember = BooleanField(_l("Keep me logged in on this device"))
    next = HiddenField()


class RegisterForm(FlaskForm):
    """A new learner account."""

    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
        filters=[strip_filter],
    )
    password = PasswordField(_l("Password"), validators=_new_password)
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_PASSWORDS_MATCH)],
    )


class ChangePasswordForm(FlaskForm):
    """Current password and a new one, twice."""

    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = PasswordField(_l("New password"), validators=_new_password)
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_PASSWORDS_MATCH)],
    )


class RoleForm(FlaskForm):
    """An admin gives a person a role."""

    role = SelectField(_l("Role"), choices=[SelectChoice(r.value, ROLE_LABELS[r]) for r in Role])


class ForgotPasswordForm(FlaskForm):
    """The email of the account whose password is forgotten."""

    email = EmailField(
        _l("Email"), validators=[DataRequired(), Length(max=254)], filters=[strip_filter]
    )


class NewPasswordForm(FlaskForm):
    """A new password, twice (from an invitation or reset link)."""

    password = PasswordField(_l("New password"), validators=_new_password)
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_PASSWORDS_MATCH)],
    )


class EmailChangeForm(FlaskForm):
    """A new email address, confirmed with the current password."""

    email = EmailField(
        _l("New email address"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
        filters=[strip_filter],
    )
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
