"""Single sign-on as a built-in plugin: nothing of it shows until an issuer is configured."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app, render_template, url_for
from markupsafe import Markup

from cocourse.hookspecs import hookimpl
from cocourse.sso import client as oidc
from cocourse.sso.settings import DEFAULTS
from cocourse.web.security import is_safe_next


@hookimpl
def register_settings() -> Any:
    """Issuer, client, scopes, role mapping and the password-login policy."""
    return {oidc.NAME: dict(DEFAULTS)}


@hookimpl
def register_blueprints(app: Any) -> Any:
    """The sign-in routes, when an issuer is configured."""
    if oidc.init_app(app) is None:
        return []
    from cocourse.sso.views import bp

    return [bp]


@hookimpl
def register_template_folders(app: Any) -> Any:
    """sso/*.html."""
    return [Path(__file__).parent / "templates"]


@hookimpl
def register_template_variables(app: Any, template: str | None, user: Any) -> Any:
    """On the login page: whether the password form shows."""
    settings = oidc.settings_of(app)
    if settings is None or template != "accounts/login.html":
        return {}
    from cocourse.sso.views import login_page_variables

    return login_page_variables(settings)


@hookimpl
def page_panels(slot: str, user: Any, context: Any) -> Any:
    """The "Sign in with <organization>" button on the login page."""
    settings = oidc.settings_of(current_app)
    if settings is None or slot != "login":
        return None
    target = context.get("next")
    href = url_for("sso.start", next=target) if is_safe_next(target) else url_for("sso.start")
    # The template is autoescaped: what it renders is safe HTML.
    page = render_template(
        "sso/button.html", settings=settings, name=oidc.organization(settings), href=href
    )
    return Markup(page)  # noqa: S704
