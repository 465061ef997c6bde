"""The record store an app forwards to, read from its plugin settings."""

from __future__ import annotations

from typing import Any

from cocourse.lrs.forwarding import Store
from cocourse.plugins import plugin_settings

NAME = "lrs"
DEFAULTS: dict[str, Any] = {
    "endpoint": "",  # the xAPI endpoint, such as https://lrs.example.org/xAPI/
    "username": "",  # HTTP basic authentication, if the store asks for it
    "password": "",
    "batch_size": 100,  # statements per request
    "timeout_seconds": 20,
}


def store_of(app: Any) -> Store | None:
    """The configured store; None when no endpoint is set (forwarding is off)."""
    settings = plugin_settings(app, NAME)
    endpoint = str(settings["endpoint"] or "")
    if not endpoint:
        return None
    return Store(
        endpoint=endpoint if endpoint.endswith("/") else endpoint + "/",
        username=str(settings["username"] or ""),
        password=str(settings["password"] or ""),
        timeout=float(settings["timeout_seconds"]),
    )


def batch_size_of(app: Any) -> int:
    return max(1, int(plugin_settings(app, NAME)["batch_size"]))
