"""Learning as a built-in plugin: Markdown extensions, catalog, lessons, progress, activity."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import url_for

from cocourse.content.markdown import standard_extensions
from cocourse.hookspecs import hookimpl


@hookimpl(tryfirst=True)
def configure_markdown(md: Any) -> None:
    """Tables, callouts, footnotes, heading anchors and code highlighting."""
    standard_extensions(md)


@hookimpl
def register_blueprints(app: Any) -> Any:
    """Catalog, module and lesson pages, the dashboard and the activity log."""
    from cocourse.learning.views import bp

    return [bp]


@hookimpl
def register_template_folders(app: Any) -> Any:
    """learning/*.html."""
    return [Path(__file__).parent / "templates"]


@hookimpl
def register_menu_links(app: Any, user: Any) -> Any:
    """My progress, for everyone logged in."""
    if user.is_authenticated:
        return [{"label": "My progress", "href": url_for("learning.dashboard"), "weight": 10}]
    return []
