"""Flask extension objects, created once and bound to each app in create_app."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = "Please log in to open that page."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


def limited(limit_value: Any, **options: Any) -> Callable[[Any], Any]:
    """`limiter.limit`, plus a mark on the view so that the request filter below lets its
    requests through to the limiter."""

    def decorate(view: Any) -> Any:
        wrapped = limiter.limit(limit_value, **options)(view)
        wrapped.rate_limited = True
        return wrapped

    return decorate


@limiter.request_filter
def _not_limited() -> bool:
    """Requests to views without a limit skip the limiter's work."""
    view = current_app.view_functions.get(request.endpoint or "")
    return not getattr(view, "rate_limited", False)


def submitted_email() -> str:
    """Rate-limit key for login attempts against one account, from any address."""
    return "email:" + (request.form.get("email") or "").strip().lower()


# Flask-Login is untyped; the loader keeps its signature.
@login_manager.user_loader  # type: ignore[untyped-decorator]
def load_user(user_id: str) -> object | None:
    """The logged-in person, looked up by the id in the session cookie."""
    from cocourse.accounts.services import get_user
    from cocourse.db import get_session

    return get_user(get_session(), user_id)
