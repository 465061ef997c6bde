"""`cocourse backup` and `cocourse restore`: a backup taken while the servers write restores
into a fresh instance with people, progress, attempts and certificates as they were."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

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


def cocourse(instance: Path, *args: str, wait: bool = True) -> subprocess.Popen[str]:
    """Run the cocourse command for an instance folder with an SQLite database in it."""
    env = {
        **os.environ,
        "COCOURSE_INSTANCE_PATH": str(instance),
        "DATABASE_URL": f"sqlite:///{instance / 'cocourse.sqlite3'}",
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


def rows(database: Path, table: str, column: str, owners: set[int]) -> list[tuple[object, ...]]:
    """The rows of `table` owned by `owners`, in a stable order."""
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        found = db.execute(f'SELECT * FROM "{table}" ORDER BY 1').fetchall()  # noqa: S608
        names = [d[0] for d in db.execute(f'SELECT * FROM "{table}" LIMIT 0').description]  # noqa: S608
    at = names.index(column)
    return [row for row in found if row[at] in owners]


def people(database: Path) -> set[int]:
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        return {row[0] for row in db.execute('SELECT id FROM "user"')}


def synthetic_people(database: Path, seed: int) -> int:
    with closing(sqlite3.connect(database, timeout=30)) as db:
        query = 'SELECT count(*) FROM "user" WHERE email LIKE ?'
        return int(db.execute(query, (f"%@seed{seed}.example.org",)).fetchone()[0])


def test_a_backup_taken_during_writes_restores_whole_into_a_fresh_instance(tmp_path):
    live = tmp_path / "live"
    cocourse(live, "db", "upgrade")
    cocourse(live, "synthetic", "--learners", "200", "--seed", "1")
    database = live / "cocourse.sqlite3"
    earlier = people(database)  # with their certificates, none of them changed below
    # A second run writes people and their progress in a transaction per batch while the
    # backup is taken.
    writer = cocourse(live, "synthetic", "--learners", "1500", "--seed", "2", "--force", wait=False)
    try:
        deadline = time.monotonic() + 120
        while synthetic_people(database, 2) == 0:
            assert writer.poll() is None, writer.communicate()[0]
            assert time.monotonic() < deadline, "the writer wrote nothing"
            time.sleep(0.05)
        cocourse(live, "backup", str(tmp_path / "backup.sqlite3"))
        still_writing = writer.poll() is None
    finally:
        output, _ = writer.communicate(timeout=300)
    assert writer.returncode == 0, output
    assert still_writing, "the writer ended before the backup: not a backup during writes"
    copied = synthetic_people(tmp_path / "backup.sqlite3", 2)
    assert 0 < copied < synthetic_people(database, 2)

    fresh = tmp_path / "fresh"
    cocourse(fresh, "restore", str(tmp_path / "backup.sqlite3"))
    restored_db = fresh / "cocourse.sqlite3"
    owners = people(restored_db)
    assert owners < people(database)
    for table, column in OWNED.items():
        kept = rows(restored_db, table, column, owners)
        assert kept, f"nothing restored in {table}"
        assert kept == rows(database, table, column, owners), table
    certificates = rows(restored_db, "certificate", "user_id", earlier)
    assert certificates, "no certificate to compare"
    assert certificates == rows(database, "certificate", "user_id", earlier)

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
