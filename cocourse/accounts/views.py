"""Blueprint: register, log in, log out, change password; people and roles (admins)."""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response

from cocourse.accounts import login as browser
from cocourse.accounts import services as accounts
from cocourse.accounts import sessions, throttle
from cocourse.accounts.forms import ChangePasswordForm, LoginForm, RegisterForm, RoleForm
from cocourse.db import get_session
from cocourse.extensions import limited
from cocourse.models import Role, utcnow
from cocourse.web import security_log
from cocourse.web.forms import ActionForm
from cocourse.web.paging import page_count, requested_page
from cocourse.web.roles import login_required, role_required
from cocourse.web.security import is_safe_next

bp = Blueprint("accounts", __name__)
PER_PAGE = 50


@bp.before_app_request
def _drop_flask_login_cookie() -> None:
    """Flask-Login's own remember cookie (from before server-side sessions) logs nobody in;
    mark it for removal, so that ours is looked at instead."""
    name = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    if name in request.cookies and session.get("_remember") != "clear":
        session["_remember"] = "clear"


@bp.after_app_request
def _remember_cookie(response: Response) -> Response:
    return browser.set_cookies(response)


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def _throttled(_limit: Any) -> None:
    """Flask-Limiter's on_breach: note the 429 in the security log."""
    security_log.event("login_throttled", level=logging.WARNING, endpoint=request.endpoint)


def _client() -> tuple[str, str]:
    return request.remote_addr or "", request.user_agent.string


def _after_login(target: str | None) -> Response:
    """Go to the page the person wanted, if it is on this site, else the catalog."""
    return redirect(target if is_safe_next(target) else url_for("learning.catalog"))


@bp.route("/register", methods=["GET", "POST"])
@limited(_login_limit, methods=["POST"], on_breach=_throttled)
def register() -> str | Response:
    """Create a learner account and log in."""
    if current_user.is_authenticated:
        return redirect(url_for("learning.catalog"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            accounts.check_new_password(form.password.data, form.email.data, form.name.data)
        except accounts.AccountError as exc:
            form.password.errors.append(str(exc))
            return render_template("accounts/register.html", form=form)
        try:
            user = accounts.create_user(
                get_session(), form.email.data, form.name.data, form.password.data
            )
        except accounts.AccountError as exc:
            form.email.errors.append(str(exc))
        else:
            browser.log_in(user, False, *_client())
            security_log.event("login", user_id=user.id, method="register")
            flash(f"Welcome, {user.name}. Start with the first module of the Tasting track.")
            return redirect(url_for("learning.catalog"))
    return render_template("accounts/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limited(_login_limit, methods=["POST"], on_breach=_throttled)
def login() -> str | Response | tuple[str, int, dict[str, str]]:
    """Log in with email and password.

    Attempts are limited per client address; per account, failures make further attempts
    from addresses the person never logged in from wait longer and longer (never a lock)."""
    form = LoginForm(next=request.args.get("next", ""))
    if current_user.is_authenticated:
        return _after_login(form.next.data)
    if form.validate_on_submit():
        db, email = get_session(), form.email.data
        config = current_app.config
        address, agent = _client()
        wait = throttle.wait_seconds(
            db,
            email,
            address,
            utcnow(),
            int(config["LOGIN_BACKOFF_AFTER"]),
            float(config["LOGIN_BACKOFF_SECONDS"]),
            float(config["LOGIN_BACKOFF_MAX_SECONDS"]),
        )
        if wait:
            security_log.event(
                "login_backoff",
                level=logging.WARNING,
                wait_seconds=wait,
                **security_log.email_fields(email),
            )
            form.form_errors.append(
                "There were many failed attempts to log in to this account. Wait "
                f"{wait} seconds and try again."
            )
            page = render_template("accounts/login.html", form=form)
            return page, 429, {"Retry-After": str(wait)}
        user = accounts.authenticate(db, email, form.password.data)
        if user is not None:
            throttle.clear(db, email)
            browser.log_in(user, bool(form.remember.data), address, agent)
            security_log.event("login", user_id=user.id, method="password")
            return _after_login(form.next.data)
        failures = throttle.record_failure(db, email, utcnow())
        security_log.event(
            "login_failed",
            level=logging.WARNING,
            failures=failures,
            **security_log.email_fields(email),
        )
        form.form_errors.append("That email and password do not match an account.")
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
def logout() -> Response:
    """Log out (a POST with a CSRF token, so other sites cannot log people out): this
    browser's login session and remember-me cookie end on the server too."""
    if ActionForm().validate_on_submit():
        user_id = current_user.id if current_user.is_authenticated else None
        browser.log_out(request.cookies.get(browser.REMEMBER_COOKIE))
        security_log.event("logout", user_id=user_id)
        flash("You are logged out.")
    return redirect(url_for("learning.catalog"))


@bp.post("/account/logout-everywhere")
@login_required
def logout_everywhere() -> Response:
    """End every login session and remember-me cookie of the person, this one included."""
    if not ActionForm().validate_on_submit():
        abort(400, "This form has expired. Open the page again and resubmit.")
    user_id = current_user.id
    ended = sessions.end_all_sessions(get_session(), user_id)
    browser.log_out(None)
    security_log.event("logout_everywhere", user_id=user_id, sessions_ended=ended)
    flash("You are logged out on every device, this one included. Log in again to continue.")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> str | Response:
    """Change one's own password."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            accounts.change_password(get_session(), user, form.current.data, form.password.data)
        except accounts.AccountError as exc:
            field = form.current if "current" in str(exc) else form.password
            field.errors.append(str(exc))
        else:
            # Every login of the person ended with the change; this browser, where the
            # password was just typed, gets a new one (not a remember-me cookie).
            browser.log_in(user, False, *_client())
            security_log.event("password_changed", user_id=user.id)
            flash("Your password is changed. You are logged out on every other device.")
            return redirect(url_for("learning.catalog"))
    return render_template("accounts/password.html", form=form, everywhere=ActionForm())


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
    before = accounts.get_user(get_session(), user_id)
    if before is None:
        abort(404)
    old_role = before.role
    form = RoleForm(prefix=f"u{user_id}")
    if not form.validate_on_submit():
        abort(400, "Choose one of the listed roles and submit the form again.")
    try:
        person = accounts.set_role(get_session(), user_id, Role(form.role.data))
    except accounts.AccountError as exc:
        flash(str(exc), "error")
    else:
        if person.role != old_role:
            security_log.event(
                "role_changed",
                user_id=current_user.id,
                target_user_id=person.id,
                old_role=old_role,
                new_role=person.role,
                sessions_ended=True,
            )
        flash(f"{person.name} is now {person.role}.")
    return redirect(url_for("accounts.users", page=requested_page()))
