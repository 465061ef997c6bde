"""Accounts as a built-in plugin: sign-up, log-in, passwords, people and roles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import url_for
from flask_babel import gettext as _

from cocourse.hookspecs import hookimpl


@hookimpl
def register_blueprints(app: Any) -> Any:
    """Log in, sign up, change password; the People page; invitations and resets."""
    from cocourse.accounts.recovery import bp as recovery
    from cocourse.accounts.views import bp

    return [bp, recovery]


@hookimpl
def register_template_folders(app: Any) -> Any:
    """accounts/*.html."""
    return [Path(__file__).parent / "templates"]


@hookimpl
def register_menu_links(app: Any, user: Any) -> Any:
    """People, for admins."""
    if user.is_authenticated and user.is_admin:
        return [{"label": _("People"), "href": url_for("accounts.users"), "weight": 40}]
    return []
