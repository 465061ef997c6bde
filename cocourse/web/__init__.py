"""What every blueprint shares: the current course, role checks, errors, headers, paging."""

from __future__ import annotations

from flask import Flask

from cocourse.web import (
    course,
    errors,
    health,
    i18n,
    logs,
    page_cache,
    request_id,
    security,
    static_files,
)


def init_app(app: Flask) -> None:
    """Install the template helpers, security headers and error pages."""
    request_id.init_app(app)
    i18n.init_app(app)
    logs.init_app(app)
    course.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    health.init_app(app)
    static_files.init_app(app)
    page_cache.init_app(app)  # last: in front of everything the app installs
