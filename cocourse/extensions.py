"""Flask extension objects, created once and bound to each app in create_app."""

from __future__ import annotations

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to open that page."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


# What is rate-limited: the account pages and the public certificate lookups.
LIMITED_ENDPOINTS = frozenset({"certificates.verify", "certificates.badge_assertion"})


@limiter.request_filter
def _not_limited() -> bool:
    """Other requests skip the limiter's work."""
    return request.blueprint != "auth" and request.endpoint not in LIMITED_ENDPOINTS


def submitted_email() -> str:
    """Rate-limit key for login attempts against one account, from any address."""
    return "email:" + (request.form.get("email") or "").strip().lower()


@login_manager.user_loader
def load_user(user_id: str) -> object | None:
    """The logged-in person, looked up by the id in the session cookie."""
    from .accounts import get_user
    from .db import get_session

    return get_user(get_session(), user_id)
