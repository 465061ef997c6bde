"""Blueprint: register, log in, log out, change password."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from . import accounts
from .db import get_session
from .extensions import limited, submitted_email
from .forms import ActionForm, ChangePasswordForm, LoginForm, RegisterForm
from .security import is_safe_next

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def _after_login(target: str | None) -> Response:
    """Go to the page the person wanted, if it is on this site, else the catalog."""
    return redirect(target if is_safe_next(target) else url_for("learn.catalog"))


@bp.route("/register", methods=["GET", "POST"])
@limited(_login_limit, methods=["POST"])
def register() -> str | Response:
    """Create a learner account and log in."""
    if current_user.is_authenticated:
        return redirect(url_for("learn.catalog"))
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
            return redirect(url_for("learn.catalog"))
    return render_template("auth/register.html", form=form)


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
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout() -> Response:
    """Log out (a POST with a CSRF token, so other sites cannot log people out)."""
    if ActionForm().validate_on_submit():
        logout_user()
        flash("You are logged out.")
    return redirect(url_for("learn.catalog"))


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
            return redirect(url_for("learn.catalog"))
    return render_template("auth/password.html", form=form)
