"""The form an admin registers a learning platform with."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField, URLField
from wtforms.validators import DataRequired, Length, ValidationError

from cocourse.web.forms import strip_filter


def _web_address(form: FlaskForm, field: StringField) -> None:
    if not str(field.data or "").startswith(("https://", "http://")):
        raise ValidationError(_("Give the full address, starting with https://."))


class PlatformForm(FlaskForm):
    """What the platform's LTI 1.3 settings page shows once cocourse is added as a tool."""

    name = StringField(
        _l("Name shown to people"),
        validators=[DataRequired(), Length(max=120)],
        filters=[strip_filter],
    )
    issuer = StringField(
        _l("Platform ID (issuer)"),
        validators=[DataRequired(), Length(max=255)],
        filters=[strip_filter],
    )
    client_id = StringField(
        _l("Client ID"), validators=[DataRequired(), Length(max=255)], filters=[strip_filter]
    )
    auth_login_url = URLField(
        _l("Authentication request URL"),
        validators=[DataRequired(), Length(max=500), _web_address],
        filters=[strip_filter],
    )
    auth_token_url = URLField(
        _l("Access token URL"),
        validators=[DataRequired(), Length(max=500), _web_address],
        filters=[strip_filter],
    )
    key_set_url = URLField(
        _l("Public keyset URL"),
        validators=[DataRequired(), Length(max=500), _web_address],
        filters=[strip_filter],
    )
    deployments = TextAreaField(
        _l("Deployment IDs, one per line"),
        validators=[DataRequired(), Length(max=5000)],
        render_kw={"rows": 3},
    )
    link_by_email = BooleanField(
        _l("Let a first launch sign in to an existing cocourse account with the same email")
    )
