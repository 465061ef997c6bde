"""Opportunity board forms: propose or edit, comment, and change the status (triage).

The services check the same rules with messages of their own; these validators give the
person the message next to the field before anything reaches a service.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from cocourse.opportunities.services import (
    MAX_REASON,
    MAX_TEXT,
    MAX_TITLE,
    MIN_TITLE,
    SCOPES,
    STATUSES,
)
from cocourse.web.forms import strip_filter


class OpportunityForm(FlaskForm):
    """A person proposes an opportunity, or its proposer changes it."""

    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(
                _l(
                    "Give the opportunity a title of at least %(least)s characters.",
                    least=MIN_TITLE,
                )
            ),
            Length(
                min=MIN_TITLE,
                max=MAX_TITLE,
                message=_l(
                    "Use %(least)s to %(most)s characters for the title.",
                    least=MIN_TITLE,
                    most=MAX_TITLE,
                ),
            ),
        ],
        filters=[strip_filter],
    )
    stake = TextAreaField(
        _l("What is at stake?"),
        validators=[
            DataRequired(_l("Say what is at stake: why would this be worth it?")),
            Length(max=MAX_TEXT, message=_l("Use at most %(most)s characters.", most=MAX_TEXT)),
        ],
        filters=[strip_filter],
        render_kw={"rows": 4},
    )
    involved = TextAreaField(
        _l("Who is involved? (optional)"),
        validators=[
            Length(max=MAX_TEXT, message=_l("Use at most %(most)s characters.", most=MAX_TEXT))
        ],
        filters=[strip_filter],
        render_kw={"rows": 3},
    )
    scope = RadioField(
        _l("Where does it play?"),
        choices=[SelectChoice(key, label) for key, label in SCOPES.items()],
        default="internal",
        validate_choice=True,
    )
    # The course module the person came from (`?from=`), kept through a failed submit.
    source = HiddenField()


class CommentForm(FlaskForm):
    """Anyone logged in comments on an opportunity."""

    body = TextAreaField(
        _l("Your comment"),
        validators=[
            DataRequired(_l("Write a comment before posting it.")),
            Length(
                max=MAX_TEXT,
                message=_l("Use at most %(most)s characters for a comment.", most=MAX_TEXT),
            ),
        ],
        filters=[strip_filter],
        render_kw={"rows": 3},
    )


class TriageForm(FlaskForm):
    """A facilitator moves an opportunity on: planned, workshop, done or not for now."""

    status = SelectField(
        _l("New status"), choices=[SelectChoice(key, label) for key, label in STATUSES.items()]
    )
    reason = TextAreaField(
        _l("Reason (required for “Done” and “Not for now”)"),
        validators=[
            Length(max=MAX_REASON, message=_l("Use at most %(most)s characters.", most=MAX_REASON))
        ],
        filters=[strip_filter],
        render_kw={"rows": 2},
    )
