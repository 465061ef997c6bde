"""The studio's forms: the editor, a new lesson, a new module."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange

from cocourse.studio.editing import MAX_BYTES
from cocourse.web.forms import strip_filter


class EditForm(FlaskForm):
    """A course file's text, the revision it was opened at, and a note for the history."""

    text = TextAreaField(
        _l("Text"), validators=[Length(max=MAX_BYTES)], render_kw={"rows": 28, "spellcheck": "true"}
    )
    revision = HiddenField()
    original = HiddenField()
    message = StringField(
        _l("What you changed (for the history)"),
        validators=[Length(max=200)],
        filters=[strip_filter],
    )


class NewLessonForm(FlaskForm):
    """A new lesson at the end of a module; the module choices are set by the view."""

    module = SelectField(_l("Module"), choices=[])
    title = StringField(
        _l("Title"), validators=[DataRequired(), Length(max=120)], filters=[strip_filter]
    )
    kind = RadioField(
        _l("Kind"),
        choices=[SelectChoice("reading", _l("Text to read")), SelectChoice("quiz", _l("A quiz"))],
        default="reading",
    )


class NewModuleForm(FlaskForm):
    """A new module at the end of a track; the track choices are set by the view."""

    track = SelectField(_l("Track"), choices=[])
    title = StringField(
        _l("Title"), validators=[DataRequired(), Length(max=120)], filters=[strip_filter]
    )
    summary = StringField(
        _l("Summary (one or two sentences for the catalog)"),
        validators=[DataRequired(), Length(max=300)],
        filters=[strip_filter],
    )
    minutes = IntegerField(
        _l("Minutes it takes"), validators=[DataRequired(), NumberRange(1, 600)], default=30
    )


class UploadForm(FlaskForm):
    """An image or PDF for the module of the file being edited."""

    file = FileField(_l("Image or PDF"), validators=[FileRequired(_l("Choose a file first."))])
    back = HiddenField()


class GiftForm(FlaskForm):
    """A Moodle GIFT file to turn into a quiz lesson; the module choices are set by the view."""

    module = SelectField(_l("Module"), choices=[])
    file = FileField(
        _l("GIFT file (.gift or .txt)"), validators=[FileRequired(_l("Choose a file first."))]
    )


class GiftLessonForm(FlaskForm):
    """The lesson a GIFT file became, as the author may still change it before it is added."""

    relative = HiddenField()
    text = TextAreaField(
        _l("The quiz lesson"), validators=[Length(max=MAX_BYTES)], render_kw={"rows": 24}
    )
