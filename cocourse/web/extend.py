"""What plugins add to every page: template folders, menu links, panels, template variables."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask, before_render_template, current_app
from flask_login import current_user
from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader
from markupsafe import Markup, escape

from cocourse.web.course import course


def plugin_manager() -> Any:
    """The app's plugin manager (for views that fire events)."""
    return current_app.extensions["cocourse.plugins"]


def _hook() -> Any:
    return plugin_manager().hook


def _in_plugin_order(results: Iterable[Any]) -> list[Any]:
    """pluggy returns the last registered plugin's result first; pages list built-ins first."""
    return [result for result in reversed(list(results)) if result]


def menu_links() -> list[dict[str, Any]]:
    """The menu for the person viewing the page, lightest weight first."""
    links = [
        link
        for batch in _in_plugin_order(
            _hook().register_menu_links(app=current_app, user=current_user)
        )
        for link in batch
    ]
    return sorted(links, key=lambda link: link.get("weight", 50))


def panels(slot: str, **context: Any) -> list[Markup]:
    """The HTML that plugins put in one of a page's panel slots."""
    context.setdefault("course", course())
    found = _hook().page_panels(slot=slot, user=current_user, context=context)
    # A plain string is text, not HTML: only Markup passes unescaped.
    return [escape(html) for html in _in_plugin_order(found)]


def _add_template_variables(sender: Flask, template: Any, context: dict[str, Any]) -> None:
    """Before a template renders: add what plugins give for it; the view's own names win."""
    found = sender.extensions["cocourse.plugins"].hook.register_template_variables(
        app=sender, template=template.name, user=current_user
    )
    for extra in _in_plugin_order(found):
        for name, value in extra.items():
            context.setdefault(name, value)


def init_app(app: Flask, pm: Any) -> None:
    """Put plugin template folders in front of the app's own, and the helpers in templates."""
    folders = [
        str(folder)
        for batch in pm.hook.register_template_folders(app=app)
        for folder in batch or ()
    ]
    own: BaseLoader | None = app.jinja_loader
    loaders: list[BaseLoader] = [FileSystemLoader(folders)] if folders else []
    app.jinja_loader = ChoiceLoader([*loaders, *([own] if own else [])])
    app.add_template_global(menu_links)
    app.add_template_global(panels)
    app.extensions["cocourse.template_folders"] = folders  # their catalogs sit beside them
    if pm.hook.register_template_variables.get_hookimpls():
        before_render_template.connect(_add_template_variables, app)
