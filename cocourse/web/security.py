"""Security headers and same-site redirect targets."""

from __future__ import annotations

from typing import TypeGuard
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, redirect, request, session
from werkzeug.wrappers import Response as WerkzeugResponse

from cocourse.web.security_log import loaded_user_id

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def is_safe_next(target: str | None) -> TypeGuard[str]:
    """True for same-site paths like /modules/x; false for //host, /\\host, schemes, junk."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ord(c) < 32 or c == "\\" for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def redirect_to_next(target: str | None, default: str) -> WerkzeugResponse:
    """A redirect to `target` when it is a same-site path (`is_safe_next`), else `default`."""
    return redirect(target if is_safe_next(target) else default)


def _headers(response: Response) -> Response:
    """Add the security headers every response carries."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    hsts = current_app.config["HSTS_MAX_AGE"]
    if current_app.config["PRODUCTION"] and hsts:
        response.headers["Strict-Transport-Security"] = f"max-age={int(hsts)}"
    if _signed_in():
        # Pages for a signed-in person are theirs alone: no browser or proxy keeps them.
        # Shared assets that a view marked cacheable (course files, code CSS) keep max-age.
        if "max-age" not in (response.headers.get("Cache-Control") or ""):
            response.headers["Cache-Control"] = "no-store"
        response.vary.add("Cookie")
    return response


def _signed_in() -> bool:
    """Whether this request came from a signed-in person (the site's own static files are
    the same for everyone). Read from the session and from whoever the request already
    loaded, never by loading the person: a page answered without the database (503) must
    not need it here."""
    if request.endpoint == "static":
        return False
    return "_user_id" in session or loaded_user_id() is not None


def init_app(app: Flask) -> None:
    """Install the response headers."""
    app.after_request(_headers)
