"""Blueprint: send pending statements to the record store now (admins)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, url_for
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
        flash(f"{sent} statement(s) sent. The store's last answer: {found.last_error}", "error")
    elif sent:
        flash(f"{sent} statement(s) sent.", "success")
    else:
        flash("Nothing was waiting to be sent.", "success")
    return redirect(url_for("accounts.users"))
