"""Blueprint: learners join a cohort with an invite link or by typing its join code."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from . import cohorts
from .db import get_session
from .forms import ActionForm, JoinCodeForm
from .models import Cohort

bp = Blueprint("join", __name__)


def _joined(cohort: Cohort, new: bool) -> Response:
    if new:
        flash(f"You joined {cohort.name}.")
    else:
        flash(f"You are already in {cohort.name}.")
    return redirect(url_for("learn.catalog"))


@bp.route("/join", methods=["GET", "POST"])
@login_required
def join_form() -> str | Response:
    """Type or paste a join code (or the whole link) to join its cohort."""
    form = JoinCodeForm()
    if form.validate_on_submit():
        try:
            cohort, new = cohorts.join_by_code(get_session(), current_user.id, form.code.data)
        except cohorts.CohortError as exc:
            form.code.errors.append(str(exc))
        else:
            return _joined(cohort, new)
    return render_template("learn/join.html", cohort=None, form=form, action=None)


@bp.route("/join/<code>", methods=["GET", "POST"])
@login_required
def join_page(code: str) -> str | Response | tuple[str, int]:
    """An invite link: the cohort's name and a Join button (POST, with a CSRF token)."""
    session = get_session()
    cohort = cohorts.find_by_code(session, code)
    form = JoinCodeForm(formdata=None)
    if cohort is None:
        form.code.errors = [cohorts.UNKNOWN_CODE]
        return render_template("learn/join.html", cohort=None, form=form, action=None), 404
    action = ActionForm()
    if action.validate_on_submit():
        try:
            joined, new = cohorts.join_by_code(session, current_user.id, code)
        except cohorts.CohortError as exc:  # deleted or given a new code a moment ago
            form.code.errors = [str(exc)]
            return render_template("learn/join.html", cohort=None, form=form, action=None), 404
        return _joined(joined, new)
    member = cohorts.is_member(session, cohort.id, current_user.id)
    return render_template(
        "learn/join.html", cohort=cohort, member=member, form=form, action=action
    )
