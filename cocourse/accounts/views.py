"""Blueprint: register, log in, log out, change password; people and roles (admins)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from cocourse.accounts import services as accounts
from cocourse.accounts.forms import ChangePasswordForm, LoginForm, RegisterForm, RoleForm
from cocourse.db import get_session
from cocourse.extensions import limited, submitted_email
from cocourse.models import Role
from cocourse.web.forms import ActionForm
from cocourse.web.paging import page_count, requested_page
from cocourse.web.roles import login_required, role_required
from cocourse.web.security import is_safe_next

bp = Blueprint("accounts", __name__)
PER_PAGE = 50


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def _after_login(target: str | None) -> Response:
    """Go to the page the person wanted, if it is on this site, else the catalog."""
    return redirect(target if is_safe_next(target) else url_for("learning.catalog"))


@bp.route("/register", methods=["GET", "POST"])
@limited(_login_limit, methods=["POST"])
def register() -> str | Response:
    """Create a learner account and log in."""
    if current_user.is_authenticated:
        return redirect(url_for("learning.catalog"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                get_session(), form.email.data, form.name.data, form.password.data
            )
        except accounts.AccountError as exc:
            form.email.errors.append(str(exc))
        else:
            login_user(user)
            flash(f"Welcome, {user.name}. Start with the first module of the Tasting track.")
            return redirect(url_for("learning.catalog"))
    return render_template("accounts/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limited(_login_limit, methods=["POST"])
@limited(_login_limit, methods=["POST"], key_func=submitted_email)
def login() -> str | Response:
    """Log in with email and password."""
    form = LoginForm(next=request.args.get("next", ""))
    if current_user.is_authenticated:
        return _after_login(form.next.data)
    if form.validate_on_submit():
        user = accounts.authenticate(get_session(), form.email.data, form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            return _after_login(form.next.data)
        form.form_errors.append("That email and password do not match an account.")
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
def logout() -> Response:
    """Log out (a POST with a CSRF token, so other sites cannot log people out)."""
    if ActionForm().validate_on_submit():
        logout_user()
        flash("You are logged out.")
    return redirect(url_for("learning.catalog"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> str | Response:
    """Change one's own password."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                get_session(),
                current_user._get_current_object(),
                form.current.data,
                form.password.data,
            )
        except accounts.AccountError as exc:
            form.current.errors.append(str(exc))
        else:
            flash("Your password is changed.")
            return redirect(url_for("learning.catalog"))
    return render_template("accounts/password.html", form=form)


@bp.get("/admin/users")
@role_required(Role.ADMIN)
def users() -> str:
    """Everyone with an account, a page at a time, with a role form each."""
    page = requested_page()
    people, total = accounts.list_users(get_session(), page, PER_PAGE)
    pages = page_count(total, PER_PAGE)
    forms = {person.id: RoleForm(role=person.role, prefix=f"u{person.id}") for person in people}
    return render_template(
        "accounts/users.html", people=people, forms=forms, page=page, pages=pages, total=total
    )


@bp.post("/admin/users/<int:user_id>/role")
@role_required(Role.ADMIN)
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
    return redirect(url_for("accounts.users", page=requested_page()))
