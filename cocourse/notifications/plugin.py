"""Notifications as a built-in plugin: the list, the unread count in the menu, and the
email settings on the account page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup

from cocourse.hookspecs import hookimpl


@hookimpl
def register_blueprints(app: Any) -> Any:
    """/notifications and /account/notifications."""
    from cocourse.notifications.views import bp

    return [bp]


@hookimpl
def register_template_folders(app: Any) -> Any:
    """notifications/*.html (and the notification email, mail/notification.*)."""
    return [Path(__file__).parent / "templates"]


@hookimpl
def register_menu_links(app: Any, user: Any) -> Any:
    """Notifications, with the unread count, for everyone logged in."""
    if not user.is_authenticated:
        return []
    from cocourse.db import get_session
    from cocourse.notifications.services import unread_count

    unread = unread_count(get_session(), user.id)
    link = {"label": _("Notifications"), "href": url_for("notifications.inbox"), "weight": 5}
    if unread:
        link["badge"] = str(unread)
        link["badge_label"] = ngettext("%(num)d unread", "%(num)d unread", unread)
    return [link]


@hookimpl
def page_panels(slot: str, user: Any, context: Any) -> Any:
    """A link to the email settings on the account page."""
    if slot == "account" and user.is_authenticated:
        html = render_template("notifications/_account_panel.html")
        return Markup(html)  # noqa: S704 (autoescaped template output)
    return None
