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


def site_root() -> str:
    """The site's address ending in `/`: PUBLIC_URL, else the current request's (logged as a
    warning, since ids built on it change when the site is reached by another address)."""
    public = current_app.config.get("PUBLIC_URL")
    if public:
        return str(public).rstrip("/") + "/"
    current_app.logger.warning(
        "PUBLIC_URL is not set: ids follow this request's address (%s), and change when the "
        "site is reached by another one",
        request.url_root,
    )
    return str(request.url_root)
