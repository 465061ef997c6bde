"""Blueprint: "Sign in with <organization>" (OpenID Connect authorization code with PKCE),
and the password-login policy when SSO replaces passwords."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from flask import Blueprint, current_app, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from joserfc.errors import JoseError
from werkzeug.wrappers import Response

from cocourse.accounts import login as browser
from cocourse.db import get_session
from cocourse.extensions import limited
from cocourse.sso import client as oidc
from cocourse.sso import services
from cocourse.sso.settings import SsoSettings
from cocourse.web import security_log
from cocourse.web.security import is_safe_next, redirect_to_next

bp = Blueprint("sso", __name__)
# The same-site page to go to after signing in, kept while the provider is asked.
NEXT_KEY = "cocourse_sso_next"
Page = tuple[str, int]


class SignInFailed(Exception):
    """A sign-in that cannot go on: `reason` for the security log, a message for the person."""

    def __init__(self, reason: str, message: str, status: int = 502, **log: Any) -> None:
        super().__init__(message)
        self.reason, self.status, self.log = reason, status, log


def _settings() -> SsoSettings:
    settings = oidc.settings_of(current_app)
    assert settings is not None  # the blueprint is only registered when SSO is on
    return settings


def _failed(error: SignInFailed) -> Page:
    """Log the failure and show a page that says what happened and what to do."""
    security_log.event("sso_failed", level=logging.WARNING, reason=error.reason, **error.log)
    settings = _settings()
    page = render_template(
        "sso/failed.html",
        message=str(error),
        settings=settings,
        name=oidc.organization(settings),
        next=session.get(NEXT_KEY),
    )
    return page, error.status


def _unreachable(settings: SsoSettings) -> str:
    return str(
        _(
            "We could not reach %(name)s's sign-in service. It may be down for a moment: "
            "try again in a few minutes.",
            name=oidc.organization(settings),
        )
    )


def _metadata(settings: SsoSettings) -> Mapping[str, Any]:
    """The provider's discovery document (fetched once per process); it must name the
    configured issuer."""
    try:
        metadata: Mapping[str, Any] = oidc.client(current_app).load_server_metadata()
    except (requests.RequestException, ValueError) as exc:
        raise SignInFailed(
            "provider_unreachable",
            _unreachable(settings),
            503,
            detail=type(exc).__name__,
        ) from None
    if str(metadata.get("issuer", "")).rstrip("/") != settings.issuer.rstrip("/"):
        raise SignInFailed(
            "issuer_mismatch",
            _(
                "%(name)s's sign-in service is not configured as cocourse expects. "
                "Tell your administrator.",
                name=oidc.organization(settings),
            ),
            detail=str(metadata.get("issuer"))[:200],
        )
    return metadata


def _login_limit() -> str:
    # Signing in with the provider counts against the same per-address limit as passwords.
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def _throttled(_limit: Any) -> None:
    security_log.event("login_throttled", level=logging.WARNING, endpoint=request.endpoint)


def _redirect_uri() -> str:
    public = current_app.config.get("PUBLIC_URL")
    if public:
        return str(public).rstrip("/") + url_for("sso.callback")
    return url_for("sso.callback", _external=True)


@bp.get("/login/sso")
@limited(_login_limit, on_breach=_throttled)
def start() -> Response | Page:
    """Send the person to the identity provider, with a new state, nonce and PKCE
    challenge kept in their session. (A GET, so that it is a link: it only starts a
    login, and the callback checks it was this browser that started it.)"""
    target = request.args.get("next")
    if current_user.is_authenticated:
        return redirect_to_next(target, url_for("learning.catalog"))
    settings = _settings()
    try:
        _metadata(settings)
        response: Response = oidc.client(current_app).authorize_redirect(
            _redirect_uri(), nonce=secrets.token_urlsafe(32)
        )
    except SignInFailed as error:
        return _failed(error)
    session[NEXT_KEY] = target if is_safe_next(target) else None
    return response


@bp.get("/login/sso/callback")
@limited(_login_limit, on_breach=_throttled)
def callback() -> Response | Page:
    """The provider's answer: check it, sign the person in, and go where they wanted."""
    settings = _settings()
    try:
        claims = _verified_claims(settings)
        result = services.sign_in(get_session(), claims, settings)
    except SignInFailed as error:
        return _failed(error)
    except services.SignInRefused as refused:
        email = claims.get("email")
        fields = security_log.email_fields(email) if isinstance(email, str) else {}
        return _failed(SignInFailed(refused.reason, str(refused), 403, **fields))
    user = result.user
    target = session.get(NEXT_KEY)
    browser.log_in(user, False, request.remote_addr or "", request.user_agent.string)
    security_log.event("login", user_id=user.id, method="oidc", account_created=result.created)
    if result.old_role is not None:
        security_log.event(
            "role_changed",
            user_id=user.id,
            target_user_id=user.id,
            old_role=result.old_role,
            new_role=user.role,
            source="oidc",
            sessions_ended=True,
        )
    return redirect_to_next(target, url_for("learning.catalog"))


