"""The content signal in Redis (`CONTENT_SIGNAL_REDIS_URL`), on a real redis-server started
on loopback: two broadcast objects stand for two hosts; Redis is stopped and started again
under them. Whatever Redis does, `latest()` answers and no announcement is lost."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from cocourse import content_signal
from cocourse.cli import cli
from cocourse.content_signal import KEY, DatabaseBroadcast, RedisBroadcast, decode
from cocourse.db import make_engine

from .conftest import COURSE, AuthActions, admin_client_of, make_app
from .test_studio_editing import LESSON, editor_fields


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """A throwaway redis-server on one loopback port, stopped and started at will."""

    def __init__(self, folder: Path) -> None:
        server = shutil.which("redis-server")
        if server is None:
            if os.environ.get("CI") == "true":
                pytest.fail("redis-server is needed: CI installs it")
            pytest.skip("redis-server is not installed")
        self.server, self.folder, self.port = server, folder, free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = [self.server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--appendonly", "no", "--dir", str(self.folder)]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL)
        for _ in range(200):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.025)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # as a crash would: no goodbye to the clients
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def other_engine(database_url: str, engine: Engine) -> Iterator[Engine]:
    """An engine of its own on the same database, as another host has."""
    other = make_engine(database_url)
    yield other
    other.dispose()


class Counted(DatabaseBroadcast):
    """Counts the reads of the database."""

    reads = 0

    def latest(self):  # type: ignore[no-untyped-def]
        self.reads += 1
        return super().latest()


def broadcast(engine: Engine, url: str, **options: float) -> RedisBroadcast:
    options = {"retry": 0.0, **options}
    return RedisBroadcast(url, Counted(engine), **options)


@pytest.fixture
def hosts(engine, other_engine, redis_server) -> Iterator[tuple[RedisBroadcast, RedisBroadcast]]:
    a, b = broadcast(engine, redis_server.url), broadcast(other_engine, redis_server.url)
    yield a, b
    a.close()
    b.close()


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "cocourse.content" and r.levelno == logging.WARNING
    ]


def test_an_announcement_on_one_host_is_read_from_redis_on_the_other(hosts):
    a, b = hosts
    assert b.latest() is None  # nothing announced yet
    token = a.announce()
    found = b.latest()
    assert found is not None and found[0] == token
    assert found == DatabaseBroadcast(a.database.engine).latest()  # the same token and time
    assert decode(b.client.get(KEY)) == found
    reads = b.database.reads
    for _ in range(20):
        assert b.latest() == found
    assert b.database.reads == reads  # polled in Redis, not in the database
    second = a.announce()
    assert b.latest()[0] == second


def test_redis_down_the_database_answers_with_one_warning_and_nothing_is_missed(
    hosts, redis_server, caplog
):
    a, b = hosts
    before = a.announce()
    assert b.latest()[0] == before
    redis_server.stop()
    caplog.set_level(logging.INFO, logger="cocourse.content")
    for _ in range(5):
        assert b.latest()[0] == before  # from the database: no request fails
    during = a.announce()  # Redis down: the database has it
    for _ in range(5):
        assert b.latest()[0] == during
    said = warnings_of(caplog)
    assert len([w for w in said if "Redis does not answer" in w]) == 2  # one per process
    redis_server.start()  # empty: it kept nothing
    reads = b.database.reads
    assert b.latest()[0] == during  # back on Redis, which is brought up to date
    assert decode(b.client.get(KEY))[0] == during
    assert "Redis answers again" in caplog.text
    for _ in range(10):
        assert b.latest()[0] == during
    assert b.database.reads == reads + 1  # the one comparison after the outage
    after = a.announce()
    assert b.latest()[0] == after
    assert len(warnings_of(caplog)) == 2  # still one per process for the whole outage


def test_an_announcement_reaches_a_process_that_cannot_reach_redis(
    engine, other_engine, redis_server, caplog
):
    dead = f"redis://127.0.0.1:{free_port()}/0"
    up, cut_off = broadcast(engine, redis_server.url), broadcast(other_engine, dead)
    try:
        first = up.announce()
        assert cut_off.latest()[0] == first
        second = up.announce()
        assert cut_off.latest()[0] == second
        assert len(warnings_of(caplog)) == 1
    finally:
        up.close()
        cut_off.close()


def test_an_announcement_that_could_not_reach_redis_reaches_the_others_soon(
    engine, other_engine, redis_server, monkeypatch
):
    clock = [1000.0]
    monkeypatch.setattr(content_signal.time, "monotonic", lambda: clock[0])
    dead = f"redis://127.0.0.1:{free_port()}/0"
    cut_off = broadcast(engine, dead)
    reader = broadcast(other_engine, redis_server.url)
    try:
        first = reader.database.announce()
        assert reader.latest()[0] == first  # the first poll copies it into Redis
        missed = cut_off.announce()  # only in the database
        clock[0] += content_signal.VERIFY_SECONDS - 1
        assert reader.latest()[0] == first  # Redis is behind...
        clock[0] += 1
        assert reader.latest()[0] == missed  # ...until the next comparison brings it up
        assert decode(reader.client.get(KEY))[0] == missed
    finally:
        cut_off.close()
        reader.close()


@pytest.mark.parametrize(
    "garbage",
    ["not json", '{"token": 12}', '{"token": "x", "at": "yesterday"}', "[]", b"\xff\xfe not utf-8"],
)
def test_garbage_in_the_key_is_replaced_by_the_database_token(hosts, caplog, garbage):
    a, b = hosts
    token = a.announce()
    b.latest()
    b.client.set(KEY, garbage)
    assert b.latest()[0] == token
    assert decode(b.client.get(KEY))[0] == token  # repaired
    assert b.latest()[0] == token
    assert len([w for w in warnings_of(caplog) if "not one cocourse wrote" in w]) == 1


def test_a_key_of_another_type_or_garbage_without_any_token(hosts):
    a, b = hosts
    b.client.set(KEY, "garbage")
    assert b.latest() is None  # no token in the database either: the garbage is removed
    assert b.client.exists(KEY) == 0
    b.client.rpush(KEY, "a list")
    assert b.latest() is None and b.client.exists(KEY) == 0
    token = a.announce()
    b.client.delete(KEY)
    b.client.rpush(KEY, "a list")
    assert b.latest()[0] == token
    assert decode(b.client.get(KEY))[0] == token


def test_a_redis_that_does_not_answer_never_holds_a_request(engine):
    """A server that takes the connection and never answers: the short timeouts."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        mute = broadcast(engine, f"redis://127.0.0.1:{silent.getsockname()[1]}/0", retry=60)
        try:
            token = mute.database.announce()
            started = time.monotonic()
            assert mute.latest()[0] == token
            assert time.monotonic() - started < 1.5  # two tries of 0.25 s each, with margin
            started = time.monotonic()
            assert mute.latest()[0] == token  # the outage is known: no waiting this time
            assert time.monotonic() - started < 0.2
        finally:
            mute.close()


