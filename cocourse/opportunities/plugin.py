"""The opportunity board as a built-in plugin: step 1 of the programme, where anyone
proposes a situation for co-creation, others support and discuss it, and facilitators
triage it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import url_for

from cocourse.hookspecs import hookimpl


@hookimpl
def register_blueprints(app: Any) -> Any:
    """The board, an opportunity's page, and the forms that change it."""
    from cocourse.opportunities.views import bp

    return [bp]


@hookimpl
def register_template_folders(app: Any) -> Any:
    """opportunities/*.html."""
    return [Path(__file__).parent / "templates"]


@hookimpl
def register_menu_links(app: Any, user: Any) -> Any:
    """Opportunities, for everyone logged in."""
    if not user.is_authenticated:
        return []
    return [{"label": "Opportunities", "href": url_for("opportunities.board"), "weight": 15}]
