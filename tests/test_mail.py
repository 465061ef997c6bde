"""The outbox: queued with the change, delivered by the huey worker through real SMTP."""

from __future__ import annotations

import importlib.util
import os
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from cocourse.cli import cli
from cocourse.db import get_session, write
from cocourse.mail import delivery, worker
from cocourse.mail.outbox import queue
from cocourse.models import MailMessage, utcnow

from .conftest import make_app, run_concurrently
from .mailserver import free_port, smtp_server, smtp_settings, text_of

CONTEXT = {"name": "Ann", "link": "http://x.test/account/reset/abc", "expires": "soon"}


@pytest.fixture
def inbox():
    with smtp_server() as found:
        yield found


@pytest.fixture
def smtp_app(engine, database_url, tmp_path, inbox):
    return make_app(database_url, tmp_path, **smtp_settings(inbox.port))


def _queue(app, to="ann@example.org", template="password_reset"):
    with app.test_request_context():
        db = get_session()
        with write(db):
            message = queue(db, to, template, CONTEXT)
        return message.id


def _rows(session):
    session.expire_all()
    rows = list(session.scalars(select(MailMessage).order_by(MailMessage.id)))
    session.rollback()
    return rows


def test_queue_needs_the_callers_write_transaction(app):
    with app.test_request_context(), pytest.raises(RuntimeError, match="write transaction"):
        queue(get_session(), "ann@example.org", "password_reset", CONTEXT)


def test_a_message_exists_only_if_its_transaction_commits(smtp_app, session, inbox):
    with smtp_app.test_request_context():
        db = get_session()
        with pytest.raises(ZeroDivisionError), write(db):
            queue(db, "ann@example.org", "password_reset", CONTEXT)
            _ = 1 / 0
    assert _rows(session) == []
    assert worker.run_pending(smtp_app) == 0  # nothing was handed to the worker
    assert inbox.messages == []


def test_an_address_that_cannot_receive_mail_is_recorded_and_never_sent(smtp_app, session, inbox):
    # Accounts made by a learning platform that shares no email have such an address.
    _queue(smtp_app, to="lti-0123@lti.invalid")
    assert worker.run_pending(smtp_app) == 0
    [row] = _rows(session)
    assert row.status == "failed" and row.last_error == "the address cannot receive mail"
    assert inbox.messages == []


def test_the_worker_delivers_text_and_html_through_smtp(smtp_app, session, inbox):
    message_id = _queue(smtp_app)
    assert worker.run_pending(smtp_app) == 1
    [received] = inbox.messages
    assert received["To"] == "ann@example.org"
    assert received["From"] == "Acme Learning <learning@acme.example>"
    assert received["Subject"] == "Reset your password for Acme Learning"
    assert "http://x.test/account/reset/abc" in text_of(received)
    html = received.get_body(("html",))
    assert html is not None and 'href="http://x.test/account/reset/abc"' in html.get_content()
    [row] = _rows(session)
    assert row.id == message_id and row.status == "sent" and row.attempts == 1
    assert received["Message-ID"] == row.message_id and row.message_id.endswith("@acme.example>")


def test_a_refused_connection_is_retried_with_backoff_not_lost(
    engine, database_url, tmp_path, session
):
    port = free_port()  # nobody listens here yet
    app = make_app(database_url, tmp_path, **smtp_settings(port), MAIL_BACKOFF_SECONDS=10.0)
    _queue(app)
    started = utcnow()
    assert worker.run_pending(app) == 1
    [row] = _rows(session)
    assert row.status == "queued" and row.attempts == 1
    assert "Connection" in row.last_error or "refused" in row.last_error.lower()
    assert started + timedelta(seconds=9) <= row.next_attempt_at <= utcnow() + timedelta(seconds=11)
    assert worker.jobs(app).huey.scheduled_count() == 1  # huey retries it at that time
    # The periodic sweep leaves it alone until it is due ...
    assert delivery.deliver_due(app) == 0
    # ... and sends it once the server is up and the wait is over; the wait doubles meanwhile.
    assert delivery.backoff(app, 2) == 20.0
    session.execute(update(MailMessage).values(next_attempt_at=utcnow()))
    session.commit()
    with smtp_server(port) as inbox:
        assert delivery.deliver_due(app) == 1
    assert len(inbox.messages) == 1
    [row] = _rows(session)
    assert row.status == "sent" and row.attempts == 2