def test_the_setting_puts_the_app_and_cocourse_reload_on_redis(
    engine, database_url, tmp_path, redis_server, monkeypatch
):
    app = make_app(database_url, tmp_path, CONTENT_SIGNAL_REDIS_URL=redis_server.url)
    state = app.extensions["cocourse.course"]
    assert isinstance(state.broadcast, RedisBroadcast)
    assert isinstance(
        make_app(database_url, tmp_path / "b").extensions["cocourse.course"].broadcast,
        DatabaseBroadcast,
    )
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("COCOURSE_INSTANCE_PATH", str(tmp_path / "admin"))
    monkeypatch.setenv("COCOURSE_CONTENT_DIR", str(COURSE))
    monkeypatch.setenv("COCOURSE_CONTENT_SIGNAL_REDIS_URL", redis_server.url)
    result = CliRunner().invoke(cli, ["reload"])
    assert result.exit_code == 0, result.output
    found = decode(state.broadcast.client.get(KEY))
    assert found is not None and found == DatabaseBroadcast(engine).latest()
    assert state.broadcast.latest() == found


def test_studio_saves_reach_another_host_through_redis_and_through_an_outage(
    engine, database_url, tmp_path, session, repo, redis_server
):
    # Two hosts: their own instance folders, one database, one Redis, one content folder.
    setting = {"CONTENT_DIR": str(repo), "CONTENT_SIGNAL_REDIS_URL": redis_server.url}
    first = make_app(database_url, tmp_path / "host-a", **setting)
    second = make_app(database_url, tmp_path / "host-b", CONTENT_WATCH_INTERVAL=0, **setting)
    second.extensions["cocourse.course"].broadcast.retry = 0.0  # try Redis on every poll
    learner = second.test_client()
    AuthActions(learner, session).create()
    AuthActions(learner, session).login()
    admin = admin_client_of(first, session)

    def save(old: str, new: str) -> None:
        fields = editor_fields(admin.get(f"/studio/files/{LESSON}").get_data(as_text=True))
        fields["text"] = fields["text"].replace(old, new)
        assert admin.post(f"/studio/files/{LESSON}", data=fields).status_code == 302

    def shown() -> str:
        return learner.get("/modules/intro/second").get_data(as_text=True)

    assert "Some text." in shown()
    save("Some text.", "Said through Redis.")
    assert "Said through Redis." in shown()
    redis_server.stop()
    save("Said through Redis.", "Said while Redis was down.")
    assert "Said while Redis was down." in shown()
    redis_server.start()
    save("Said while Redis was down.", "Said once Redis was back.")
    assert "Said once Redis was back." in shown()
