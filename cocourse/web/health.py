"""Health and readiness for load balancers and orchestrators.

`/healthz` answers 200 while the process serves requests, and touches nothing else.
`/readyz` checks what a request needs: the database answers, a course is loaded, and Redis
answers where the settings use it (job queue or rate limits). It answers 503 when one
fails. The answer names each check, never an address or a password.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from flask import Flask, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

REDIS_TIMEOUT = 2.0  # seconds


def _database(app: Flask) -> str | None:
    """None when the database answers, else what went wrong (no address)."""
    try:
        with app.extensions["cocourse.engine"].connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        return f"the database does not answer ({type(cause).__name__})"
    return None


def _content(app: Flask) -> str | None:
    state = app.extensions.get("cocourse.course")
    if state is None or getattr(state, "course", None) is None:
        return "no course is loaded"
    return None


def redis_urls(app: Flask) -> list[str]:
    """The Redis servers the settings use."""
    found = [app.config.get("HUEY_REDIS_URL"), app.config.get("RATELIMIT_STORAGE_URI")]
    return [str(url) for url in found if url and str(url).startswith(("redis://", "rediss://"))]


def _redis(app: Flask) -> str | None:
    urls = redis_urls(app)
    if not urls:
        return None
    if importlib.util.find_spec("redis") is None:
        return "Redis is configured but its client is not installed (pip install redis)"
    import redis

    for url in urls:
        client = redis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
        )
        try:
            client.ping()
        except redis.RedisError as exc:
            return f"Redis does not answer ({type(exc).__name__})"
        finally:
            client.close()
    return None


def healthz() -> Response:
    """The process is up."""
    response = jsonify(status="ok")
    response.headers["Cache-Control"] = "no-store"
    return response


def readyz() -> tuple[Response, int]:
    """Ready to serve: database, course and, where used, Redis."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    checks: dict[str, Any] = {}
    failed = False
    for name, check in (("database", _database), ("content", _content), ("redis", _redis)):
        if name == "redis" and not redis_urls(app):
            checks[name] = "not used"
            continue
        problem = check(app)
        checks[name] = problem or "ok"
        failed = failed or problem is not None
    state = app.extensions.get("cocourse.course")
    if state is not None and checks["content"] == "ok":
        checks["content_version"] = state.version
    response = jsonify(status="not ready" if failed else "ready", checks=checks)
    response.headers["Cache-Control"] = "no-store"
    return response, 503 if failed else 200


def init_app(app: Flask) -> None:
    """Register the two endpoints on the app itself: they belong to no feature."""
    app.add_url_rule("/healthz", "healthz", healthz, methods=["GET"])
    app.add_url_rule("/readyz", "readyz", readyz, methods=["GET"])
