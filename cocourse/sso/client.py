"""The app's OpenID Connect client (Authlib's Flask integration), made once per app.

Authlib fetches the provider's discovery document and keys on first use (not at startup,
so a provider that is down does not stop cocourse from starting), keeps the pending
login's state, nonce and PKCE verifier in the signed session, and checks the ID token's
signature, issuer, audience, expiry and nonce.
"""

from __future__ import annotations

from typing import Any

from authlib.integrations.flask_client import OAuth
from flask import Flask
from flask_babel import gettext as _

from cocourse.plugins import plugin_settings
from cocourse.sso.settings import SsoSettings, parse

NAME = "sso"
_KEY = "cocourse.sso"
_CLIENT = "cocourse.sso.client"


def settings_of(app: Flask) -> SsoSettings | None:
    """The app's checked sso settings, or None when SSO is off."""
    return app.extensions.get(_KEY)


def organization(settings: SsoSettings) -> str:
    """The organization's name for people: the configured one, else "your organization"."""
    return settings.name or _("your organization")


def init_app(app: Flask) -> SsoSettings | None:
    """Check the settings and register the client; None (and nothing registered) when no
    issuer is set."""
    settings = parse(plugin_settings(app, NAME))
    app.extensions[_KEY] = settings
    if settings is None:
        return None
    app.extensions[_CLIENT] = OAuth(app).register(
        NAME,
        client_id=settings.client_id,
        client_secret=settings.client_secret or None,
        server_metadata_url=settings.metadata_url,
        client_kwargs={
            "scope": settings.scopes,
            "code_challenge_method": "S256",
            "default_timeout": settings.timeout_seconds,
        },
    )
    return settings


def client(app: Flask) -> Any:
    """The registered Authlib client of the app."""
    return app.extensions[_CLIENT]
