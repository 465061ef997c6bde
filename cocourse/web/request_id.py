"""A random id for every request, sent back as `X-Request-Id` and written in the security log,
so that a person's report ("it said 403 at 10:02") can be matched with the log lines."""

from __future__ import annotations

import secrets

from flask import Flask, Response, g, has_request_context

HEADER = "X-Request-Id"


def request_id() -> str:
    """The current request's id (made on first use); "-" outside a request."""
    if not has_request_context():
        return "-"
    if "request_id" not in g:
        g.request_id = secrets.token_hex(8)
    return str(g.request_id)


def _start() -> None:
    request_id()


def _send(response: Response) -> Response:
    response.headers[HEADER] = request_id()
    return response


def init_app(app: Flask) -> None:
    """Give every request an id and send it back."""
    app.before_request(_start)
    app.after_request(_send)
