"""The studio as a built-in plugin: the content status page, for admins."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import url_for
from flask_babel import gettext as _

from cocourse.hookspecs import hookimpl


@hookimpl
def register_blueprints(app: Any) -> Any:
    """/studio: the course files, their editor and history, and the content status."""
    from cocourse.studio.views import bp

    return [bp]


@hookimpl
def register_template_folders(app: Any) -> Any:
    """studio/*.html."""
    return [Path(__file__).parent / "templates"]


@hookimpl
def register_menu_links(app: Any, user: Any) -> Any:
    """Content, for admins and authors."""
    if user.is_authenticated and user.can_edit_content:
        return [{"label": _("Content"), "href": url_for("studio.files"), "weight": 43}]
    return []
