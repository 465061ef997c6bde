"""The built-in features, wired in through the same hooks a third-party plugin uses."""

from __future__ import annotations

from typing import Any

from .content.markdown import standard_extensions
from .hookspecs import hookimpl


@hookimpl(tryfirst=True)
def configure_markdown(md: Any) -> None:
    """Tables, callouts, footnotes, heading anchors and code highlighting."""
    standard_extensions(md)


@hookimpl
def register_blueprints() -> Any:
    """The accounts, learning and admin pages."""
    from . import admin, auth, learn

    return [auth.bp, learn.bp, admin.bp]
