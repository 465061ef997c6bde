"""An id for every request, sent back as `X-Request-Id` and written in the logs, so that a
person's report ("it said 403 at 10:02") can be matched with the log lines.

Behind a proxy (`PROXY_HOPS` > 0) the id the proxy sent in `X-Request-Id` is kept when it
looks like one (nginx's `$request_id`: the proxy must set the header, not pass on the
client's), so nginx's access log and the app's lines share it; otherwise the app makes one."""

from __future__ import annotations

import re
import secrets

from flask import Flask, Response, current_app, g, has_request_context, request

HEADER = "X-Request-Id"
FROM_PROXY = re.compile(r"[A-Za-z0-9._-]{8,64}")


def choose(sent: str, from_proxy: bool) -> str:
    """The id of a request that came with `sent` in its header: kept when a proxy we trust
    sent it and it looks like one, else a new one."""
    return sent if from_proxy and FROM_PROXY.fullmatch(sent) else secrets.token_hex(8)


def request_id() -> str:
    """The current request's id (made on first use); "-" outside a request."""
    if not has_request_context():
        return "-"
    if "request_id" not in g:
        from_proxy = current_app.config.get("PROXY_HOPS", 0) > 0
        g.request_id = choose(request.headers.get(HEADER, ""), from_proxy)
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
