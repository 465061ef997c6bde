"""Blueprint: people and roles (admins only)."""

from __future__ import annotations

from functools import wraps
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from . import accounts
from .db import get_session
from .forms import RoleForm
from .models import Role

bp = Blueprint("admin", __name__, url_prefix="/admin")
PER_PAGE = 50


def admin_required(view: Any) -> Any:
    """Only admins pass; everyone else gets 403 (anonymous people are sent to log in)."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


@bp.get("/users")
@admin_required
def users() -> str:
    """Everyone with an account, a page at a time, with a role form each."""
    page = request.args.get("page", 1, type=int) or 1
    people, total = accounts.list_users(get_session(), max(page, 1), PER_PAGE)
    pages = max(1, -(-total // PER_PAGE))
    forms = {person.id: RoleForm(role=person.role, prefix=f"u{person.id}") for person in people}
    return render_template(
        "admin/users.html", people=people, forms=forms, page=page, pages=pages, total=total
    )


@bp.post("/users/<int:user_id>/role")
@admin_required
def set_role(user_id: int) -> Response:
    """Give one person a role."""
    if accounts.get_user(get_session(), user_id) is None:
        abort(404)
    form = RoleForm(prefix=f"u{user_id}")
    if not form.validate_on_submit():
        abort(400, "Choose one of the listed roles and submit the form again.")
    try:
        person = accounts.set_role(get_session(), user_id, Role(form.role.data))
    except accounts.AccountError as exc:
        flash(str(exc), "error")
    else:
        flash(f"{person.name} is now {person.role}.")
    return redirect(url_for("admin.users", page=request.args.get("page", 1, type=int)))
