"""Blueprint: assessors see the learners of their cohorts (admins see everyone)."""

from __future__ import annotations

from functools import wraps
from typing import Any

from flask import Blueprint, abort, current_app, render_template
from flask_login import current_user, login_required

from . import accounts, cohorts, progress
from .content.model import Course
from .db import get_session
from .models import Role
from .paging import page_count, requested_page

bp = Blueprint("assessor", __name__, url_prefix="/assessor")
PER_PAGE = 50


def assessor_required(view: Any) -> Any:
    """Assessors and admins pass; learners get 403 (anonymous people are sent to log in)."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user.role not in (Role.ASSESSOR.value, Role.ADMIN.value):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _course() -> Course:
    return current_app.extensions["cocourse.course"].course  # type: ignore[no-any-return]


@bp.get("/learners")
@assessor_required
def learners() -> str:
    """The learners of the viewer's cohorts (everyone, for admins), a page at a time."""
    viewer = current_user._get_current_object()
    page = requested_page()
    rows, total = cohorts.list_learners(get_session(), viewer, page, PER_PAGE)
    return render_template(
        "assessor/learners.html",
        rows=rows,
        total=total,
        page=page,
        pages=page_count(total, PER_PAGE),
    )


@bp.get("/learners/<int:user_id>")
@assessor_required
def learner(user_id: int) -> str:
    """One learner's module statuses; 404 for anyone outside the viewer's cohorts."""
    session = get_session()
    viewer = current_user._get_current_object()
    # The same answer for "no such person" and "not yours to see": ids reveal nothing.
    if not cohorts.can_view_learner(session, viewer, user_id):
        abort(404)
    person = accounts.get_user(session, user_id)
    if person is None:
        abort(404)
    course = _course()
    standing = progress.Standing(course, progress.completed(session, person.id))
    return render_template(
        "assessor/learner.html",
        person=person,
        course=course,
        status=standing.statuses(),
        cohorts=cohorts.cohort_names(session, viewer, [person.id]).get(person.id, ()),
    )
