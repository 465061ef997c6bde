"""Forms every feature uses: a bare CSRF-protected button, and input filters."""

from __future__ import annotations

from flask_wtf import FlaskForm


def strip_filter(value: str | None) -> str | None:
    """People paste emails with spaces around them."""
    return value.strip() if isinstance(value, str) else value


class ActionForm(FlaskForm):
    """A button that changes state (mark complete, log out): only the CSRF token."""
