"""Posting events to a webhook: settings, payloads, signatures and a background sender.

Nothing here imports Flask or cocourse: `plugin.py` connects it to the app's events.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import json
import logging
import os
import queue
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from cocourse_webhook import __version__

log = logging.getLogger("cocourse_webhook")

# The events this plugin can post, in the order the README lists them.
EVENTS = ("quiz_graded", "lesson_completed", "module_completed", "certificate_issued")

# The settings and their defaults (declared to cocourse through `register_settings`).
DEFAULTS: dict[str, Any] = {
    "url": "",  # where to POST; empty: the plugin does nothing
    "secret": "",  # HMAC-SHA256 key for the signature header; empty: no signature
    "timeout": 5.0,  # seconds for each try (connect and each read)
    "retries": 3,  # tries after the first one, on connection errors, 408, 429 and 5xx
    "backoff": 1.0,  # seconds before the first retry, doubled for each further one
    "queue_size": 1000,  # events waiting to be sent; more are dropped with a warning
    "events": list(EVENTS),  # which events to post
}

MAX_BACKOFF = 60.0  # no wait between two tries is longer than this
RETRY_STATUSES = frozenset({408, 429})  # plus every 5xx
SIGNATURE_HEADER = "X-Cocourse-Signature-256"
EVENT_HEADER = "X-Cocourse-Event"
DELIVERY_HEADER = "X-Cocourse-Delivery"
USER_AGENT = f"cocourse-webhook/{__version__}"


class WebhookConfigError(ValueError):
    """PLUGIN_SETTINGS["webhook"] cannot work; the app refuses to start with this message."""


@dataclass(frozen=True)
class Settings:
    """Validated settings of one app."""

    url: str
    secret: str = ""
    timeout: float = 5.0
    retries: int = 3
    backoff: float = 1.0
    queue_size: int = 1000
    events: frozenset[str] = frozenset(EVENTS)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Settings | None:
        """Settings from `plugin_settings(app, "webhook")`; None when no URL is configured."""
        url = values.get("url") or ""
        if not isinstance(url, str):
            raise WebhookConfigError("webhook: 'url' must be a string")
        url = url.strip()
        if not url:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise WebhookConfigError(f"webhook: 'url' must be an http:// or https:// URL: {url!r}")
        secret = values.get("secret") or ""
        if not isinstance(secret, str):
            raise WebhookConfigError("webhook: 'secret' must be a string")
        return cls(
            url=url,
            secret=secret,
            timeout=_number(values, "timeout", minimum=0.001),
            retries=int(_number(values, "retries", minimum=0, whole=True)),
            backoff=_number(values, "backoff", minimum=0),
            queue_size=int(_number(values, "queue_size", minimum=1, whole=True)),
            events=_events(values.get("events", EVENTS)),
        )


def _number(values: Mapping[str, Any], name: str, minimum: float, whole: bool = False) -> float:
    raw = values.get(name, DEFAULTS[name])
    kind = "a whole number" if whole else "a number"
    try:
        if isinstance(raw, bool):
            raise TypeError
        number = float(raw)
    except (TypeError, ValueError):
        raise WebhookConfigError(f"webhook: {name!r} must be {kind}, not {raw!r}") from None
    if (whole and not number.is_integer()) or not number >= minimum:  # `not >=` catches NaN
        raise WebhookConfigError(f"webhook: {name!r} must be {kind} >= {minimum:g}, not {raw!r}")
    return number


def _events(raw: Any) -> frozenset[str]:
    names = raw.split(",") if isinstance(raw, str) else raw
    try:
        chosen = frozenset(str(name).strip() for name in names) - {""}
    except TypeError:
        raise WebhookConfigError(f"webhook: 'events' must be a list, not {raw!r}") from None
    unknown = sorted(chosen - set(EVENTS))
    if unknown:
        raise WebhookConfigError(
            f"webhook: unknown events: {', '.join(unknown)} (known: {', '.join(EVENTS)})"
        )
    return chosen


def redact(url: str) -> str:
    """The URL without credentials, query or fragment, for logs."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}{parts.path}"


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: `sha256=` and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def make_payload(
    event: str,
    user_id: int,
    data: Mapping[str, Any],
    *,
    public_url: str | None = None,
    delivery_id: str | None = None,
    occurred_at: datetime | None = None,
) -> dict[str, Any]:
    """The JSON object posted for one event (see the README for the format)."""
    when = (occurred_at or datetime.now(UTC)).astimezone(UTC)
    payload: dict[str, Any] = {
        "id": delivery_id or uuid.uuid4().hex,
        "event": event,
        "occurred_at": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "user_id": user_id,
        "data": dict(data),
    }
    if public_url:
        payload["public_url"] = public_url.rstrip("/")
    return payload


@dataclass(frozen=True)
class Delivery:
    """One event, encoded once, waiting to be sent."""

    id: str
    event: str
    body: bytes


