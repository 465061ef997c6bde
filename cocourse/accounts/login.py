"""Logging in and out for the current browser: the signed Flask session, the login session
row it names, and the remember-me cookie. Called by the accounts views and by the login
loaders in `cocourse.extensions`; the callers pass in what they read from the request.

Every login starts from an empty Flask session (a new CSRF secret; nothing planted before
the login survives but a join link's code waiting for the login, `web.pending_join`).
Deactivated accounts are never logged in. Flask-Login's own remember-me cookie is never
set: ours is random, stored hashed, rotated on every use and limited to REMEMBER_DAYS.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app, g, session
from flask_login import login_user, logout_user
from werkzeug.wrappers import Response

from cocourse.accounts import sessions
from cocourse.db import get_session
from cocourse.models import User
from cocourse.web import i18n, pending_join, security_log

REMEMBER_COOKIE = "cocourse_remember"
_SET = "cocourse_remember_set"
_CLEAR = "cocourse_remember_clear"


def _lifetime() -> timedelta:
    return timedelta(hours=float(current_app.config["SESSION_HOURS"]))


def _start(user: User, address: str, user_agent: str, family: str | None, fresh: bool) -> bool:
    if not user.is_active:  # deactivated: no login session is started
        return False
    kept = pending_join.carried()  # a join link opened before logging in
    if chosen := i18n.known(session.get(i18n.SESSION_KEY)):
        kept[i18n.SESSION_KEY] = chosen  # the language picked before logging in
    session.clear()
    session.update(kept)
    session[sessions.SESSION_KEY] = sessions.start_session(
        get_session(), user.id, _lifetime(), address, user_agent, family
    )
    login_user(user, remember=False, fresh=fresh)
    return True


def log_in(user: User, remember: bool, address: str, user_agent: str) -> bool:
    """Log `user` in on this browser, in a new Flask session; with `remember`, also give it
    a remember-me cookie. False (and nothing done) for a deactivated account."""
    if not _start(user, address, user_agent, None, fresh=True):
        return False
    if remember:
        days = timedelta(days=float(current_app.config["REMEMBER_DAYS"]))
        setattr(g, _SET, sessions.issue_remember(get_session(), user.id, days))
        g.pop(_CLEAR, None)
    else:
        forget_cookie()
    return True


def log_in_remembered(token: str, address: str, user_agent: str) -> User | None:
    """Log in with a remember-me cookie's token, replacing it with a new one; None if it is
    not good (the cookie is then removed)."""
    result = sessions.use_remember(get_session(), token)
    if result.user is None or result.expires_at is None:
        if result.reused:
            security_log.event(
                "remember_token_reuse",
                level=logging.WARNING,
                user_id=result.user_id,
                family_ended=True,
            )
        if result.user_id is None or result.reused:
            g.setdefault(_CLEAR, True)
        return None
    if not _start(result.user, address, user_agent, result.family, fresh=False):
        g.setdefault(_CLEAR, True)
        return None
    setattr(g, _SET, (result.token, result.expires_at))
    security_log.event("login", user_id=result.user.id, method="remember")
    return result.user


def log_out(remember_token: str | None) -> None:
    """End this browser's login session and remember-me family, and empty its session."""
    token = session.get(sessions.SESSION_KEY)
    if isinstance(token, str) and token:
        sessions.end_session(get_session(), token)
    if remember_token:
        sessions.forget(get_session(), remember_token)
    forget_cookie()
    logout_user()
    session.clear()


def forget_cookie() -> None:
    """Remove the remember-me cookie from this browser with the response."""
    g.pop(_SET, None)
    g.setdefault(_CLEAR, True)


def set_cookies(response: Response) -> Response:
    """Add the remember-me cookie changes of this request to its response."""
    config = current_app.config
    issued: tuple[str, datetime] | None = g.get(_SET)
    options = {
        "httponly": bool(config["REMEMBER_COOKIE_HTTPONLY"]),
        "samesite": config["REMEMBER_COOKIE_SAMESITE"],
        "secure": bool(config["REMEMBER_COOKIE_SECURE"]),
        "path": "/",
    }
    if issued is not None:
        token, expires_at = issued
        response.set_cookie(REMEMBER_COOKIE, token, expires=expires_at, **options)
    elif g.get(_CLEAR):
        response.delete_cookie(REMEMBER_COOKIE, **options)
    return response
