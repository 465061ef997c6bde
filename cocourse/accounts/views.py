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
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from cocourse.accounts import login as browser
from cocourse.accounts import services as accounts
from cocourse.accounts import sessions, throttle
from cocourse.accounts.forms import (
    ROLE_LABELS,
    ROLE_NAMES,
    STATUS_LABELS,
    ChangePasswordForm,
    EmailChangeForm,
    LoginForm,
    RegisterForm,
    RoleForm,
)
from cocourse.db import get_session
from cocourse.extensions import csrf, limited
from cocourse.models import Role, User, utcnow
from cocourse.plugins import enabled
from cocourse.web import i18n, security_log
from cocourse.web.extend import plugin_manager
from cocourse.web.forms import ActionForm
from cocourse.web.ids import query_int
from cocourse.web.paging import page_count, requested_page
from cocourse.web.roles import login_required, role_required
from cocourse.web.security import redirect_to_next

bp = Blueprint("accounts", __name__)
PER_PAGE = 50
MAX_SEARCH = 100
STATUSES = ("active", "deactivated")
DEACTIVATED = _l(
    "This account is deactivated, so it cannot log in. Ask an administrator of this site "
    "if you need it again."
)
EXPIRED = _l("This form has expired. Open the page again and resubmit.")


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
    return redirect_to_next(target, url_for("learning.catalog"))


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
                get_session(),
                form.email.data,
                form.name.data,
                form.password.data,
                language=i18n.current_language(),
            )
        except accounts.AccountError as exc:
            form.email.errors.append(str(exc))
        else:
            browser.log_in(user, False, *_client())
            security_log.event("login", user_id=user.id, method="register")
            flash(
                _(
                    "Welcome, %(name)s. Start with the first module of the Tasting track.",
                    name=user.name,
                )
            )
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
                ngettext(
                    "There were many failed attempts to log in to this account. Wait "
                    "%(num)d second and try again.",
                    "There were many failed attempts to log in to this account. Wait "
                    "%(num)d seconds and try again.",
                    wait,
                )
            )
            page = render_template("accounts/login.html", form=form)
            return page, 429, {"Retry-After": str(wait)}
        user = accounts.authenticate(db, email, form.password.data)
        if user is not None and not user.is_active:
            # Said only after the right password: a guess learns no more than "wrong".
            security_log.event(
                "login_refused", level=logging.WARNING, user_id=user.id, reason="deactivated"
            )
            form.form_errors.append(DEACTIVATED)
            return render_template("accounts/login.html", form=form)
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
        form.form_errors.append(_("That email and password do not match an account."))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
def logout() -> Response:
    """Log out (a POST with a CSRF token, so other sites cannot log people out): this
    browser's login session and remember-me cookie end on the server too."""
    if ActionForm().validate_on_submit():
        user_id = current_user.id if current_user.is_authenticated else None
        browser.log_out(request.cookies.get(browser.REMEMBER_COOKIE))
        security_log.event("logout", user_id=user_id)
        flash(_("You are logged out."))
    return redirect(url_for("learning.catalog"))


@bp.post("/language")
@csrf.exempt  # type: ignore[untyped-decorator]
def choose_language() -> Response:
    """The footer's language switcher: the choice is kept in the session, and as the
    person's setting when they are logged in. Back to the page it was made on.

    Only a logged-in person's choice needs a CSRF token (it changes their account). A
    visitor's form carries none, so that public pages hold no secret of the visitor's and
    set no cookie: they are the same for every visitor and can be served from the page
    cache. Another site can at worst change the language of a visitor's next page."""
    language = i18n.known(request.form.get("language"))
    allowed = ActionForm().validate_on_submit() if current_user.is_authenticated else True
    if allowed and language:
        session[i18n.SESSION_KEY] = language
        if current_user.is_authenticated:
            accounts.set_language(get_session(), current_user._get_current_object(), language)
    return redirect_to_next(request.form.get("next"), url_for("learning.catalog"))


@bp.post("/account/logout-everywhere")
@login_required
def logout_everywhere() -> Response:
    """End every login session and remember-me cookie of the person, this one included."""
    if not ActionForm().validate_on_submit():
        abort(400, str(EXPIRED))
    user_id = current_user.id
    ended = sessions.end_all_sessions(get_session(), user_id)
    browser.log_out(None)
    security_log.event("logout_everywhere", user_id=user_id, sessions_ended=ended)
    flash(_("You are logged out on every device, this one included. Log in again to continue."))
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
            wrong = isinstance(exc, accounts.WrongPasswordError)
            field = form.current if wrong else form.password
            field.errors.append(str(exc))
        else:
            # Every login of the person ended with the change; this browser, where the
            # password was just typed, gets a new one (not a remember-me cookie).
            browser.log_in(user, False, *_client())
            security_log.event("password_changed", user_id=user.id)
            flash(_("Your password is changed. You are logged out on every other device."))
            return redirect(url_for("learning.catalog"))
    return render_template(
        "accounts/password.html",
        form=form,
        everywhere=ActionForm(),
        email_form=EmailChangeForm(formdata=None),
    )


