"""The sso feature's settings, read from `PLUGIN_SETTINGS["sso"]` and checked at startup."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cocourse.models import Role

# What an installation may set, with the defaults; with no issuer, SSO is off.
DEFAULTS: dict[str, Any] = {
    "issuer": "",
    "client_id": "",
    "client_secret": "",
    "scopes": "openid email profile",
    "name": "",
    "roles_claim": "",
    "roles": {},
    "password_login": True,
    "break_glass": [],
    "timeout_seconds": 10,
}


class SettingsError(ValueError):
    """The sso settings cannot work; the message says which and why."""


@dataclass(frozen=True)
class SsoSettings:
    """The checked settings of one app."""

    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    name: str
    roles_claim: str
    roles: Mapping[str, Role]
    password_login: bool
    break_glass: frozenset[str]
    timeout_seconds: float

    @property
    def metadata_url(self) -> str:
        """Where the provider publishes its configuration (OpenID Connect Discovery)."""
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


def parse(values: Mapping[str, Any]) -> SsoSettings | None:
    """The settings, or None when no issuer is set (SSO off); raises SettingsError."""
    issuer = str(values.get("issuer") or "").strip()
    if not issuer:
        return None
    if not issuer.startswith(("https://", "http://")):
        raise SettingsError(f"sso issuer must be an http(s) URL, not {issuer!r}")
    client_id = str(values.get("client_id") or "").strip()
    if not client_id:
        raise SettingsError("sso needs a client_id when an issuer is set")
    scopes = str(values.get("scopes") or "").split()
    if "openid" not in scopes:
        raise SettingsError("sso scopes must include 'openid'")
    return SsoSettings(
        issuer=issuer,
        client_id=client_id,
        client_secret=str(values.get("client_secret") or ""),
        scopes=" ".join(scopes),
        # Empty: the pages say "your organization" in the reader's language.
        name=str(values.get("name") or "").strip(),
        roles_claim=str(values.get("roles_claim") or "").strip(),
        roles=_roles(values.get("roles") or {}),
        password_login=_flag(values.get("password_login", True)),
        break_glass=_emails(values.get("break_glass") or []),
        timeout_seconds=float(values.get("timeout_seconds") or 10),
    )


def _roles(mapping: Any) -> dict[str, Role]:
    if not isinstance(mapping, Mapping):
        raise SettingsError("sso roles must map claim values to roles")
    known = {role.value: role for role in Role}
    roles: dict[str, Role] = {}
    for value, role in mapping.items():
        if role not in known:
            raise SettingsError(
                f"sso roles: {value!r} maps to {role!r}; use one of {', '.join(known)}"
            )
        roles[str(value)] = known[role]
    return roles


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("0", "false", "no", "off", "")
    return bool(value)


def _emails(value: Any) -> frozenset[str]:
    items = value.split(",") if isinstance(value, str) else list(value)
    return frozenset(str(item).strip().lower() for item in items if str(item).strip())
