"""Backups of an SQLite database, taken while the servers write, and their restore.

`backup` copies the database through SQLite's online backup API in one step: the copy is
the database as one read transaction saw it, so a backup taken during writes holds every
transaction that had committed before it began and none that had not. The copy is checked
(`PRAGMA integrity_check`), turned into a single self-contained file (no write-ahead log),
flushed to disk and only then renamed to its name: an interrupted backup leaves no file
that looks whole.

`restore` checks a backup the same way and that it is a cocourse database, then puts it in
place of the configured database file atomically. PostgreSQL has its own tools for both
(docs/operations.md, "Backups").
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from cocourse.content.words import Text, _

# The tables a summary counts: what an admin would check after a restore.
COUNTED = ("user", "lesson_completion", "quiz_attempt", "certificate")


class BackupError(RuntimeError):
    """The backup or restore cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Summary:
    """What a backup holds."""

    path: Path
    size: int
    revision: str
    rows: dict[str, int]

    def text(self) -> Text:
        """What was copied, to print: the file, its size, schema and rows per table."""
        counts = ", ".join(f"{count} {table}" for table, count in self.rows.items())
        return _(
            "%(path)s (%(size)s bytes, schema %(revision)s): %(counts)s",
            path=str(self.path),
            size=format(self.size, ","),
            revision=self.revision,
            counts=counts,
        )

    def __str__(self) -> str:
        return str(self.text())


def sqlite_path(database_url: str) -> Path:
    """The file of an SQLite URL; BackupError for any other database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupError(
            _(
                "cocourse backup copies SQLite databases; this one is %(backend)s. Use the "
                "database's own tools (pg_dump for PostgreSQL): see docs/operations.md, Backups.",
                backend=url.get_backend_name(),
            )
        )
    if not url.database or url.database == ":memory:":
        raise BackupError(_("The database is in memory: there is nothing on disk to back up."))
    return Path(url.database)


def backup(database_url: str, target: Path) -> Summary:
    """Copy the database to `target` (a new file) while it may be in use."""
    source = sqlite_path(database_url)
    if not source.is_file():
        raise BackupError(_("%(path)s: no database file here.", path=str(source)))
    if target.exists():
        raise BackupError(_("%(path)s exists already; name a new file.", path=str(target)))
    with _new_file(target) as temporary:
        with (
            closing(sqlite3.connect(source, timeout=30)) as live,
            closing(sqlite3.connect(temporary)) as copy,
        ):
            # pages=-1: every page in one step, within one read transaction.
            live.backup(copy, pages=-1)
            copy.execute("PRAGMA journal_mode=DELETE")
        return _check(temporary, target)


def restore(backup_file: Path, database_url: str, replace: bool = False) -> Summary:
    """Put a checked backup in place of the configured database file."""
    target = sqlite_path(database_url)
    if not backup_file.is_file():
        raise BackupError(_("%(path)s: no such file.", path=str(backup_file)))
    if target.exists() and not replace:
        raise BackupError(
            _(
                "%(path)s exists: stop the servers and workers, then restore with --replace "
                "(the current database is then lost unless you back it up first).",
                path=str(target),
            )
        )
    with _new_file(target) as temporary:
        with (
            closing(sqlite3.connect(backup_file)) as source,
            closing(sqlite3.connect(temporary)) as copy,
        ):
            source.backup(copy, pages=-1)
        summary = _check(temporary, backup_file)
        for stale in (Path(f"{target}-wal"), Path(f"{target}-shm")):
            stale.unlink(missing_ok=True)  # they belong to the database being replaced
    return Summary(target, summary.size, summary.revision, summary.rows)


@contextmanager
def _new_file(target: Path) -> Iterator[Path]:
    """A temporary file beside `target`, renamed to it when the block ends without error,
    removed otherwise."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, target)
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    finally:
        temporary.unlink(missing_ok=True)


def _check(path: Path, named: Path) -> Summary:
    """Integrity, schema revision and row counts of a database file; BackupError if it is
    damaged or not a cocourse database. `named` is the name used in messages."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
            if verdict != "ok":
                message = _(
                    "%(path)s: the database is damaged (%(verdict)s).",
                    path=str(named),
                    verdict=verdict,
                )
                raise BackupError(message)
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            if "alembic_version" not in tables or not set(COUNTED) <= tables:
                raise BackupError(_("%(path)s: not a cocourse database.", path=str(named)))
            revision = db.execute("SELECT version_num FROM alembic_version").fetchone()[0]
            rows = {
                table: db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608 - fixed names
                for table in COUNTED
            }
    except sqlite3.DatabaseError as exc:
        message = _(
            "%(path)s: not a readable SQLite database (%(error)s).", path=str(named), error=str(exc)
        )
        raise BackupError(message) from exc
    return Summary(named, path.stat().st_size, str(revision), rows)
