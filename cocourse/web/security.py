"""Security headers and same-site redirect targets."""

from __future__ import annotations

from typing import TypeGuard
from urllib.parse import urlsplit

from flask import Flask, Response

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def is_safe_next(target: str | None) -> TypeGuard[str]:
    """True for same-site paths like /modules/x; false for //host, /\\host, schemes, junk."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ord(c) < 32 or c == "\\" for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def _headers(response: Response) -> Response:
    """Add the security headers every response carries."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    return response


def init_app(app: Flask) -> None:
    """Install the response headers."""
    app.after_request(_headers)