@dataclass(frozen=True)
class Outcome:
    """What one try gave: sent, or why not and whether another try may help."""

    ok: bool
    retry: bool = False
    reason: str = ""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an error: urllib would turn the POST into a GET without the body."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Dispatcher:
    """Posts events for one app from a background thread, so requests never wait for it.

    `submit` only puts the encoded event on a bounded queue (dropping it with a warning when
    the queue is full). One daemon thread, started on the first event (and again in a forked
    worker process), sends the events in order, retrying connection errors, 408, 429 and 5xx
    with exponential backoff.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.delivered = 0  # events the receiver accepted (2xx)
        self.failed = 0  # events given up on after the last try, or refused (other 4xx, 3xx)
        self.dropped = 0  # events not queued because the queue was full or closed
        self._opener = urllib.request.build_opener(_NoRedirects())
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._queue: queue.Queue[Delivery | None] | None = None
        self._thread: threading.Thread | None = None
        self._pid: int | None = None

    # On the request's side: quick and never raises on a receiver's behaviour.

    def submit(
        self,
        event: str,
        user_id: int,
        data: Mapping[str, Any],
        public_url: str | None = None,
    ) -> bool:
        """Queue an event; False (and a warning) if it was dropped."""
        payload = make_payload(event, user_id, data, public_url=public_url)
        body = json.dumps(payload, separators=(",", ":"), default=str).encode()
        delivery = Delivery(payload["id"], event, body)
        if self._stopping.is_set():
            return self._drop(delivery, "the webhook sender is closed")
        try:
            self._running_queue().put_nowait(delivery)
        except queue.Full:
            return self._drop(delivery, f"the queue is full ({self.settings.queue_size} events)")
        return True

    def _drop(self, delivery: Delivery, why: str) -> bool:
        with self._lock:
            self.dropped += 1
            total = self.dropped
        log.warning(
            "webhook: dropped %s event %s: %s (%d dropped so far)",
            delivery.event,
            delivery.id,
            why,
            total,
        )
        return False

    def _running_queue(self) -> queue.Queue[Delivery | None]:
        """The queue, with its worker thread started (anew in a forked process)."""
        with self._lock:
            if self._queue is None or self._pid != os.getpid():
                self._pid = os.getpid()
                self._queue = queue.Queue(self.settings.queue_size)
                self._thread = threading.Thread(
                    target=self._work,
                    args=(self._queue,),
                    name=f"cocourse-webhook-{id(self):x}",
                    daemon=True,
                )
                self._thread.start()
            return self._queue

    def close(self, timeout: float | None = None) -> None:
        """Stop: events still queued are not sent, and backoff waits end at once.

        Waits up to `timeout` seconds for a try in progress (which ends within the `timeout`
        setting). Used by tests; in production the thread is a daemon and ends with the
        process.
        """
        self._stopping.set()
        with self._lock:
            thread, waiting = self._thread, self._queue
        if thread is None or waiting is None or self._pid != os.getpid():
            return
        # Wake a worker waiting for work; a full queue means it is busy, and it checks
        # `_stopping` before taking the next event.
        with contextlib.suppress(queue.Full):
            waiting.put_nowait(None)
        thread.join(timeout)

    # On the worker's side.

    def _work(self, waiting: queue.Queue[Delivery | None]) -> None:
        while True:
            delivery = waiting.get()
            if delivery is None or self._stopping.is_set():
                return
            try:
                self.deliver(delivery)
            except Exception:  # a bug here must not end the thread
                log.exception("webhook: could not send %s event %s", delivery.event, delivery.id)

    def deliver(self, delivery: Delivery) -> bool:
        """Send one event, with retries; whether the receiver accepted it."""
        tries = self.settings.retries + 1
        for attempt in range(1, tries + 1):
            outcome = self.try_once(delivery)
            if outcome.ok:
                with self._lock:
                    self.delivered += 1
                log.debug("webhook: sent %s event %s", delivery.event, delivery.id)
                return True
            if not outcome.retry or attempt == tries:
                break
            delay = min(self.settings.backoff * 2 ** (attempt - 1), MAX_BACKOFF)
            log.info(
                "webhook: try %d of %d for %s event %s failed (%s); next try in %.1f s",
                attempt,
                tries,
                delivery.event,
                delivery.id,
                outcome.reason,
                delay,
            )
            if self._stopping.wait(delay):
                break
        with self._lock:
            self.failed += 1
        log.warning(
            "webhook: gave up on %s event %s after %d %s to %s: %s",
            delivery.event,
            delivery.id,
            attempt,
            "try" if attempt == 1 else "tries",
            redact(self.settings.url),
            outcome.reason,
        )
        return False

    def try_once(self, delivery: Delivery) -> Outcome:
        """One POST: 2xx is success; connection errors, 408, 429 and 5xx may be retried."""
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            EVENT_HEADER: delivery.event,
            DELIVERY_HEADER: delivery.id,
        }
        if self.settings.secret:
            headers[SIGNATURE_HEADER] = sign(self.settings.secret, delivery.body)
        # The URL's scheme was checked (http or https) when the settings were read.
        request = urllib.request.Request(  # noqa: S310
            self.settings.url, data=delivery.body, headers=headers, method="POST"
        )
        try:
            with self._opener.open(request, timeout=self.settings.timeout) as response:
                response.read(65536)  # let the receiver finish; its answer is not used
                return Outcome(ok=True)
        except urllib.error.HTTPError as exc:
            exc.close()
            status = exc.code
            retry = status >= 500 or status in RETRY_STATUSES
            return Outcome(ok=False, retry=retry, reason=f"HTTP {status}")
        except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, resets
            cause = getattr(exc, "reason", None)  # what a URLError wraps
            if not isinstance(cause, BaseException):
                cause = exc
            return Outcome(ok=False, retry=True, reason=f"{type(cause).__name__}: {cause}")
