"""`cocourse backup` and `cocourse restore`: a backup taken while the servers write restores
into a fresh instance with people, progress, attempts and certificates as they were."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy import Connection, create_engine, make_url, text

from cocourse import create_app
from cocourse.backup import BackupError, backup, restore, sqlite_path

# The rows `cocourse synthetic` writes with each person, in the same transaction, by table:
# a consistent backup holds all of a person's rows or none.
OWNED = {
    "user": "id",
    "lesson_completion": "user_id",
    "quiz_attempt": "user_id",
    "activity_event": "user_id",
    "cohort_member": "user_id",
}


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def cocourse(
    instance: Path, *args: str, wait: bool = True, database: str | None = None
) -> subprocess.Popen[str]:
    """Run the cocourse command for an instance folder, on its SQLite database unless
    `database` names another."""
    env = {
        **os.environ,
        "COCOURSE_INSTANCE_PATH": str(instance),
        "DATABASE_URL": database or sqlite_url(instance / "cocourse.sqlite3"),
        "COCOURSE_SECRET_KEY": "backup-test",
    }
    command = [sys.executable, "-c", "from cocourse.cli import main; main()", *args]
    process = subprocess.Popen(  # noqa: S603 - our own command
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    if wait:
        output, _ = process.communicate(timeout=300)
        assert process.returncode == 0, output
    return process


@contextmanager
def reading(url: str) -> Iterator[Connection]:
    """A connection to a database, closed afterwards (a plain engine: no pragma is set)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def rows(url: str, table: str, column: str, owners: set[int]) -> list[tuple[object, ...]]:
    """The rows of `table` owned by `owners`, in a stable order."""
    with reading(url) as db:
        found = db.execute(text(f'SELECT * FROM "{table}" ORDER BY 1'))  # noqa: S608
        at = list(found.keys()).index(column)
        return [tuple(row) for row in found if row[at] in owners]


def people(url: str) -> set[int]:
    with reading(url) as db:
        return {row[0] for row in db.execute(text('SELECT id FROM "user"'))}


def synthetic_people(url: str, seed: int) -> int:
    with reading(url) as db:
        query = text('SELECT count(*) FROM "user" WHERE email LIKE :domain')
        return int(db.scalar(query, {"domain": f"%@seed{seed}.example.org"}))


def backup_during_writes(
    live: Path, take: Callable[[], None], database: str | None = None
) -> tuple[str, set[int]]:
    """Fill the database with synthetic people, then `take` a backup while a second run
    writes more in a transaction per batch; the database's URL and the people who were
    there before the second run (their certificates do not change during it)."""
    url = database or sqlite_url(live / "cocourse.sqlite3")
    cocourse(live, "db", "upgrade", database=database)
    cocourse(live, "synthetic", "--learners", "200", "--seed", "1", "--force", database=database)
    earlier = people(url)
    more = ("synthetic", "--learners", "1500", "--seed", "2", "--force")
    writer = cocourse(live, *more, wait=False, database=database)
    try:
        deadline = time.monotonic() + 120
        while synthetic_people(url, 2) == 0:
            assert writer.poll() is None, writer.communicate()[0]
            assert time.monotonic() < deadline, "the writer wrote nothing"
            time.sleep(0.05)
        take()
        still_writing = writer.poll() is None
    finally:
        output, _ = writer.communicate(timeout=300)
    assert writer.returncode == 0, output
    assert still_writing, "the writer ended before the backup: not a backup during writes"
    return url, earlier


def same_people(restored: str, live: str, earlier: set[int]) -> None:
    """The restored database holds some of the second run's people, each with every row
    they had, and the first run's certificates as they were."""
    assert 0 < synthetic_people(restored, 2) < synthetic_people(live, 2)
    owners = people(restored)
    assert owners < people(live)
    for table, column in OWNED.items():
        kept = rows(restored, table, column, owners)
        assert kept, f"nothing restored in {table}"
        assert kept == rows(live, table, column, owners), table
    certificates = rows(restored, "certificate", "user_id", earlier)
    assert certificates, "no certificate to compare"
    assert certificates == rows(live, "certificate", "user_id", earlier)


