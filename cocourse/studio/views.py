"""Blueprint: what content this server serves, and why a reload was refused (admins)."""

from __future__ import annotations

import os

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from cocourse.content.model import Problem
from cocourse.models import Role
from cocourse.web.forms import ActionForm
from cocourse.web.roles import role_required

bp = Blueprint("studio", __name__, url_prefix="/studio")
admins = role_required(Role.ADMIN)


@bp.get("/status")
@admins
def status() -> str:
    """The content folder, the version served and since when, and the last refused reload."""
    state = current_app.extensions["cocourse.course"]
    course = state.course

    def where(problem: Problem) -> str:
        """file:line, the file relative to the content folder when it is inside it."""
        path = os.path.relpath(problem.path, state.root)
        shown = problem.path if path.startswith("..") else path
        return f"{shown}:{problem.line}"

    return render_template(
        "studio/status.html",
        state=state,
        modules=len(course.modules),
        lessons=sum(len(module.lessons) for module in course.modules),
        warnings=course.warnings,
        where=where,
        action=ActionForm(),
    )


@bp.post("/reload")
@admins
def reload() -> Response:
    """Reload the content now, in this process, and say how it went."""
    if not ActionForm().validate_on_submit():
        abort(400)
    errors = current_app.extensions["cocourse.course"].reload("an admin")
    if errors:
        flash(f"Not reloaded: {len(errors)} error(s), listed below.", "error")
    else:
        flash("Content reloaded.", "success")
    return redirect(url_for("studio.status"))
