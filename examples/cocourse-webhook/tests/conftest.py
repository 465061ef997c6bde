"""Fixtures: a recording HTTP receiver on loopback, cocourse apps on fresh SQLite databases,
and a learner who goes through the real forms.

Self-contained: nothing is imported from the main project's `tests` package. The course is
the main project's fixture course (`tests/fixtures/course` of the repository this example
lives in), or the folder named by COCOURSE_WEBHOOK_TEST_COURSE.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cocourse_webhook.plugin import dispatcher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from cocourse import create_app, migrate
from cocourse.db import make_engine

REPOSITORY = Path(__file__).resolve().parents[3]
COURSE = Path(
    os.environ.get("COCOURSE_WEBHOOK_TEST_COURSE") or REPOSITORY / "tests" / "fixtures" / "course"
)
PASSWORD = "a long enough password"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
WAIT = 10.0  # seconds any wait for the receiver or the sender may take before a test fails


def _wait_until(condition: Callable[[], object], what: str, timeout: float = WAIT) -> None:
    """Poll until the condition holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


@pytest.fixture
def wait_until() -> Callable[..., None]:
    """`wait_until(condition, what)`: poll (bounded) until the condition holds."""
    return _wait_until


@dataclass(frozen=True)
class Received:
    """One request as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when it arrived

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """An HTTP server on 127.0.0.1 (a free port) that records every POST.

    It answers 200, or the statuses in `script` one per request first. `hang` makes each
    request wait that many seconds (after it was recorded) before the answer; teardown ends
    any wait at once.
    """

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.answered = 0
        self.script: list[int] = []
        self.hang = 0.0
        self.release = threading.Event()
        self._changed = threading.Condition()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.server.receiver = self  # type: ignore[attr-defined]
        self.server.handle_error = lambda request, address: None  # type: ignore[method-assign]
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks/cocourse"

    def wait_for(self, count: int, timeout: float = WAIT) -> list[Received]:
        """The first `count` requests, once they have arrived."""
        with self._changed:
            arrived = self._changed.wait_for(lambda: len(self.requests) >= count, timeout)
            if not arrived:
                pytest.fail(f"the receiver got {len(self.requests)} requests, not {count}")
            return list(self.requests[:count])

    def events(self) -> list[str]:
        with self._changed:
            return [request.json["event"] for request in self.requests]

    def _record(self, request: Received) -> int:
        with self._changed:
            self.requests.append(request)
            self._changed.notify_all()
            return self.script.pop(0) if self.script else 200

    def _answered(self) -> None:
        with self._changed:
            self.answered += 1

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(WAIT)


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
        receiver: Receiver = self.server.receiver
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        arrived = Received(self.path, dict(self.headers.items()), body, time.monotonic())
        status = receiver._record(arrived)
        if receiver.hang:
            receiver.release.wait(receiver.hang)
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", "/elsewhere")
        self.send_header("Content-Length", "0")
        self.end_headers()
        receiver._answered()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A fresh recording receiver."""
    started = Receiver()
    yield started
    started.close()


@pytest.fixture
def receivers() -> Iterator[Callable[[], Receiver]]:
    """Start as many receivers as a test needs."""
    started: list[Receiver] = []

    def start() -> Receiver:
        started.append(Receiver())
        return started[-1]

    yield start
    for one in started:
        one.close()


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """urllib honours *_proxy variables; the loopback receiver must be reached directly."""
    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database at the newest revision, copied for each app."""
    path = tmp_path_factory.mktemp("template") / "cocourse.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def make_app(migrated_database: Path, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build apps on the fixture course, each on its own fresh database; cleaned up after."""
    assert COURSE.is_dir(), f"fixture course not found at {COURSE}"
    apps: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        folder = tmp_path / f"app{len(apps)}"
        folder.mkdir()
        for sidecar in ("", "-wal", "-shm"):
            source = migrated_database.with_name(migrated_database.name + sidecar)
            if source.exists():
                shutil.copy(source, folder / source.name)
        config = {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-not-for-production-use-0123456789",
            "DATABASE_URL": f"sqlite:///{folder / migrated_database.name}",
            "CONTENT_DIR": str(COURSE),
            "RATELIMIT_ENABLED": False,
            "INSTANCE_PATH": str(folder / "instance"),
        }
        config.update(overrides)
        apps.append(create_app(config))
        return apps[-1]

    yield build
    for app in apps:
        sender = dispatcher(app)
        if sender is not None:
            sender.close(WAIT)
        app.extensions["cocourse.engine"].dispose()


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


class Learner:
    """A learner using the site through Flask's test client and the real forms."""

    def __init__(self, app: Flask, email: str = "learner@example.org") -> None:
        self.app, self.email = app, email
        self.client: FlaskClient = app.test_client()
        self.user_id: int | None = None

    def register(self) -> int:
        """Create the account through the registration form (which logs in); its id."""
        token = csrf_token(self.client.get("/register").get_data(as_text=True))
        response = self.client.post(
            "/register",
            data={
                "name": "Lee Learner",
                "email": self.email,
                "password": PASSWORD,
                "confirm": PASSWORD,
                "csrf_token": token,
            },
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        with self.app.extensions["cocourse.engine"].connect() as conn:
            found = conn.execute(text('SELECT id FROM "user" WHERE email = :e'), {"e": self.email})
            self.user_id = int(found.scalar_one())
        return self.user_id

    def complete(self, module: str, lesson: str) -> Any:
        """Press "Mark complete" on a lesson page."""
        page = self.client.get(f"/modules/{module}/{lesson}")
        assert page.status_code == 200, page.status_code
        token = csrf_token(page.get_data(as_text=True))
        response = self.client.post(
            f"/modules/{module}/{lesson}/complete", data={"csrf_token": token}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return response


@pytest.fixture
def learner_of() -> Callable[[Flask], Learner]:
    """A registered, logged-in learner on the given app."""

    def make(app: Flask) -> Learner:
        learner = Learner(app)
        learner.register()
        return learner

    return make
