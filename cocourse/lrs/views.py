"""Blueprint: send pending statements to the record store now (admins)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from cocourse.db import get_session
from cocourse.lrs import forwarding, settings
from cocourse.models import Role
from cocourse.web.course import course
from cocourse.web.forms import ActionForm
from cocourse.web.roles import role_required
from cocourse.web.urls import site_root

bp = Blueprint("lrs", __name__)


@bp.post("/admin/lrs/send")
@role_required(Role.ADMIN)
def send_now() -> Response:
    """Forward what is pending at once, instead of waiting for the next minute's job."""
    store = settings.store_of(current_app)
    if store is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    session = get_session()
    size = settings.batch_size_of(current_app)
    sent = forwarding.forward(session, course(), site_root(), store, size)
    found = forwarding.state(session, store.endpoint)
    if found.last_error_at is not None and (
        found.last_sent_at is None or found.last_error_at >= found.last_sent_at
    ):
        message = ngettext(
            "%(num)d statement(s) sent. The store's last answer: %(answer)s",
            "%(num)d statement(s) sent. The store's last answer: %(answer)s",
            sent,
            answer=found.last_error,
        )
        flash(message, "error")
    elif sent:
        flash(ngettext("%(num)d statement(s) sent.", "%(num)d statement(s) sent.", sent), "success")
    else:
        flash(_("Nothing was waiting to be sent."), "success")
    return redirect(url_for("accounts.users"))