def test_a_message_fails_for_good_after_the_last_attempt(engine, database_url, tmp_path, session):
    app = make_app(database_url, tmp_path, **smtp_settings(free_port()), MAIL_MAX_ATTEMPTS=2)
    message_id = _queue(app)
    assert delivery.deliver(app, message_id) is not None
    session.execute(update(MailMessage).values(next_attempt_at=utcnow()))
    session.commit()
    assert delivery.deliver(app, message_id) is None
    [row] = _rows(session)
    assert row.status == "failed" and row.attempts == 2


def test_two_workers_never_send_one_message_twice(smtp_app, session, inbox):
    message_id = _queue(smtp_app)
    errors = run_concurrently(smtp_app, 4, lambda _i: delivery.deliver(smtp_app, message_id))
    assert errors == []
    assert len(inbox.messages) == 1
    assert (
        delivery.claim(smtp_app.extensions["cocourse.sessionmaker"](), message_id, utcnow()) is None
    )


def test_a_worker_that_died_after_claiming_leaves_the_message_to_be_sent_again(
    smtp_app, session, inbox
):
    message_id = _queue(smtp_app)
    db = smtp_app.extensions["cocourse.sessionmaker"]()
    assert delivery.claim(db, message_id, utcnow()) is not None  # ... and then the worker died
    db.close()
    assert delivery.deliver_due(smtp_app) == 0  # its lease has not run out yet
    later = utcnow() + delivery.LEASE + timedelta(seconds=1)
    with smtp_app.app_context():
        ids = delivery.due(smtp_app.extensions["cocourse.sessionmaker"](), later)
    assert ids == [message_id]
    session.execute(update(MailMessage).values(claimed_until=utcnow() - timedelta(seconds=1)))
    session.commit()
    assert delivery.deliver_due(smtp_app) == 1
    [received] = inbox.messages
    [row] = _rows(session)
    assert row.status == "sent" and row.attempts == 2
    assert received["Message-ID"] == row.message_id  # a resent copy keeps its Message-ID


def test_the_development_transport_writes_eml_files_and_prints_links(app, session, capsys):
    message_id = _queue(app)
    assert worker.run_pending(app) == 1
    path = app.instance_path + f"/outbox/{message_id}.eml"
    with open(path, "rb") as handle:
        assert b"Subject: Reset your password for cocourse" in handle.read()
    printed = capsys.readouterr().err
    assert "Reset your password for cocourse" in printed
    assert "http://x.test/account/reset/abc" in printed
    assert _rows(session)[0].status == "sent"


def test_the_sweep_is_a_periodic_huey_task(app):
    found = worker.jobs(app)
    assert found.sweep.name == "cocourse.mail.sweep"
    assert any(task.name == "cocourse.mail.sweep" for task in found.huey._registry.periodic_tasks)


def test_the_worker_command_is_there():
    result = CliRunner().invoke(cli, ["worker", "--help"])
    assert result.exit_code == 0 and "Deliver queued email" in result.output


@pytest.fixture
def redis_url(tmp_path):
    """A throwaway Redis server on a loopback port (skipped without redis-server)."""
    import shutil
    import subprocess
    import time

    server = shutil.which("redis-server")
    if server is None or importlib.util.find_spec("redis") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server and the redis package are needed: CI installs them")
        pytest.skip("redis-server or the redis package is not installed")
    port = free_port()
    args = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
    process = subprocess.Popen([*args, "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    client.close()
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


def test_the_queue_runs_on_redis_when_configured(
    engine, database_url, tmp_path, redis_url, inbox, session
):
    app = make_app(database_url, tmp_path, **smtp_settings(inbox.port), HUEY_REDIS_URL=redis_url)
    assert type(worker.jobs(app).huey).__name__ == "RedisHuey"
    _queue(app)
    assert worker.run_pending(app) == 1
    assert len(inbox.messages) == 1
    assert _rows(session)[0].status == "sent"
    worker.jobs(app).huey.storage.conn.close()
