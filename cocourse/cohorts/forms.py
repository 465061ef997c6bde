"""Cohort forms: create and edit a cohort, members, assessors, join codes, people files."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import (
    BooleanField,
    EmailField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Length,
)
from wtforms.widgets import DateInput

from cocourse.cohorts.people import MAX_BYTES as MAX_PEOPLE_FILE
from cocourse.cohorts.services import MAX_DESCRIPTION
from cocourse.cohorts.services import MAX_NAME as MAX_COHORT_NAME
from cocourse.web.forms import strip_filter


class CohortForm(FlaskForm):
    """An admin creates a cohort or changes its name and description."""

    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=MAX_COHORT_NAME)],
        filters=[strip_filter],
    )
    description = TextAreaField(
        _l("Description (optional)"),
        validators=[Length(max=MAX_DESCRIPTION)],
        filters=[strip_filter],
        render_kw={"rows": 3},
    )


class AddMemberForm(FlaskForm):
    """An admin puts a person with an account into a cohort."""

    email = EmailField(
        _l("Email of the person"),
        validators=[DataRequired(), Length(max=254)],
        filters=[strip_filter],
    )


class AssessorForm(FlaskForm):
    """An admin assigns an assessor (or admin) to a cohort; choices are set by the view."""

    user_id = SelectField(_l("Assessor"), coerce=int, choices=[])


class JoinCodeForm(FlaskForm):
    """A learner types or pastes a join code (or a whole join link)."""

    code = StringField(
        _l("Join code"), validators=[DataRequired(), Length(max=500)], filters=[strip_filter]
    )


class PeopleFileForm(FlaskForm):
    """An admin uploads a CSV file of people."""

    file = FileField(
        _l("CSV file"),
        validators=[
            FileRequired(_l("Choose a CSV file to upload.")),
            FileAllowed(["csv"], _l("Upload a file ending in .csv.")),
            FileSize(
                MAX_PEOPLE_FILE,
                message=_l(
                    "The file is larger than %(kb)s KB; split it.", kb=MAX_PEOPLE_FILE // 1024
                ),
            ),
        ],
    )
    invite = BooleanField(_l("Email an invitation to new people"))


class DueDateForm(FlaskForm):
    """An admin sets the date by which a cohort should finish a track or module. The view
    sets the choices; the service checks the target and the date, with messages of its own."""

    target = SelectField(_l("Track or module"), choices=[], validate_choice=False)
    due_on = StringField(
        _l("Due date"),
        validators=[Length(max=40)],
        filters=[strip_filter],
        widget=DateInput(),
    )
