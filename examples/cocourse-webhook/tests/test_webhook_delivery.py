"""The sender on its own: settings, payloads, signatures, retries and giving up."""

from __future__ import annotations

import logging
import math
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cocourse_webhook.delivery import (
    DEFAULTS,
    EVENTS,
    Dispatcher,
    Settings,
    WebhookConfigError,
    make_payload,
    redact,
    sign,
)

QUICK = {"backoff": 0.01, "timeout": 5.0}


@pytest.fixture
def senders() -> Iterator[list[Dispatcher]]:
    """Dispatchers made by a test, closed after it."""
    made: list[Dispatcher] = []
    yield made
    for sender in made:
        sender.close(10)


@pytest.fixture
def sender_for(senders):
    def make(url: str, **settings: object) -> Dispatcher:
        made = Dispatcher(Settings.from_mapping({**DEFAULTS, "url": url, **settings}))
        senders.append(made)
        return made

    return make


def send(sender: Dispatcher, wait_until, event: str = "lesson_completed") -> None:
    """Submit one event and wait until the sender is done with it."""
    assert sender.submit(event, 1, {"module_slug": "intro", "lesson_slug": "first"})
    wait_until(lambda: sender.delivered + sender.failed == 1, "the sender to finish")


# Settings


def test_no_url_means_no_sender():
    assert Settings.from_mapping(DEFAULTS) is None
    assert Settings.from_mapping({**DEFAULTS, "url": "   "}) is None


def test_defaults_and_lenient_spellings():
    settings = Settings.from_mapping(
        {
            **DEFAULTS,
            "url": " https://hooks.example.org/x ",
            "retries": "2",
            "events": "quiz_graded,",
        }
    )
    assert settings == Settings(
        url="https://hooks.example.org/x", retries=2, events=frozenset({"quiz_graded"})
    )
    assert Settings.from_mapping({"url": "http://h/"}).events == frozenset(EVENTS)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"url": "hooks.example.org/x"}, "http:// or https:// URL"),
        ({"url": "http:///x"}, "http:// or https:// URL"),
        ({"url": 5}, "'url' must be a string"),
        ({"secret": 5}, "'secret' must be a string"),
        ({"timeout": 0}, "'timeout' must be a number >= 0.001"),
        ({"timeout": math.nan}, "'timeout' must be a number"),
        ({"retries": 1.5}, "'retries' must be a whole number"),
        ({"retries": True}, "'retries' must be a whole number"),
        ({"backoff": -1}, "'backoff' must be a number >= 0"),
        ({"queue_size": 0}, "'queue_size' must be a whole number >= 1"),
        ({"events": 3}, "'events' must be a list"),
        ({"events": ["graded"]}, "unknown events: graded"),
    ],
)
def test_bad_settings_are_refused(values, message):
    with pytest.raises(WebhookConfigError, match=message):
        Settings.from_mapping({**DEFAULTS, "url": "http://127.0.0.1/", **values})


# Payload and signature


def test_payload_format():
    when = datetime(2025, 3, 1, 13, 30, 5, 123456, tzinfo=timezone(timedelta(hours=1)))
    payload = make_payload(
        "module_completed",
        4,
        {"module_slug": "intro"},
        public_url="https://learn.example.org/",
        delivery_id="abc",
        occurred_at=when,
    )
    assert payload == {
        "id": "abc",
        "event": "module_completed",
        "occurred_at": "2025-03-01T12:30:05.123Z",
        "user_id": 4,
        "data": {"module_slug": "intro"},
        "public_url": "https://learn.example.org",
    }
    assert "public_url" not in make_payload("module_completed", 4, {}, public_url=None)
    now = datetime.fromisoformat(make_payload("quiz_graded", 1, {})["occurred_at"])
    assert now.tzinfo == UTC and now <= datetime.now(UTC)


