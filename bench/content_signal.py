"""What one check of the content signal costs a server process: `latest()` of
DatabaseBroadcast (SQLite, or PostgreSQL with --postgresql) beside RedisBroadcast on a local
redis-server, in microseconds per call (median and 95th percentile of many calls).

    python bench/content_signal.py [--calls N] [--postgresql]

Every process makes one such check per CONTENT_WATCH_INTERVAL (1 s by default), on the
request that comes after it. Needs redis-server (Debian: redis-server); --postgresql also
needs PostgreSQL's server (Debian: postgresql) and starts a throwaway cluster as
deploy/stack.py does.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import logging
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cocourse.content_signal import DatabaseBroadcast, RedisBroadcast  # noqa: E402
from cocourse.db import make_engine  # noqa: E402
from cocourse.models import ContentSignal  # noqa: E402


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """A throwaway redis-server on loopback, as the tests and deploy/stack.py start it."""
    server = shutil.which("redis-server")
    if server is None:
        sys.exit("redis-server is not installed (Debian: apt-get install redis-server)")
    port = free_port()
    args = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    process = subprocess.Popen(
        [*args, "--appendonly", "no", "--dir", str(folder)], stdout=subprocess.DEVNULL
    )
    try:
        for _ in range(200):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.025)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextlib.contextmanager
def postgresql(folder: Path) -> Iterator[str]:
    """A throwaway PostgreSQL cluster, with deploy/stack.py's own helper."""
    spec = importlib.util.spec_from_file_location("cocourse_stack", ROOT / "deploy" / "stack.py")
    assert spec and spec.loader
    stack_module = sys.modules["cocourse_stack"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stack_module)
    stack = stack_module.Stack(folder, 0, "", "", {})
    try:
        yield stack_module._postgresql(stack)
    finally:
        stack.stop()


def timed(check: Callable[[], object], calls: int) -> tuple[float, float]:
    """Median and 95th percentile of `calls` calls, in microseconds, after a warm-up."""
    for _ in range(min(200, calls)):
        check()
    spent = []
    for _ in range(calls):
        started = time.perf_counter_ns()
        check()
        spent.append((time.perf_counter_ns() - started) / 1000)
    spent.sort()
    return statistics.median(spent), spent[int(len(spent) * 0.95)]


def database(url: str) -> DatabaseBroadcast:
    engine = make_engine(url)
    ContentSignal.__table__.create(engine, checkfirst=True)  # type: ignore[attr-defined]
    broadcast = DatabaseBroadcast(engine)
    broadcast.announce()
    return broadcast


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20000, help="timed calls per row")
    parser.add_argument("--postgresql", action="store_true", help="add PostgreSQL rows")
    options = parser.parse_args()
    rows: list[tuple[str, tuple[float, float]]] = []
    with (
        tempfile.TemporaryDirectory(prefix="cocourse-signal-") as folder,
        contextlib.ExitStack() as up,
    ):
        base = Path(folder)
        url = up.enter_context(redis_server(base))
        urls = {"SQLite": f"sqlite:///{base / 'signal.sqlite3'}"}
        if options.postgresql:
            urls["PostgreSQL"] = up.enter_context(postgresql(base / "pg"))
        for name, database_url in urls.items():
            db = database(database_url)
            rows.append((f"DatabaseBroadcast, {name}", timed(db.latest, options.calls)))
            # verify=inf: every timed call reads Redis alone (by default, one call in 30 s
            # also reads the database).
            redis = RedisBroadcast(url, db, verify=float("inf"))
            redis.announce()
            rows.append((f"RedisBroadcast ({name} beside)", timed(redis.latest, options.calls)))
            redis.close()
            # Redis down: tried again every 5 s, the database answers in between. (Its one
            # warning would land in the middle of the table.)
            logging.getLogger("cocourse.content").setLevel(logging.ERROR)
            down = RedisBroadcast(f"redis://127.0.0.1:{free_port()}/0", db)
            rows.append((f"  Redis down: {name} answers", timed(down.latest, options.calls)))
            down.close()
            db.engine.dispose()
    print(f"Python {platform.python_version()}, {platform.machine()}, {options.calls} calls a row")
    print(f"{'latest() of':<40} {'median µs':>10} {'p95 µs':>10}")
    for name, (median, p95) in rows:
        print(f"{name:<40} {median:>10.1f} {p95:>10.1f}")


if __name__ == "__main__":
    main()
