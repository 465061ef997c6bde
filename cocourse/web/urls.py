"""Absolute URLs for what leaves the site (emails, exports)."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, request, url_for


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute URL, on PUBLIC_URL when it is set (so it does not depend on the host a
    request came in on)."""
    public = current_app.config.get("PUBLIC_URL")
    if public:
        return str(public).rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def external_path(path: str) -> str:
    """An absolute URL for a path on this site, on PUBLIC_URL when it is set (outside a
    request without PUBLIC_URL, such as a command line tool's, on http://localhost)."""
    public = current_app.config.get("PUBLIC_URL")
    if public:
        root = str(public)
    else:
        root = request.host_url if has_request_context() else "http://localhost"
    root = root.rstrip("/")
    return root + "/" + path.lstrip("/")