def test_signature_is_hmac_sha256_of_the_body():
    # RFC 4231, test case 2.
    assert sign("Jefe", b"what do ya want for nothing?") == (
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


def test_logged_urls_lose_credentials_and_query():
    assert redact("https://user:pw@hooks.example.org:8443/in?token=t#x") == (
        "https://hooks.example.org:8443/in"
    )


# Delivery


def test_retries_wait_longer_each_time(receiver, sender_for, wait_until):
    receiver.script = [500, 502, 503]
    sender = sender_for(receiver.url, retries=3, backoff=0.05)
    send(sender, wait_until)
    tries = receiver.requests
    assert len(tries) == 4 and sender.delivered == 1
    gaps = [later.at - earlier.at for earlier, later in zip(tries, tries[1:], strict=False)]
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1 and gaps[2] >= 0.2


@pytest.mark.parametrize("status", [408, 429, 500, 503])
def test_these_statuses_are_retried(receiver, sender_for, wait_until, status):
    receiver.script = [status]
    sender = sender_for(receiver.url, retries=1, **QUICK)
    send(sender, wait_until)
    assert len(receiver.requests) == 2 and sender.delivered == 1


@pytest.mark.parametrize("status", [400, 401, 404, 410, 302])
def test_other_refusals_and_redirects_are_not_retried(receiver, sender_for, wait_until, status):
    receiver.script = [status]
    sender = sender_for(receiver.url, retries=3, **QUICK)
    send(sender, wait_until)
    assert [r.path for r in receiver.requests] == ["/hooks/cocourse"]  # no redirect followed
    assert (sender.delivered, sender.failed) == (0, 1)


def test_giving_up_is_logged_without_secrets(receiver, sender_for, wait_until, caplog):
    caplog.set_level(logging.INFO, logger="cocourse_webhook")
    receiver.script = [500, 500, 500]
    sender = sender_for(receiver.url + "?token=hidden", secret="hidden", retries=2, **QUICK)
    send(sender, wait_until)
    assert len(receiver.requests) == 3 and sender.failed == 1
    messages = [r.getMessage() for r in caplog.records if r.name == "cocourse_webhook"]
    assert len(messages) == 3  # two retries announced, then the warning
    assert "gave up on lesson_completed event" in messages[-1]
    assert "after 3 tries" in messages[-1] and "HTTP 500" in messages[-1]
    assert not any("hidden" in message for message in messages)


def test_connection_errors_are_retried(sender_for, wait_until, caplog):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    sender = sender_for(f"http://127.0.0.1:{port}/", retries=2, **QUICK)
    send(sender, wait_until)
    assert sender.failed == 1
    [warning] = [r for r in caplog.records if r.name == "cocourse_webhook"]
    assert "after 3 tries" in warning.getMessage()
    assert "ConnectionRefusedError" in warning.getMessage()


def test_a_receiver_slower_than_the_timeout_is_a_failed_try(receiver, sender_for, wait_until):
    receiver.hang = 5.0
    sender = sender_for(receiver.url, retries=1, backoff=0, timeout=0.2)
    send(sender, wait_until)
    assert len(receiver.requests) == 2 and sender.failed == 1


def test_closing_ends_a_backoff_wait_at_once(receiver, sender_for, wait_until):
    receiver.script = [503]
    sender = sender_for(receiver.url, retries=1, backoff=30)
    assert sender.submit("module_completed", 1, {"module_slug": "intro"})
    receiver.wait_for(1)
    started = time.monotonic()
    sender.close(10)
    assert time.monotonic() - started < 5
    assert sender.failed == 1 and len(receiver.requests) == 1
    assert not sender.submit("module_completed", 1, {"module_slug": "intro"})  # closed
    assert sender.dropped == 1


def test_no_thread_until_the_first_event(receiver, sender_for, wait_until):
    sender = sender_for(receiver.url)
    assert sender._thread is None
    send(sender, wait_until)
    assert sender._thread is not None and sender._thread.daemon