def _people_filter() -> accounts.PeopleFilter:
    """The People page's filters from the query string; unknown values mean no filter."""
    args = request.args
    role = args.get("role", "")
    status = args.get("status", "")
    cohort = query_int("cohort", 0)
    return accounts.PeopleFilter(
        search=args.get("q", "")[:MAX_SEARCH],
        role=role if role in {r.value for r in Role} else "",
        cohort_id=cohort or None,
        status=status if status in STATUSES else "",
    )


def _filter_args(wanted: accounts.PeopleFilter) -> dict[str, str | int]:
    """The filters as query arguments for the page links (only those that are set)."""
    found: dict[str, str | int] = {
        "q": wanted.search.strip(),
        "role": wanted.role,
        "cohort": wanted.cohort_id or "",
        "status": wanted.status,
    }
    return {name: value for name, value in found.items() if value}


@bp.get("/admin/users")
@role_required(Role.ADMIN)
def users() -> str:
    """Everyone with an account, searched and filtered, a page at a time, a role form each."""
    db = get_session()
    page = requested_page()
    wanted = _people_filter()
    people, total = accounts.list_users(db, page, PER_PAGE, wanted)
    pages = page_count(total, PER_PAGE)
    forms = {person.id: RoleForm(role=person.role, prefix=f"u{person.id}") for person in people}
    cohort_choices = accounts.cohort_choices(db) if enabled(plugin_manager(), "cohorts") else None
    return render_template(
        "accounts/users.html",
        people=people,
        forms=forms,
        page=page,
        pages=pages,
        total=total,
        wanted=wanted,
        filters=_filter_args(wanted),
        roles=list(Role),
        role_labels=ROLE_LABELS,
        cohorts=cohort_choices,
        statuses=STATUSES,
        status_labels=STATUS_LABELS,
    )


def _person_or_404(user_id: int) -> User:
    person = accounts.get_user(get_session(), user_id)
    if person is None:
        abort(404)
    return person


def _back(default: str) -> Response:
    """Back to the page the form was on (same-site only), else `default`."""
    return redirect_to_next(request.form.get("next"), default)


@bp.get("/admin/users/<int:user_id>")
@role_required(Role.ADMIN)
def person(user_id: int) -> str:
    """One person: account, role, status; what each feature knows of them (panels)."""
    found = _person_or_404(user_id)
    here = url_for("accounts.person", user_id=user_id)
    return render_template(
        "accounts/person.html",
        person=found,
        logins=accounts.login_summary(get_session(), user_id),
        role_form=RoleForm(role=found.role, prefix=f"u{found.id}"),
        action=ActionForm(),
        here=here,
        is_self=found.id == current_user.id,
        # The invitation and reset buttons show only where their routes exist.
        views=current_app.view_functions,
    )


@bp.route("/admin/users/<int:user_id>/deactivate", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def deactivate(user_id: int) -> str | Response:
    """Ask for confirmation, then deactivate the account (never one's own)."""
    found = _person_or_404(user_id)
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400, str(EXPIRED))
        try:
            done, changed = accounts.deactivate(get_session(), user_id, current_user.id)
        except accounts.AccountError as exc:
            flash(str(exc), "error")
        else:
            if changed:
                security_log.event(
                    "account_deactivated",
                    user_id=current_user.id,
                    target_user_id=user_id,
                    sessions_ended=True,
                )
                flash(_("%(name)s is deactivated and logged out everywhere.", name=done.name))
            else:
                flash(_("%(name)s was already deactivated.", name=done.name))
        return redirect(url_for("accounts.person", user_id=user_id))
    return render_template(
        "accounts/deactivate.html",
        person=found,
        form=form,
        is_self=found.id == current_user.id,
        role_names=ROLE_NAMES,
    )


@bp.post("/admin/users/<int:user_id>/reactivate")
@role_required(Role.ADMIN)
def reactivate(user_id: int) -> Response:
    """Let a deactivated person log in again."""
    _person_or_404(user_id)
    if not ActionForm().validate_on_submit():
        abort(400, str(EXPIRED))
    done, changed = accounts.reactivate(get_session(), user_id)
    if changed:
        security_log.event("account_reactivated", user_id=current_user.id, target_user_id=user_id)
        flash(_("%(name)s can log in again.", name=done.name))
    else:
        flash(_("%(name)s was not deactivated.", name=done.name))
    return redirect(url_for("accounts.person", user_id=user_id))


@bp.post("/admin/users/<int:user_id>/role")
@role_required(Role.ADMIN)
def set_role(user_id: int) -> Response:
    """Give one person a role."""
    before = _person_or_404(user_id)
    old_role = before.role
    form = RoleForm(prefix=f"u{user_id}")
    if not form.validate_on_submit():
        abort(400, _("Choose one of the listed roles and submit the form again."))
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
        role = ROLE_NAMES.get(Role(person.role), person.role)
        flash(_("%(name)s is now %(role)s.", name=person.name, role=role))
    return _back(url_for("accounts.users", page=requested_page()))
