"""Rate limits shared between processes and hosts: with Flask-Limiter's Redis storage, two
worker processes count against one limit; with the in-memory default each process counts
alone, which is why several workers multiply a limit. Each worker here is a process of its
own, running the app as `create_app()` builds it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import COURSE
from .test_mail import redis_url  # noqa: F401 (the fixture: a real Redis on loopback)

WORKER = """
import json, sys
from cocourse import create_app
settings = json.loads(sys.argv[1])
app = create_app(settings)
client = app.test_client()
print(json.dumps([client.get("/verify/" + "x" * 43).status_code for _ in range(int(sys.argv[2]))]))
"""


def worker(database_url, folder, storage, requests):
    """The status codes a worker process gets for `requests` verifications in a row."""
    settings = {
        "SECRET_KEY": "a-shared-secret-for-both-workers-0123456789",
        "DATABASE_URL": database_url,
        "CONTENT_DIR": str(COURSE),
        "INSTANCE_PATH": str(folder),
        "RATELIMIT_STORAGE_URI": storage,
        "VERIFY_RATE_LIMIT": "3 per minute",
    }
    done = subprocess.run(  # noqa: S603 - our own arguments
        [sys.executable, "-c", WORKER, json.dumps(settings), str(requests)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("storage", "second"),
    [("redis", [404, 429]), ("memory://", [404, 404])],
    ids=["redis-shares", "memory-counts-alone"],
)
def test_two_worker_processes_and_one_limit(
    engine,
    database_url,
    tmp_path,
    request,
    storage,
    second,
):
    url = request.getfixturevalue("redis_url") if storage == "redis" else storage
    assert worker(database_url, tmp_path / "a", url, 2) == [404, 404]
    # The same address on a second worker: its third request of the minute is the last
    # allowed only if the first worker's two count too.
    assert worker(database_url, tmp_path / "b", url, 2) == second
