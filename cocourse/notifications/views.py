"""Blueprint: a person's notifications, and which of them they get by email."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from cocourse.db import get_session
from cocourse.notifications import kinds, services
from cocourse.notifications.forms import settings_form
from cocourse.web import security_log
from cocourse.web.forms import ActionForm
from cocourse.web.paging import page_count, requested_page
from cocourse.web.roles import login_required
from cocourse.web.security import is_safe_next

bp = Blueprint("notifications", __name__)


@bp.get("/notifications")
@login_required
def inbox() -> str:
    """The person's notifications, newest first; unread ones are marked."""
    page = requested_page()
    rows, total = services.page_of(get_session(), current_user.id, page)
    return render_template(
        "notifications/inbox.html",
        rows=rows,
        total=total,
        page=page,
        pages=page_count(total, services.PER_PAGE),
        form=ActionForm(),
    )


@bp.get("/notifications/<int:notification_id>")
@login_required
def open_notification(notification_id: int) -> Response:
    """Mark one notification read and go where it points (the list if nowhere)."""
    found = services.open_one(get_session(), current_user.id, notification_id)
    if found is None:
        security_log.denied("not-own-notification", notification_id=notification_id)
        abort(404)
    target = found.url if is_safe_next(found.url) else url_for(".inbox")
    return redirect(target)


@bp.post("/notifications/read")
@login_required
def read_all() -> Response:
    """Mark every notification read."""
    if ActionForm().validate_on_submit():
        count = services.read_all(get_session(), current_user.id)
        flash(
            ngettext(
                "Marked %(num)d notification as read.",
                "Marked %(num)d notifications as read.",
                count,
            ),
            "success",
        )
    return redirect(url_for(".inbox", page=request.args.get("page", type=int) or 1))


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def settings() -> str | Response:
    """Which kinds of notification come by email as well; all stay in the app."""
    session = get_session()
    off = services.emails_off(session, current_user.id)
    shown = kinds.for_person(current_user.can_bypass_locks)
    form = settings_form(off)
    if form.validate_on_submit():
        # A kind this person is not shown keeps its setting.
        kept = off - {kind.name for kind in shown}
        unchecked = {kind.name for kind in shown if not form[kind.name].data}
        services.set_emails_off(session, current_user.id, unchecked | kept)
        flash(_("Your email settings are saved."), "success")
        return redirect(url_for(".settings"))
    return render_template("notifications/settings.html", form=form, kinds=shown)
