"""The database engine, one session per app context, and write transactions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from cocourse import page_versions

IMMEDIATE = "cocourse_immediate"
# Set in `Session.info` while `write` has a transaction open on that session.
WRITING = "cocourse.writing"
# In `Session.info`: (user id, unread notifications) as loaded with the logged-in person.
UNREAD = "cocourse.unread"


def make_engine(url: str, busy_timeout_ms: int = 15000) -> Engine:
    """Create an engine whose writes renew the page cache's tokens (`page_versions`);
    SQLite gets WAL, a busy timeout, foreign keys and explicit BEGINs."""
    if not url.startswith("sqlite"):
        engine = create_engine(url, pool_pre_ping=True)
        page_versions.track(engine)
        return engine
    engine = create_engine(url, connect_args={"timeout": busy_timeout_ms / 1000})
    page_versions.track(engine)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite would delay it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the lock up front so concurrent writers queue on busy_timeout
        # instead of failing with "database is locked" when upgrading a read lock.
        immediate = conn.get_execution_options().get(IMMEDIATE)
        # Straight to the driver: this runs for every transaction, and SQLAlchemy's
        # statement machinery adds nothing to a bare BEGIN.
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def upsert(session: Session) -> Callable[..., postgresql.Insert | sqlite.Insert]:
    """The session's dialect's INSERT, which knows ON CONFLICT (DO NOTHING, DO UPDATE)."""
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def init_app(app: Flask) -> None:
    """Create the app's engine and session factory and close sessions after each request."""
    engine = make_engine(app.config["DATABASE_URL"], app.config["SQLITE_BUSY_TIMEOUT_MS"])
    app.extensions["cocourse.engine"] = engine
    app.extensions["cocourse.sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(close_session)


def get_session() -> Session:
    """The session of the current app context, created on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["cocourse.sessionmaker"]()
    return g.db_session  # type: ignore[no-any-return]


def close_session(_exc: BaseException | None = None) -> None:
    """Close the app context's session, rolling back anything uncommitted."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


@contextmanager
def write(session: Session) -> Iterator[Session]:
    """Run a block in its own write transaction: commit on success, roll back on error.

    A read transaction already open on the session is ended first, so that SQLite's
    write lock is taken when the transaction begins rather than by upgrading later.

    Writes do not nest: `write` inside another `write` on the same session raises
    RuntimeError (and the outer block then rolls back) rather than committing the outer
    transaction half-way. A service whose work must also run inside a caller's transaction
    offers that work as a function that opens none (such as `progress.record_completion`).
    """
    if session.info.get(WRITING):
        raise RuntimeError(
            "db.write() is already open on this session: write transactions do not nest; "
            "call code that works inside the caller's transaction instead"
        )
    if session.in_transaction():
        session.commit()
    session.info[WRITING] = True
    try:
        session.connection(execution_options={IMMEDIATE: True})
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(WRITING, None)
