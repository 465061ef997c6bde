"""The installed plugin in real apps: learners' actions over HTTP reach a loopback receiver."""

from __future__ import annotations

import hashlib
import hmac
import importlib.metadata
import logging
import time
from datetime import UTC, datetime, timedelta

import cocourse_webhook.plugin
import pytest
from cocourse_webhook.delivery import DEFAULTS, WebhookConfigError
from cocourse_webhook.plugin import dispatcher

from cocourse.plugins import plugin_settings

HANG = 5.0  # seconds a hanging receiver waits before it answers
FAST = {"backoff": 0.01}  # retries without waiting long


def test_installed_plugin_is_found_through_the_entry_point_group(make_app):
    found = [ep for ep in importlib.metadata.entry_points(group="cocourse") if ep.name == "webhook"]
    assert [ep.value for ep in found] == ["cocourse_webhook.plugin"]
    app = make_app()  # no PLUGINS: only the entry point can bring it in
    assert app.config["PLUGINS"] == []
    pm = app.extensions["cocourse.plugins"]
    assert pm.get_plugin("webhook") is cocourse_webhook.plugin
    assert plugin_settings(app, "webhook") == DEFAULTS
    assert dispatcher(app) is None  # no URL: nothing to do


def test_a_completed_lesson_is_posted_signed(make_app, receiver, learner_of):
    app = make_app(
        PUBLIC_URL="https://learn.example.org/",
        PLUGIN_SETTINGS={"webhook": {"url": receiver.url, "secret": "s3cret"}},
    )
    learner = learner_of(app)
    before = datetime.now(UTC)
    learner.complete("intro", "first")

    [posted] = receiver.wait_for(1)
    payload = posted.json
    assert posted.path == "/hooks/cocourse"
    assert posted.headers["Content-Type"] == "application/json"
    assert posted.headers["User-Agent"].startswith("cocourse-webhook/")
    assert posted.headers["X-Cocourse-Event"] == "lesson_completed"
    assert posted.headers["X-Cocourse-Delivery"] == payload["id"]
    expected = hmac.new(b"s3cret", posted.body, hashlib.sha256).hexdigest()
    assert posted.headers["X-Cocourse-Signature-256"] == f"sha256={expected}"
    assert payload == {
        "id": payload["id"],
        "event": "lesson_completed",
        "occurred_at": payload["occurred_at"],
        "user_id": learner.user_id,
        "data": {"module_slug": "intro", "lesson_slug": "first"},
        "public_url": "https://learn.example.org",
    }
    assert len(payload["id"]) == 32
    assert payload["occurred_at"].endswith("Z")
    occurred = datetime.fromisoformat(payload["occurred_at"])
    assert before - timedelta(seconds=1) <= occurred <= datetime.now(UTC)


def test_finishing_a_module_posts_both_events_in_order(make_app, receiver, learner_of):
    app = make_app(PLUGIN_SETTINGS={"webhook": {"url": receiver.url}})
    learner = learner_of(app)
    learner.complete("intro", "first")
    learner.complete("intro", "second")
    learner.complete("intro", "second")  # again: not a new completion, no event

    posted = receiver.wait_for(3)
    assert receiver.events() == ["lesson_completed", "lesson_completed", "module_completed"]
    assert posted[2].json["data"] == {"module_slug": "intro"}
    assert "public_url" not in posted[2].json  # PUBLIC_URL is not set
    assert "X-Cocourse-Signature-256" not in posted[2].headers  # no secret
    assert len({request.json["id"] for request in posted}) == 3


def test_without_a_url_nothing_is_sent(make_app, receiver, learner_of):
    app = make_app(PLUGIN_SETTINGS={"webhook": {"secret": "unused"}})
    learner_of(app).complete("intro", "first")
    assert dispatcher(app) is None
    assert receiver.requests == []


def test_the_events_setting_chooses_what_is_posted(make_app, receiver, learner_of, wait_until):
    app = make_app(PLUGIN_SETTINGS={"webhook": {"url": receiver.url, "events": "module_completed"}})
    learner = learner_of(app)
    learner.complete("intro", "first")
    learner.complete("intro", "second")
    receiver.wait_for(1)
    wait_until(lambda: dispatcher(app).delivered == 1, "the delivery to be counted")
    assert receiver.events() == ["module_completed"]


def test_a_graded_quiz_is_posted(make_app, receiver):
    # Unit level: the plugin named in PLUGINS (already registered through its entry point,
    # so not twice), the event fired as the quiz engine fires it after its commit.
    app = make_app(
        PLUGINS=["cocourse_webhook.plugin"], PLUGIN_SETTINGS={"webhook": {"url": receiver.url}}
    )
    pm = app.extensions["cocourse.plugins"]
    assert [p for p in pm.get_plugins() if p is cocourse_webhook.plugin] == [
        cocourse_webhook.plugin
    ]
    with app.test_request_context():
        pm.hook.quiz_graded(user_id=7, quiz_id="every-kind", attempt_id=3, score=75.0, passed=True)
    [posted] = receiver.wait_for(1)
    assert posted.json["event"] == "quiz_graded"
    assert posted.json["user_id"] == 7
    assert posted.json["data"] == {
        "quiz_id": "every-kind",
        "attempt_id": 3,
        "score": 75.0,
        "passed": True,
    }