def _verified_claims(settings: SsoSettings) -> dict[str, Any]:
    """The ID token's claims (and the userinfo endpoint's, for the same subject), after
    Authlib has checked state, exchanged the code with the PKCE verifier and validated the
    ID token; raises SignInFailed."""
    metadata = _metadata(settings)
    issued_by = request.args.get("iss")
    if issued_by is not None and issued_by != metadata.get("issuer"):
        raise SignInFailed("issuer_mismatch", _retry(), 400, detail=issued_by[:200])
    app_client = oidc.client(current_app)
    try:
        token = app_client.authorize_access_token()
        claims = dict(token.get("userinfo") or {})
        if not claims.get("sub"):
            raise SignInFailed("id_token_missing", _retry())
        if metadata.get("userinfo_endpoint"):
            extra = app_client.userinfo(token=token)
            if extra.get("sub") != claims["sub"]:
                raise SignInFailed("userinfo_mismatch", _retry())
            claims.update({k: v for k, v in extra.items() if k not in _ID_TOKEN_ONLY})
    except MismatchingStateError:
        raise SignInFailed("state_mismatch", _expired(), 400) from None
    except OAuthError as exc:
        raise _provider_error(settings, exc) from None
    except requests.RequestException as exc:
        raise SignInFailed(
            "provider_unreachable",
            _unreachable(settings),
            503,
            detail=type(exc).__name__,
        ) from None
    except (JoseError, AuthlibBaseError, ValueError) as exc:
        raise SignInFailed("id_token_invalid", _retry(), detail=_describe(exc)) from None
    return claims


# Claims that only the ID token may set (the userinfo response cannot replace them).
_ID_TOKEN_ONLY = frozenset({"iss", "sub", "aud", "exp", "iat", "nonce", "azp", "auth_time"})


def _retry() -> str:
    return str(_("Signing in did not work. Go back to the login page and try again."))


def _expired() -> str:
    return str(
        _(
            "This sign-in link is not one this browser started, or it has already been used. "
            "Go back to the login page and start again."
        )
    )


def _provider_error(settings: SsoSettings, exc: OAuthError) -> SignInFailed:
    """An error answer of the provider, at the redirect or at the token endpoint."""
    error = str(getattr(exc, "error", "") or "oauth_error")[:100]
    if error == "access_denied":
        message = _(
            "Signing in with %(name)s was cancelled or refused.", name=oidc.organization(settings)
        )
    else:
        message = _(
            "%(name)s's sign-in service refused the sign-in. "
            "Signing in did not work. Go back to the login page and try again.",
            name=oidc.organization(settings),
        )
    return SignInFailed(
        "provider_error",
        message,
        400 if error == "access_denied" else 502,
        error=error,
        detail=str(getattr(exc, "description", "") or "")[:200],
    )


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


# Pages that give a password and log in with it: with password login off they are refused
# for everyone (break-glass admins log in at /login?password=1; to reset their password,
# password login is turned back on for the moment).
PASSWORD_PAGES = frozenset(
    {
        "accounts.register",
        "accounts_recovery.forgot",
        "accounts_recovery.reset",
        "accounts_recovery.accept",
    }
)


@bp.before_app_request
def _password_login_policy() -> Page | None:
    """With password login off, refuse password log-ins (but for break-glass admins), and
    sign-ups, password resets and invitations, before they are looked at."""
    settings = oidc.settings_of(current_app)
    if settings is None or settings.password_login:
        return None
    if request.endpoint in PASSWORD_PAGES or (
        request.endpoint == "accounts.login" and request.method == "POST"
    ):
        email = str(request.form.get("email") or "")
        if request.endpoint == "accounts.login" and services.may_use_password(
            get_session(), email, settings
        ):
            return None
        security_log.event(
            "login_refused",
            level=logging.WARNING,
            reason="password_login_off",
            endpoint=request.endpoint,
            **(security_log.email_fields(email) if email else {}),
        )
        page = render_template(
            "sso/password_off.html",
            settings=settings,
            name=oidc.organization(settings),
            next=None,
        )
        return page, 403
    return None


def login_page_variables(settings: SsoSettings) -> dict[str, Any]:
    """For the login page: whether to show the password form (with password login off,
    only at /login?password=1, the break-glass admins' address, and again after a failed
    attempt of theirs: other emails never get past `_password_login_policy`)."""
    shown = request.args.get("password") == "1" or request.method == "POST"
    return {"password_form": settings.password_login or shown}
