"""Flask extension objects, created once and bound to each app in create_app."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

from cocourse.content.words import _, say

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
login_manager = LoginManager()
login_manager.login_view = "accounts.login"
# Flashed when a page needs a login: said in the visitor's language when it is flashed.
login_manager.login_message = _("Please log in to open that page.")
login_manager.localize_callback = say
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


def limited(limit_value: Any, scope: str | None = None, **options: Any) -> Callable[[Any], Any]:
    """`limiter.limit` (`limiter.shared_limit` with a `scope`: views with the same scope
    count together), plus a mark on the view so that the request filter below lets its
    requests through to the limiter."""

    def decorate(view: Any) -> Any:
        if scope is not None:
            wrapped = limiter.shared_limit(limit_value, scope, **options)(view)
        else:
            wrapped = limiter.limit(limit_value, **options)(view)
        wrapped.rate_limited = True
        return wrapped

    return decorate


@limiter.request_filter
def _not_limited() -> bool:
    """Requests to views without a limit skip the limiter's work."""
    view = current_app.view_functions.get(request.endpoint or "")
    return not getattr(view, "rate_limited", False)


# Flask-Login is untyped; the loaders keep its signatures.
@login_manager.user_loader  # type: ignore[untyped-decorator]
def load_user(user_id: str) -> object | None:
    """The logged-in person: the id in the session cookie, accepted only while the login
    session named by the cookie's token is live (one primary-key query)."""
    from cocourse.accounts import sessions
    from cocourse.db import get_session

    token = session.get(sessions.SESSION_KEY)
    if not isinstance(token, str) or not token:
        return None
    return sessions.load_user(get_session(), token, user_id)


@login_manager.request_loader  # type: ignore[untyped-decorator]
def load_remembered_user(_request: object) -> object | None:
    """No live login session: log in with the remember-me cookie, if there is a good one."""
    from cocourse.accounts.login import REMEMBER_COOKIE, log_in_remembered

    token = request.cookies.get(REMEMBER_COOKIE)
    if not token:
        return None
    return log_in_remembered(token, request.remote_addr or "", request.user_agent.string)