def test_events_outside_an_app_context_are_ignored(receiver):
    cocourse_webhook.plugin.lesson_completed(user_id=1, module_slug="intro", lesson_slug="first")
    assert receiver.requests == []


def test_503_twice_then_200_is_delivered_once_in_three_tries(
    make_app, receiver, learner_of, wait_until
):
    receiver.script = [503, 503]
    app = make_app(PLUGIN_SETTINGS={"webhook": {"url": receiver.url, "retries": 3, **FAST}})
    learner_of(app).complete("intro", "first")

    tries = receiver.wait_for(3)
    sender = dispatcher(app)
    wait_until(lambda: sender.delivered == 1, "the delivery to be counted")
    assert (sender.delivered, sender.failed, sender.dropped) == (1, 0, 0)
    assert len(receiver.requests) == 3
    assert len({t.body for t in tries}) == 1  # the same event, byte for byte
    assert len({t.headers["X-Cocourse-Delivery"] for t in tries}) == 1


def test_a_hanging_receiver_does_not_slow_requests(make_app, receiver, learner_of, wait_until):
    receiver.hang = HANG
    app = make_app(PLUGIN_SETTINGS={"webhook": {"url": receiver.url, "timeout": HANG * 2}})
    learner = learner_of(app)

    started = time.monotonic()
    learner.complete("intro", "first")
    first = time.monotonic() - started
    receiver.wait_for(1)  # the sender is now waiting for the receiver's answer

    started = time.monotonic()
    learner.complete("intro", "second")
    second = time.monotonic() - started

    assert receiver.answered == 0, "the receiver answered: the requests were not measured"
    assert first < HANG and second < HANG
    assert dispatcher(app).delivered == 0


def test_a_full_queue_drops_events_with_a_warning(
    make_app, receiver, learner_of, wait_until, caplog
):
    caplog.set_level(logging.WARNING, logger="cocourse_webhook")
    receiver.hang = HANG
    app = make_app(PLUGIN_SETTINGS={"webhook": {"url": receiver.url, "queue_size": 1}})
    learner = learner_of(app)
    learner.complete("intro", "first")
    receiver.wait_for(1)  # the sender is busy with the first event; the queue is empty
    learner.complete("intro", "second")  # two events: one waits, one does not fit

    sender = dispatcher(app)
    assert sender.dropped == 1
    [warning] = [r for r in caplog.records if r.name == "cocourse_webhook"]
    assert warning.levelno == logging.WARNING
    assert "dropped module_completed event" in warning.getMessage()
    assert "queue is full" in warning.getMessage()


def test_each_app_posts_its_own_events_to_its_own_url(make_app, receivers, learner_of, wait_until):
    # Four apps in one process share the plugin module; each app has its own sender.
    quiet = make_app()  # no URL
    targets = [receivers() for _ in range(3)]
    apps = [make_app(PLUGIN_SETTINGS={"webhook": {"url": r.url}}) for r in targets]
    # The quiet app goes first: an event of it sent anywhere would be the first one there.
    learner_of(quiet).complete("intro", "second")
    learner_of(apps[0]).complete("intro", "first")
    both = learner_of(apps[1])
    both.complete("intro", "first")
    both.complete("intro", "second")
    learner_of(apps[2]).complete("intro", "second")

    expected = [
        [("lesson_completed", "first")],
        [("lesson_completed", "first"), ("lesson_completed", "second"), ("module_completed", None)],
        [("lesson_completed", "second")],
    ]
    for app, receiver, wanted in zip(apps, targets, expected, strict=True):
        sender, count = dispatcher(app), len(wanted)
        wait_until(lambda s=sender, n=count: s.delivered == n, "every app's deliveries")
        got = [(r.json["event"], r.json["data"].get("lesson_slug")) for r in receiver.requests]
        assert got == wanted
    assert dispatcher(quiet) is None


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"url": "ftp://example.org/hook"}, "must be an http:// or https:// URL"),
        ({"url": "http://127.0.0.1/", "retries": -1}, "'retries' must be a whole number >= 0"),
        ({"url": "http://127.0.0.1/", "timeout": "soon"}, "'timeout' must be a number"),
        ({"url": "http://127.0.0.1/", "events": ["lesson_complete"]}, "unknown events"),
    ],
)
def test_bad_settings_stop_the_app(make_app, settings, message):
    with pytest.raises(WebhookConfigError, match=message):
        make_app(PLUGIN_SETTINGS={"webhook": settings})
