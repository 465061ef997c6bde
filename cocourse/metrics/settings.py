"""The metrics feature's settings: off until a scrape token is set."""

from __future__ import annotations

from typing import Any

from cocourse.plugins import plugin_settings

NAME = "metrics"
DEFAULTS: dict[str, Any] = {
    "token": "",  # the bearer token a scraper sends; empty: no /metrics and nothing measured
}


def token_of(app: Any) -> str:
    """The scrape token; empty when metrics are off."""
    return str(plugin_settings(app, NAME)["token"] or "")
