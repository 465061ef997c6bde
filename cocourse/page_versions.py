"""Which pages a write can change, as tokens in the database: what the page cache
(`cocourse.web.page_cache`) keys learners' pages by, so that no cached page outlives a change.

Every write transaction on a tracked engine replaces, in the same transaction, the random token
of each scope it touched (the `page_version` table):

- scope `EVERYONE` (0), for a write any page may show: a workshop, a cohort, a person's name
  or role, a plugin's table, anything not listed below;
- scope N, for a write to a row that only person N's pages show (`PERSONAL`: their
  completions, attempts, lesson views and notifications);
- nothing, for tables no cached page shows (`UNSEEN`: login sessions, which the cache checks
  on every request instead, the outbox, throttles, the audit log, stored files...).

Writes are seen at two levels. The ORM's flush reports the objects it writes, so a
person's row names its scope. Every other statement is seen as it runs: an INSERT into a
personal table names its people in its values, an UPDATE or DELETE of one names its
person when its WHERE requires `user_id = <value>`; any other write names everyone. Nothing
can write without being seen, short of SQL typed outside the app (which the cache's expiry
bounds). Tokens are random, so a database restored from a backup never meets a cached page
made from other data under the same token.

The tokens are renewed just before the transaction commits, on the transaction's own
connection: a page whose tokens were read before its data is never newer in its key than
in its content. Scopes are renewed in order, so two transactions never wait on each
other's tokens in a circle (PostgreSQL's row locks).
"""

from __future__ import annotations

import re
import secrets
import weakref
from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import chain
from typing import Any

from sqlalchemy import Engine, bindparam, event, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, BindParameter, BooleanClauseList

from cocourse.models import LoginSession, PageVersion, User, UTCDateTime

EVERYONE = 0
# An execution option: statements on a connection that carries it renew no token
# (migrations: servers restart on an upgrade, and the table may not exist yet).
UNTRACKED = "cocourse_pages_untracked"
# Rows only their own person's pages show, by `user_id`.
PERSONAL = frozenset({"lesson_completion", "quiz_attempt", "activity_event", "notification"})
# Rows no cached page shows.
UNSEEN = frozenset(
    {
        "page_version",
        "login_session",
        "remember_token",
        "login_throttle",
        "account_token",
        "mail_outbox",
        "audit_entry",
        "content_signal",
        "stored_file",
        "quiz_item_attempt",
        "quiz_item_response",
        "module_step",
        "lrs_forwarding",
        "lti_launch_value",
    }
)
# SQL text that changes rows starts with one of these (a WITH may too). Schema changes
# change no row a page shows, and a server restarts after one.
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE", "TRUNCATE", "COPY", "WITH")
_USER_PARAM = re.compile(r"user_id(_m\d+)?")
# In a DBAPI connection's `info`: the scopes its open transaction touched, and whether an
# ORM flush is running on it (whose objects name their scopes).
_PENDING = "cocourse.pages.pending"
_FLUSHING = "cocourse.pages.flushing"
_TRACKED: weakref.WeakSet[Engine] = weakref.WeakSet()


def track(engine: Engine) -> None:
    """Renew page tokens for every write made through `engine` (once per engine)."""
    if engine in _TRACKED:
        return
    _TRACKED.add(engine)
    event.listen(engine, "after_cursor_execute", _statement)
    event.listen(engine, "commit", _commit)
    event.listen(engine, "rollback", _forget)
    # A flush that fails inside a savepoint ends there, without its after-flush event.
    event.listen(engine, "rollback_savepoint", _flush_failed)


def _tracked(connection: Connection) -> bool:
    return connection.engine in _TRACKED and not connection.get_execution_options().get(UNTRACKED)


def scope_of(table: str, user_id: object) -> int | None:
    """The scope a row of `table` belongs to (None: no cached page shows it)."""
    if table in UNSEEN:
        return None
    if table in PERSONAL and isinstance(user_id, int):
        return user_id
    return EVERYONE


def _touch(connection: Connection, scopes: Iterable[int | None]) -> None:
    pending: set[int] = connection.info.setdefault(_PENDING, set())
    pending.update(scope for scope in scopes if scope is not None)


@event.listens_for(Session, "before_flush")
def _flush_starts(session: Session, _context: Any, _instances: Any) -> None:
    connection = session.connection()
    if not _tracked(connection):
        return
    objects = chain(session.new, session.dirty, session.deleted)
    _touch(connection, (scope_of(o.__table__.name, getattr(o, "user_id", None)) for o in objects))
    connection.info[_FLUSHING] = True


@event.listens_for(Session, "after_flush_postexec")
def _flush_ends(session: Session, _context: Any) -> None:
    session.connection().info.pop(_FLUSHING, None)


def _statement(
    connection: Connection,
    _cursor: Any,
    statement: str,
    _parameters: Any,
    context: Any,
    _executemany: bool,
) -> None:
    if not _tracked(connection):
        return
    if context is not None and (context.isinsert or context.isupdate or context.isdelete):
        table = getattr(getattr(context.compiled, "statement", None), "table", None)
        name = getattr(table, "name", None)
        if name in UNSEEN:
            return
        if name in PERSONAL:
            if connection.info.get(_FLUSHING):
                return  # the flush named the scopes of its objects
            if context.isinsert:
                people = _inserted_people(context)
            else:
                person = _only_person(context.compiled.statement, name)
                people = None if person is None else {person}
            if people:
                _touch(connection, people)
                return
        _touch(connection, (EVERYONE,))
    elif statement.lstrip()[:8].upper().startswith(_WRITES):
        _touch(connection, (EVERYONE,))  # SQL text that writes