def test_a_backup_taken_during_writes_restores_whole_into_a_fresh_instance(tmp_path):
    live = tmp_path / "live"
    url, earlier = backup_during_writes(
        live, lambda: cocourse(live, "backup", str(tmp_path / "backup.sqlite3"))
    )
    fresh = tmp_path / "fresh"
    cocourse(fresh, "restore", str(tmp_path / "backup.sqlite3"))
    restored_db = fresh / "cocourse.sqlite3"
    same_people(sqlite_url(restored_db), url, earlier)

    # The fresh instance serves the restored data: a certificate verifies there.
    with closing(sqlite3.connect(restored_db)) as db:
        code = db.execute("SELECT code FROM certificate LIMIT 1").fetchone()[0]
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "fresh",
            "DATABASE_URL": f"sqlite:///{restored_db}",
            "INSTANCE_PATH": str(fresh),
        }
    )
    try:
        page = app.test_client().get(f"/verify/{code}")
        assert page.status_code == 200
        assert "valid" in page.get_data(as_text=True).lower()
    finally:
        app.extensions["cocourse.engine"].dispose()


def test_restore_refuses_a_damaged_file_and_keeps_the_database(tmp_path):
    live = tmp_path / "live"
    cocourse(live, "db", "upgrade")
    url = f"sqlite:///{live / 'cocourse.sqlite3'}"
    summary = backup(url, tmp_path / "good.sqlite3")
    assert summary.rows["user"] == 0 and summary.revision

    damaged = tmp_path / "damaged.sqlite3"
    data = bytearray((tmp_path / "good.sqlite3").read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)
    damaged.write_bytes(bytes(data))
    before = (live / "cocourse.sqlite3").read_bytes()
    with pytest.raises(BackupError, match="damaged|not a readable|not a cocourse"):
        restore(damaged, url, replace=True)
    assert (live / "cocourse.sqlite3").read_bytes() == before
    assert [p.name for p in live.iterdir() if p.name.startswith(".")] == []

    other = tmp_path / "other.sqlite3"
    with closing(sqlite3.connect(other)) as db:
        db.execute("CREATE TABLE notes (body TEXT)")
    with pytest.raises(BackupError, match="not a cocourse database"):
        restore(other, url, replace=True)
    with pytest.raises(BackupError, match="exists"):
        restore(tmp_path / "good.sqlite3", url)
    with pytest.raises(BackupError, match="exists already"):
        backup(url, tmp_path / "good.sqlite3")
    restore(tmp_path / "good.sqlite3", url, replace=True)


def test_backup_of_another_database_points_to_its_own_tools():
    with pytest.raises(BackupError, match="pg_dump"):
        sqlite_path("postgresql+psycopg://someone@127.0.0.1/cocourse")
    with pytest.raises(BackupError, match="memory"):
        sqlite_path("sqlite://")


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
    reason="the PostgreSQL procedure is checked in the PostgreSQL pass (DATABASE_URL)",
)
def test_the_postgresql_procedure_restores_a_dump_taken_during_writes(engine, tmp_path):
    """docs/operations.md's pg_dump and pg_restore, on a dump taken while people are written."""
    live_url = os.environ["DATABASE_URL"]
    tools = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    pg_dump = shutil.which("pg_dump") or str(tools[-1] / "pg_dump")
    pg_restore = shutil.which("pg_restore") or str(tools[-1] / "pg_restore")
    libpq = make_url(live_url).set(drivername="postgresql")
    dump = tmp_path / "cocourse.dump"

    def take() -> None:
        subprocess.run(  # noqa: S603 - our own arguments
            [pg_dump, "--format=custom", f"--file={dump}", libpq.render_as_string(False)],
            check=True,
            capture_output=True,
            timeout=300,
        )

    live, earlier = backup_during_writes(tmp_path / "live", take, database=live_url)
    name = f"cocourse_restore_{uuid4().hex[:8]}"
    admin = create_engine(live_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        fresh = make_url(live_url).set(database=name)
        subprocess.run(  # noqa: S603 - our own arguments
            [
                pg_restore,
                "--no-owner",
                f"--dbname={fresh.set(drivername='postgresql').render_as_string(False)}",
                str(dump),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
        same_people(fresh.render_as_string(False), live, earlier)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
