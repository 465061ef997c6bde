"""The studio's editor form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import Length

from cocourse.studio.editing import MAX_BYTES
from cocourse.web.forms import strip_filter


class EditForm(FlaskForm):
    """A course file's text, the revision it was opened at, and a note for the history."""

    text = TextAreaField(
        "Text", validators=[Length(max=MAX_BYTES)], render_kw={"rows": 28, "spellcheck": "true"}
    )
    revision = HiddenField()
    original = HiddenField()
    message = StringField(
        "What you changed (for the history)",
        validators=[Length(max=200)],
        filters=[strip_filter],
    )
