"""The email settings form: a checkbox per kind of notification."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField

from cocourse.notifications.kinds import KINDS


class EmailSettingsForm(FlaskForm):
    """Checked: this kind also comes by email. Fields are named after the kinds."""


for _kind in KINDS.values():
    setattr(EmailSettingsForm, _kind.name, BooleanField(_kind.label))


def settings_form(off: set[str]) -> EmailSettingsForm:
    """The form, each box checked unless that kind's email is off (a submitted form's
    values win)."""
    return EmailSettingsForm(data={name: name not in off for name in KINDS})
