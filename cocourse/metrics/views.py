"""/metrics for a Prometheus scraper, and the timing of every request.

The endpoint answers only a request carrying `Authorization: Bearer <token>`; anyone else
gets 401, so the figures (which name every endpoint) stay with the operators.
"""

from __future__ import annotations

import hmac
import time

from flask import Blueprint, Response, current_app, g, request
from flask.blueprints import BlueprintSetupState
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from cocourse.metrics.registry import PAGES_FROM_CACHE, REQUEST_SECONDS, RESPONSES, scrape_registry
from cocourse.metrics.settings import token_of
from cocourse.metrics.waiting import depths
from cocourse.web.page_cache import OBSERVERS, Hit

bp = Blueprint("metrics", __name__)


@bp.before_app_request
def _start() -> None:
    g.metrics_started = time.perf_counter()


@bp.after_app_request
def _measure(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    if started is not None:
        endpoint = request.endpoint or "none"  # "none": no route matched (404)
        _count(endpoint, request.method, response.status_code, time.perf_counter() - started)
    return response


def _count(endpoint: str, method: str, status: int, seconds: float) -> None:
    REQUEST_SECONDS.labels(endpoint, method).observe(seconds)
    RESPONSES.labels(endpoint, method, str(status)).inc()


def _cached(hit: Hit) -> None:
    """A page the page cache sent: timed and counted like the others, and counted as a hit."""
    _count(hit.endpoint, "GET", hit.status, hit.seconds)
    PAGES_FROM_CACHE.labels(hit.endpoint).inc()


@bp.record_once
def _observe_the_cache(state: BlueprintSetupState) -> None:
    state.app.extensions.setdefault(OBSERVERS, []).append(_cached)


@bp.get("/metrics")
def scrape() -> Response:
    """The metrics in Prometheus's text format."""
    sent = request.headers.get("Authorization", "")
    expected = f"Bearer {token_of(current_app)}"
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        return Response(
            "A bearer token is needed.\n",
            401,
            {"WWW-Authenticate": 'Bearer realm="metrics"', "Content-Type": "text/plain"},
        )
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    body = generate_latest(scrape_registry(lambda: depths(app)))
    return Response(body, 200, {"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"})
