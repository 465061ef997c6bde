"""Reports as a built-in plugin: module funnels, quiz item analysis, cohort progress."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import url_for
from flask_babel import gettext as _

from cocourse.hookspecs import hookimpl


@hookimpl
def register_blueprints(app: Any) -> Any:
    """The report pages and their CSVs."""
    from cocourse.reports.views import bp

    return [bp]


@hookimpl
def register_commands(cli: Any) -> None:
    """refresh-reports."""
    from cocourse.reports import commands

    commands.register(cli)


@hookimpl
def register_template_folders(app: Any) -> Any:
    """reports/*.html."""
    return [Path(__file__).parent / "templates"]


@hookimpl
def register_menu_links(app: Any, user: Any) -> Any:
    """Reports, for assessors and admins."""
    if user.is_authenticated and user.can_bypass_locks:
        return [{"label": _("Reports"), "href": url_for("reports.module_list"), "weight": 32}]
    return []
