"""Forwarding the activity log to a real learning record store: ralph's LRS (ralph-malph
5.1, file-system backend set to append, see `lrs/ralph_append.py`) started on loopback with
the Python of a venv of its own, named by `RALPH_PYTHON` (`.ci/run` makes it; its pins clash
with ours).

The forwarding job runs as the worker runs it (`run_job`); what the store holds is read
back through its own xAPI API.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select, update

from cocourse.learning import activity
from cocourse.mail.worker import run_job, scheduled_jobs
from cocourse.models import ActivityEvent, LrsForwarding

from .conftest import COURSE, AuthActions, admin_client_of, csrf_token, make_app

RALPH_PYTHON = os.environ.get("RALPH_PYTHON", "")
RALPH = [RALPH_PYTHON, str(Path(__file__).parent / "lrs" / "ralph_append.py")]
USER, PASSWORD = "cocourse", "a-password-for-the-test-store"
SITE = "https://learn.example.org"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Ralph:
    """ralph's LRS on a loopback port, with its statements in a folder; can stop and start."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}/xAPI/"
        self.env = {
            **os.environ,
            "RALPH_APP_DIR": str(folder / "app"),
            "RALPH_AUTH_FILE": str(folder / "auth.json"),
            "RALPH_RUNSERVER_BACKEND": "fs",
            "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(folder / "statements"),
        }
        self.log = folder / "ralph.log"
        self.process: subprocess.Popen[bytes] | None = None
        subprocess.run(  # noqa: S603 - our own arguments
            [
                *RALPH,
                "auth",
                "-u",
                USER,
                "-p",
                PASSWORD,
                "-s",
                "all",
                "-M",
                "mailto:lrs@example.org",
                "-w",
            ],
            env=self.env,
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own arguments
                [*RALPH, "serve", "127.0.0.1", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/__heartbeat__", timeout=2).ok:
                    return
            except requests.ConnectionError:
                time.sleep(0.3)
        raise AssertionError(f"ralph did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def statements(self) -> dict[str, dict[str, Any]]:
        """Every statement the store holds, by id, read through its xAPI API."""
        found: dict[str, dict[str, Any]] = {}
        url = f"{self.endpoint}statements?limit=500"
        while url:
            page = requests.get(url, auth=(USER, PASSWORD), headers=XAPI, timeout=10).json()
            found.update({s["id"]: s for s in page["statements"]})
            more = page.get("more")
            url = f"http://127.0.0.1:{self.port}{more}" if more else ""
        return found

    def post(self, statement: dict[str, Any]) -> int:
        response = requests.post(
            f"{self.endpoint}statements",
            json=statement,
            auth=(USER, PASSWORD),
            headers=XAPI,
            timeout=10,
        )
        return response.status_code


XAPI = {"X-Experience-API-Version": "1.0.3"}


@pytest.fixture
def ralph(tmp_path) -> Iterator[Ralph]:
    if not RALPH_PYTHON or not Path(RALPH_PYTHON).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("ralph's LRS is missing (RALPH_PYTHON): .ci/run installs it")
        pytest.skip("ralph's LRS is not installed (RALPH_PYTHON, see .ci/run)")
    store = Ralph(tmp_path / "ralph")
    store.start()
    yield store
    store.stop()


@pytest.fixture
def setup(engine, database_url, tmp_path, session, ralph) -> Any:
    course = tmp_path / "course"
    subprocess.run(["cp", "-r", str(COURSE), str(course)], check=True)  # noqa: S607
    app = make_app(
        database_url,
        tmp_path,
        CONTENT_DIR=str(course),
        PUBLIC_URL=SITE,
        PLUGIN_SETTINGS={
            "lrs": {
                "endpoint": ralph.endpoint,
                "username": USER,
                "password": PASSWORD,
                "batch_size": 2,  # several batches in one run
            }
        },
    )
    client = app.test_client()
    auth = AuthActions(client, session)
    learner = auth.create()
    auth.login()
    return app, client, learner, course


def forward(app: Any) -> int:
    (job,) = [job for job in scheduled_jobs(app) if job.name == "lrs.forward"]
    return run_job(app, job)


def state(session: Any) -> LrsForwarding:
    session.rollback()
    found = session.scalar(select(LrsForwarding).execution_options(populate_existing=True))
    assert found is not None
    return found


def add(session: Any, user_id: int, verb: str, kind: str, object_id: str) -> int:
    activity.record(session, user_id, [activity.Event(verb, kind, object_id)])
    session.commit()
    return int(session.scalar(select(ActivityEvent.id).order_by(ActivityEvent.id.desc())))


def test_statements_reach_the_store_once_in_order_and_survive_edits(setup, session, ralph):
    app, client, learner, course = setup
    for lesson in ("first", "second"):
        assert client.get(f"/modules/intro/{lesson}").status_code == 200
    add(session, learner.id, "completed", "module", "intro")
    assert forward(app) == 3
    held = ralph.statements()
    assert len(held) == 3
    ours = {
        str(activity.statement_id(f"{SITE}/", event_id))
        for event_id in session.scalars(select(ActivityEvent.id))
    }
    assert set(held) == ours
    assert state(session).sent == 3 and state(session).last_error is None
    assert forward(app) == 0  # nothing is sent twice

    # A lesson renamed after its statements were sent: they are not sent again, and a new
    # event's statement goes with the new title.
    first = course / "intro" / "01-first.md"
    first.write_text(first.read_text().replace("First lesson", "The very first lesson"))
    assert app.extensions["cocourse.course"].reload() == ()
    add(session, learner.id, "completed", "lesson", "intro/first")
    assert forward(app) == 1
    held = ralph.statements()
    titles = sorted(s["object"]["definition"]["name"]["en-US"] for s in held.values())
    assert titles == ["First lesson", "Introduction", "Second lesson", "The very first lesson"]

    # A lost position (a restored backup, say): everything goes again, and the store takes
    # the statements as the duplicates they are.
    session.rollback()  # a fresh transaction: SQLite cannot write from an old snapshot
    session.execute(update(LrsForwarding).values(last_event_id=0))
    session.commit()
    assert forward(app) == 4
    assert state(session).conflicts == 0 and len(ralph.statements()) == 4


def test_a_store_that_is_down_keeps_the_position_and_the_next_run_sends(setup, session, ralph):
    app, _client, learner, _course = setup
    add(session, learner.id, "completed", "module", "intro")
    ralph.stop()
    assert forward(app) == 0
    down = state(session)
    assert down.last_event_id == 0 and "could not be reached" in (down.last_error or "")
    admin = admin_client_of(app, session)
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "Learning record store" in page and "1 waiting" in page
    assert "could not be reached" in page
    ralph.start()
    # The admin does not wait for the next minute: "Send now" on the People page.
    token = csrf_token(page)
    sent = admin.post("/admin/lrs/send", data={"csrf_token": token}, follow_redirects=True)
    assert "1 statement(s) sent." in sent.get_data(as_text=True)
    assert len(ralph.statements()) == 1 and state(session).sent == 1
    assert forward(app) == 0
    learner = app.test_client()
    AuthActions(learner, session).login()
    own = csrf_token(learner.get("/modules/intro/first").get_data(as_text=True))
    assert learner.post("/admin/lrs/send", data={"csrf_token": own}).status_code == 403


def test_a_differing_statement_in_the_store_is_reported_and_the_rest_go_through(
    setup, session, ralph
):
    app, _client, learner, _course = setup
    first = add(session, learner.id, "completed", "module", "intro")
    add(session, learner.id, "completed", "module", "second")
    # Someone else put a different statement under the first event's id.
    taken = str(activity.statement_id(f"{SITE}/", first))
    other = {
        "id": taken,
        "actor": {"objectType": "Agent", "mbox": "mailto:someone@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"objectType": "Activity", "id": f"{SITE}/modules/other"},
    }
    assert ralph.post(other) == 200
    assert forward(app) == 1
    found = state(session)
    assert found.conflicts == 1 and taken in (found.last_error or "")
    assert found.last_event_id > first
    held = ralph.statements()
    assert held[taken]["object"]["id"] == f"{SITE}/modules/other"  # theirs, not replaced
    assert len(held) == 2


def test_without_an_endpoint_there_is_no_job_and_no_panel(engine, database_url, tmp_path, session):
    app = make_app(database_url, tmp_path)
    assert [job.name for job in scheduled_jobs(app) if job.name.startswith("lrs")] == []
    admin = admin_client_of(app, session)
    assert "Learning record store" not in admin.get("/admin/users").get_data(as_text=True)
    assert admin.post("/admin/lrs/send").status_code == 404


def test_statement_json_is_what_was_stored(setup, session, ralph):
    app, _client, learner, _course = setup
    event_id = add(session, learner.id, "completed", "module", "intro")
    assert forward(app) == 1
    session.rollback()
    stored = session.scalar(select(ActivityEvent.statement).where(ActivityEvent.id == event_id))
    assert stored is not None
    held = ralph.statements()[json.loads(stored)["id"]]
    assert held["context"]["platform"] == "cocourse"
