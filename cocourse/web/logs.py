"""JSON logs: with `LOG_FORMAT = "json"`, every line the app logs is one JSON object with
the request's id, and every request adds a line of its own (`cocourse.request`).

The request line says what a log collector needs to follow one person's trouble across
nginx, the app and the security log: method, path (never the query string, which may hold
a token), endpoint, status, time taken and the person's id. The default, `"text"`, leaves
logging to the server's configuration as before.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, request

from cocourse.config import ConfigError
from cocourse.web.page_cache import OBSERVERS, Hit
from cocourse.web.request_id import request_id
from cocourse.web.security_log import loaded_user_id

FORMATS = ("text", "json")
request_log = logging.getLogger("cocourse.request")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, request_id, and the record's `fields`
    (see `security_log`) or its message."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        else:
            entry["message"] = record.getMessage()
        entry.setdefault("request_id", request_id())
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, separators=(",", ":"))


def _install_handler() -> None:
    """JSON lines on standard error for the `cocourse` loggers, once per process."""
    root = logging.getLogger("cocourse")
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    root.propagate = False


def _start() -> None:
    g.log_started = time.perf_counter()


def _line(
    method: str,
    path: str,
    endpoint: str | None,
    status: int,
    seconds: float,
    user_id: int | None,
    **more: Any,
) -> None:
    fields = {
        "event": "request",
        "method": method,
        "path": path,
        "endpoint": endpoint,
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
        "user_id": user_id,
        **more,
    }
    request_log.info("%(method)s %(path)s %(status)s", fields, extra={"fields": fields})


def _request_line(response: Response) -> Response:
    started = g.pop("log_started", None)
    if started is not None:
        seconds, status = time.perf_counter() - started, response.status_code
        _line(request.method, request.path, request.endpoint, status, seconds, loaded_user_id())
    return response


def _cached_line(hit: Hit) -> None:
    """The request line of a page sent from the page cache (no Flask request exists)."""
    _line(
        "GET",
        hit.path,
        hit.endpoint,
        hit.status,
        hit.seconds,
        hit.user_id,
        request_id=hit.request_id,
        cached=True,
    )


def init_app(app: Flask) -> None:
    """Check LOG_FORMAT; in JSON mode, install the formatter and the request lines."""
    chosen = str(app.config.get("LOG_FORMAT") or "text")
    if chosen not in FORMATS:
        raise ConfigError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {chosen!r}.")
    if chosen == "json":
        _install_handler()
        app.before_request(_start)
        app.after_request(_request_line)
        app.extensions.setdefault(OBSERVERS, []).append(_cached_line)