def _inserted_people(context: Any) -> set[int] | None:
    """The `user_id` of every row an INSERT ... VALUES writes; None when any row's is not
    a plain value (INSERT ... SELECT, or a row without one)."""
    people: set[int] = set()
    for params in context.compiled_parameters or ():
        found = [value for key, value in params.items() if _USER_PARAM.fullmatch(key)]
        if not found or not all(isinstance(value, int) for value in found):
            return None
        people.update(found)
    return people or None


def _only_person(statement: Any, table: str) -> int | None:
    """The person whose rows an UPDATE or DELETE changes when its WHERE requires
    `user_id = <value>` of the table itself (alone, or AND-ed with other conditions: every
    row it changes is then that person's); None otherwise."""
    where: Any = getattr(statement, "whereclause", None)
    anded = isinstance(where, BooleanClauseList) and where.operator is operators.and_
    for term in where.clauses if anded else [where]:
        if (
            isinstance(term, BinaryExpression)
            and term.operator is operators.eq
            and getattr(term.left, "name", None) == "user_id"
            and getattr(getattr(term.left, "table", None), "name", None) == table
            and isinstance(term.right, BindParameter)
            and isinstance(term.right.effective_value, int)
        ):
            return int(term.right.effective_value)
    return None


def _commit(connection: Connection) -> None:
    pending: set[int] | None = connection.info.pop(_PENDING, None)
    connection.info.pop(_FLUSHING, None)
    if pending:
        renew(connection, pending)


def _flush_failed(connection: Connection, _name: Any, _context: Any) -> None:
    connection.info.pop(_FLUSHING, None)


def _forget(connection: Connection) -> None:
    connection.info.pop(_PENDING, None)
    connection.info.pop(_FLUSHING, None)


def renew(connection: Connection, scopes: Iterable[int]) -> None:
    """Give each scope a new token, on the connection's open transaction (straight to the
    driver: this runs while SQLAlchemy commits)."""
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO page_version (scope, token) VALUES ({mark}, {mark}) "  # noqa: S608
        "ON CONFLICT (scope) DO UPDATE SET token = excluded.token"
    )
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for scope in sorted(scopes):
            cursor.execute(sql, (scope, secrets.token_hex(16)))
    finally:
        cursor.close()


# A compiled statement: its SQL, its default parameters, their order (None: by name).
Prepared = tuple[str, dict[str, Any], tuple[str, ...] | None]
# A live login session: (person id, role, everyone's token, the person's token).
Live = tuple[int, str, str | None, str | None]


class Reader:
    """Reads, in one statement on a pooled connection of its own, what the page cache needs
    to know about a request: the tokens, and for a logged-in request whether its login
    session is live and whose it is. Compiled once; run straight on the driver (SQLAlchemy's
    statement machinery would cost more than the query)."""

    def __init__(self, engine: Engine, seen_every: timedelta) -> None:
        self.engine, self.seen_every = engine, seen_every
        dialect = engine.dialect
        own = aliased(PageVersion)
        everyone = select(PageVersion.token).where(PageVersion.scope == EVERYONE)
        personal = select(own.token).where(own.scope == LoginSession.user_id)
        at = UTCDateTime()
        login = (
            select(
                LoginSession.user_id,
                User.role,
                everyone.scalar_subquery(),
                personal.scalar_subquery(),
            )
            .join(User, User.id == LoginSession.user_id)
            .where(
                LoginSession.id == bindparam("sid"),
                LoginSession.revoked_at.is_(None),
                LoginSession.expires_at > bindparam("now", type_=at),
                # A login session last seen long enough ago is noted as seen by the app.
                LoginSession.last_seen_at > bindparam("seen", type_=at),
                User.deactivated_at.is_(None),
            )
        )
        self._anonymous = self._prepare(everyone, dialect)
        self._login = self._prepare(login, dialect)
        self._time = at.bind_processor(dialect) or (lambda value: value)

    @staticmethod
    def _prepare(query: Any, dialect: Any) -> Prepared:
        compiled = query.compile(dialect=dialect)
        positions = tuple(compiled.positiontup) if compiled.positiontup else None
        return compiled.string, dict(compiled.params), positions

    def _run(self, prepared: Prepared, **values: Any) -> Any:
        sql, params, positions = prepared
        params = {**params, **values}
        arguments: Any = [params[name] for name in positions] if positions else params
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(sql, arguments)
            row = cursor.fetchone()
            cursor.close()
        finally:
            raw.close()
        return row

    def everyone(self) -> str | None:
        """The token of everyone's pages."""
        row = self._run(self._anonymous)
        return None if row is None else str(row[0])

    def login(self, token_hash: str, now: datetime) -> Live | None:
        """(person id, role, everyone's token, the person's token) for a live login session
        seen within `seen_every`, of an active account; None otherwise."""
        row = self._run(
            self._login,
            sid=token_hash,
            now=self._time(now),
            seen=self._time(now - self.seen_every),
        )
        return None if row is None else (int(row[0]), str(row[1]), row[2], row[3])
