"""Blueprint: invitations, password resets and email changes, by single-use email links.

Links carry their token in the path (pages send `Referrer-Policy: same-origin`, so it never
leaves the site); the security log records what happened without the token. Opening a link
(GET) changes nothing; the form it shows does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_babel.speaklater import LazyString
from flask_login import current_user
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from cocourse.accounts import login as browser
from cocourse.accounts import services as accounts
from cocourse.accounts import throttle, tokens
from cocourse.accounts.forms import (
    ChangePasswordForm,
    EmailChangeForm,
    ForgotPasswordForm,
    NewPasswordForm,
)
from cocourse.db import get_session
from cocourse.extensions import limited
from cocourse.models import Role, User
from cocourse.web import security_log
from cocourse.web.forms import ActionForm
from cocourse.web.roles import login_required, role_required
from cocourse.web.security import redirect_to_next
from cocourse.web.urls import external_url

bp = Blueprint("accounts_recovery", __name__)
EXPIRED = _l("This form has expired. Open the page again and resubmit.")


def invitation_link(token: str) -> str:
    """The link of an invitation token."""
    return external_url("accounts_recovery.accept", token=token)


def _reset_link(token: str) -> str:
    return external_url("accounts_recovery.reset", token=token)


def _email_link(token: str) -> str:
    return external_url("accounts_recovery.confirm_email", token=token)


def _reset_limit() -> str:
    return str(current_app.config["RESET_RATE_LIMIT"])


def _throttled(_limit: object) -> None:
    security_log.event("reset_throttled", level=logging.WARNING, endpoint=request.endpoint)


def _bad_link(exc: accounts.AccountError, purpose: str) -> tuple[str, int]:
    security_log.event("account_link_refused", level=logging.WARNING, purpose=purpose)
    return render_template("accounts/link_refused.html", message=str(exc), purpose=purpose), 400


def _back_to_people() -> Response:
    return redirect_to_next(request.form.get("next"), url_for("accounts.users"))


@bp.route("/account/forgot", methods=["GET", "POST"])
@limited(_reset_limit, methods=["POST"], on_breach=_throttled)
def forgot() -> str | Response:
    """Ask for a password reset link; the answer is the same whether the account exists."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        email = form.email.data
        user_id = tokens.request_reset(get_session(), email, _reset_link)
        security_log.event(
            "password_reset_requested",
            user_id=user_id,
            known=user_id is not None,
            **security_log.email_fields(email),
        )
        hours = current_app.config["RESET_HOURS"]
        flash(
            ngettext(
                "If an account uses %(email)s, we have sent it a link to choose a new password. "
                "The link works for %(num)s hour. No email? Check the address and your spam "
                "folder.",
                "If an account uses %(email)s, we have sent it a link to choose a new password. "
                "The link works for %(num)s hours. No email? Check the address and your spam "
                "folder.",
                hours,
                email=email,
            )
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot.html", form=form)


def _set_password(token: str, purpose: str, template: str) -> str | Response | tuple[str, int]:
    """The page of an invitation or reset link: a new password, then logged in."""
    db = get_session()
    try:
        person = tokens.check(db, token, purpose)
    except tokens.TokenError as exc:
        return _bad_link(exc, purpose)
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            user = tokens.set_password(db, token, purpose, form.password.data)
        except tokens.TokenError as exc:
            return _bad_link(exc, purpose)
        except accounts.AccountError as exc:
            form.password.errors.append(str(exc))
        else:
            throttle.clear(db, user.email)
            browser.log_in(user, False, request.remote_addr or "", request.user_agent.string)
            event = "invitation_accepted" if purpose == tokens.INVITATION else "password_reset"
            security_log.event(event, user_id=user.id, sessions_ended=True)
            if purpose == tokens.INVITATION:
                cohorts = tokens.cohort_names(db, user.id)
                if cohorts:
                    flash(
                        _(
                            "Welcome, %(name)s. Your password is set and you are logged in. "
                            "You are in %(cohorts)s.",
                            name=user.name,
                            cohorts=", ".join(cohorts),
                        )
                    )
                else:
                    flash(
                        _(
                            "Welcome, %(name)s. Your password is set and you are logged in.",
                            name=user.name,
                        )
                    )
            else:
                flash(
                    _(
                        "Your password is changed and you are logged in. Every other login of "
                        "your account has ended."
                    )
                )
            return redirect(url_for("learning.catalog"))
    return render_template(template, form=form, person=person, token=token)


@bp.route("/account/reset/<token>", methods=["GET", "POST"])
def reset(token: str) -> str | Response | tuple[str, int]:
    """Choose a new password with a reset link."""
    return _set_password(token, tokens.RESET, "accounts/reset_password.html")


@bp.route("/account/invitation/<token>", methods=["GET", "POST"])
def accept(token: str) -> str | Response | tuple[str, int]:
    """Choose a first password with an invitation link."""
    return _set_password(token, tokens.INVITATION, "accounts/invitation.html")


@bp.post("/admin/users/<int:user_id>/invite")
@role_required(Role.ADMIN)
def invite(user_id: int) -> Response:
    """Email a person an invitation (again): a new link replaces the old one."""
    return _email_person(
        lambda db: tokens.invite(db, user_id, invitation_link, current_user.name),
        "invitation_sent",
        user_id,
        _l("An invitation is on its way to %(email)s."),
    )


@bp.post("/admin/users/<int:user_id>/send-reset")
@role_required(Role.ADMIN)
def send_reset(user_id: int) -> Response:
    """Email a person a password reset link (an earlier one stops working)."""
    return _email_person(
        lambda db: tokens.send_reset(db, user_id, _reset_link),
        "password_reset_sent",
        user_id,
        _l("A password reset link is on its way to %(email)s."),
    )


def _email_person(
    send: Callable[[Session], User], event: str, user_id: int, done: LazyString
) -> Response:
    """An admin's "email this person" button: send, log `event`, say so (`done`, with the
    person's %(email)s), go back."""
    if not ActionForm().validate_on_submit():
        abort(400, str(EXPIRED))
    try:
        person = send(get_session())
    except accounts.AccountError as exc:
        flash(str(exc), "error")
    else:
        security_log.event(event, user_id=current_user.id, target_user_id=user_id)
        flash(str(done) % {"email": person.email})
    return _back_to_people()


@bp.post("/account/email")
@login_required
def change_email() -> str | Response:
    """Ask to change one's email: a confirmation link goes to the new address."""
    form = EmailChangeForm()
    user = current_user._get_current_object()
    db = get_session()
    if form.validate_on_submit():
        if accounts.authenticate(db, user.email, form.current.data) is None:
            form.current.errors.append(_("Your current password is not correct."))
        else:
            try:
                sent = tokens.request_email_change(db, user.id, form.email.data, _email_link)
            except accounts.AccountError as exc:
                form.email.errors.append(str(exc))
            else:
                security_log.event("email_change_requested", user_id=user.id, sent=sent)
                hours = current_app.config["EMAIL_CHANGE_HOURS"]
                flash(
                    ngettext(
                        "We sent a link to %(email)s. Your address changes when you open it "
                        "and confirm, within %(num)s hour.",
                        "We sent a link to %(email)s. Your address changes when you open it "
                        "and confirm, within %(num)s hours.",
                        hours,
                        email=form.email.data,
                    )
                )
                return redirect(url_for("accounts.change_password"))
    page = render_template(
        "accounts/password.html",
        form=ChangePasswordForm(formdata=None),
        everywhere=ActionForm(),
        email_form=form,
    )
    return page


@bp.route("/account/email/<token>", methods=["GET", "POST"])
def confirm_email(token: str) -> str | Response | tuple[str, int]:
    """Confirm a new email address (the change happens on the button, not on opening)."""
    db = get_session()
    try:
        person, new_email = tokens.pending_email(db, token)
    except tokens.TokenError as exc:
        return _bad_link(exc, tokens.EMAIL)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            user, _old = tokens.confirm_email_change(db, token)
        except tokens.TokenError as exc:
            return _bad_link(exc, tokens.EMAIL)
        security_log.event("email_changed", user_id=user.id)
        flash(
            _("Your email address is now %(email)s. Log in with it from now on.", email=user.email)
        )
        return redirect(url_for("learning.catalog"))
    return render_template(
        "accounts/confirm_email.html", form=form, person=person, new_email=new_email, token=token
    )
