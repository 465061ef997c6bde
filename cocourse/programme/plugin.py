"""The sponsor's programme page as a built-in plugin: the four steps of the change
programme month by month, for admins and sponsors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import url_for
from flask_babel import gettext as _

from cocourse.hookspecs import hookimpl
from cocourse.models import Role

SETTINGS: dict[str, Any] = {"consultants": []}
VIEWERS = frozenset({Role.ADMIN.value, Role.SPONSOR.value})


@hookimpl
def register_settings() -> Any:
    """`consultants`: email addresses of external consultants, so the page can tell the
    workshops run without one."""
    return {"programme": {"consultants": list(SETTINGS["consultants"])}}


@hookimpl
def register_blueprints(app: Any) -> Any:
    """/programme and /programme.csv."""
    from cocourse.programme.views import bp

    return [bp]


@hookimpl
def register_template_folders(app: Any) -> Any:
    """programme/*.html."""
    return [Path(__file__).parent / "templates"]


@hookimpl
def register_menu_links(app: Any, user: Any) -> Any:
    """Programme, for admins and sponsors."""
    if user.is_authenticated and user.role in VIEWERS:
        return [{"label": _("Programme"), "href": url_for("programme.overview"), "weight": 35}]
    return []
