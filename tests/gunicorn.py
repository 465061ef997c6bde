"""The app served as in production, for tests: gunicorn with several worker processes,
its access log naming the worker (process id) that answered each request."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Served:
    """gunicorn's address, and which worker process answered each request (its access log)."""

    def __init__(self, base: str, log: Path, errors: Path) -> None:
        self.base, self.log, self.errors = base, log, errors

    def lines(self) -> list[tuple[str, str]]:
        """(worker pid, request line) of every request answered so far."""
        found = []
        for line in self.log.read_text(encoding="utf-8").splitlines():
            pid, _, request = line.partition(" ")
            found.append((pid, request))
        return found

    def worker_of(self, probe: str) -> str | None:
        for pid, request in self.lines():
            if f"probe={probe} " in request + " ":
                return pid
        return None


@contextmanager
def serve(folder: Path, env: dict[str, str], workers: int = 2) -> Iterator[Served]:
    """gunicorn serving `create_app()` with `env` added to the environment, until the block
    ends; its access log and standard error are files in `folder`."""
    port, log, errors = free_port(), folder / "access.log", folder / "gunicorn.err"
    with open(errors, "w") as stderr:
        server = subprocess.Popen(  # noqa: S603 - our own arguments
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                str(workers),
                "-b",
                f"127.0.0.1:{port}",
                "--access-logfile",
                str(log),
                "--access-logformat",
                "%(p)s %(r)s %(s)s",
                "cocourse:create_app()",
            ],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                        break
                except requests.RequestException:  # not listening yet, or still starting
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail(errors.read_text()[-3000:])
                time.sleep(0.2)
            yield Served(base, log, errors)
        finally:
            server.terminate()
            server.wait(timeout=30)
