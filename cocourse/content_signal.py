"""Telling every server process, on every host, that the content changed: a token that a
change replaces and each process polls (every `CONTENT_WATCH_INTERVAL`).

The token lives in the database (`content_signal`, one row) and, when
`CONTENT_SIGNAL_REDIS_URL` is set, also in one Redis key, which the processes then poll
instead of the database (`RedisBroadcast`). The database stays the record: an announcement
writes it first, then Redis, so a process that cannot reach Redis reads the database and
misses nothing.

The processes of one host also share `instance/content.reload`; the broadcast reaches the
processes of the other hosts, which read the same content folder (shared storage).
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from datetime import datetime

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from cocourse.models import ContentSignal, utcnow

log = logging.getLogger("cocourse.content")
ROW = 1
KEY = "cocourse:content-signal"  # the Redis key: {"token": ..., "at": ISO 8601 time}
REDIS_TIMEOUT = 0.25  # seconds to connect to Redis or wait for its answer: never a hang
RETRY_SECONDS = 5.0  # after Redis failed, read the database this long before trying again
VERIFY_SECONDS = 30.0  # how often a process also compares the Redis key with the database

# Replace the key with ARGV[2] (delete it for "") only if it still holds what was read
# (ARGV[1]; "" for none, or a value of another type): never over an announcement made since.
_REPLACE_IF_UNCHANGED = """
local current = ''
if redis.call('TYPE', KEYS[1])['ok'] == 'string' then
  current = redis.call('GET', KEYS[1])
end
if current == ARGV[1] then
  if ARGV[2] == '' then
    redis.call('DEL', KEYS[1])
  else
    redis.call('SET', KEYS[1], ARGV[2])
  end
  return 1
end
return 0
"""

Signal = tuple[str, datetime]


class DatabaseBroadcast:
    """The token on an engine; a database that cannot be read gives None (and a warning),
    so a request never fails over it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def latest(self) -> Signal | None:
        try:
            with self.engine.connect() as connection:
                found = connection.execute(
                    select(ContentSignal.token, ContentSignal.at).where(ContentSignal.id == ROW)
                ).first()
        except SQLAlchemyError as exc:
            log.warning("could not read the content signal: %s", exc)
            return None
        return (str(found.token), found.at) if found else None

    def announce(self) -> str:
        """Replace the token; the new token."""
        token = secrets.token_hex(16)
        self.write(token, utcnow())
        return token

    def write(self, token: str, at: datetime) -> None:
        """Store this token and time (an error if the database cannot be written)."""
        for _ in range(2):  # the first announcement ever may race another: then update
            with self.engine.begin() as connection:
                changed = connection.execute(
                    update(ContentSignal).where(ContentSignal.id == ROW).values(token=token, at=at)
                )
            if changed.rowcount:
                return
            try:
                with self.engine.begin() as connection:
                    connection.execute(insert(ContentSignal).values(id=ROW, token=token, at=at))
                return
            except IntegrityError:
                continue

    def close(self) -> None:
        """Nothing to close: the engine is its owner's."""


def encode(found: Signal) -> str:
    """The Redis key's value for a token and its time."""
    token, at = found
    return json.dumps({"token": token, "at": at.isoformat()}, separators=(",", ":"))


def decode(raw: bytes | str) -> Signal | None:
    """A token and its time from the key's value; None for anything cocourse did not write."""
    try:
        value = json.loads(raw)
        token, at = value["token"], datetime.fromisoformat(value["at"])
    except (ValueError, TypeError, KeyError):
        return None
    if not isinstance(token, str) or not token or len(token) > 64 or at.tzinfo is None:
        return None
    return token, at


class RedisBroadcast:
    """The token in one Redis key, polled instead of the database; the database still gets
    every announcement and answers whenever Redis does not.

    - Redis down (or too slow): `latest()` reads the database, logs one warning for the
      outage, and tries Redis again after `retry` seconds; the first answer ends the outage
      (logged) and the key is brought up to date from the database.
    - An announcement writes the database, then the key. One that cannot reach Redis is in
      the database, which every process that cannot reach Redis reads; so that the others
      see it too, each process compares the key with the database at its first poll, after
      an outage, when the key is missing or holds something cocourse did not write, and
      every `verify` seconds, and copies the database's token into the key when they differ.
    """

    def __init__(
        self,
        url: str,
        database: DatabaseBroadcast,
        key: str = KEY,
        timeout: float = REDIS_TIMEOUT,
        retry: float = RETRY_SECONDS,
        verify: float = VERIFY_SECONDS,
    ) -> None:
        try:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry
        except ImportError as exc:
            raise RuntimeError(
                "CONTENT_SIGNAL_REDIS_URL needs the redis package (pip install redis)"
            ) from exc

        self.database, self.key = database, key
        self.retry, self.verify = retry, verify
        # One immediate retry: a pooled connection cut by a Redis restart reconnects
        # silently; no backoff, so a dead Redis costs at most two short timeouts.
        self.client = redis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 1),
        )
        self._replace = self.client.register_script(_REPLACE_IF_UNCHANGED)
        self._lock = threading.Lock()
        self._down_until: float | None = None  # an outage: when to try Redis again
        self._next_verify = 0.0  # 0: the first poll compares with the database
        self._stale = False  # something may have put the key behind the database
        self._had_token = False

    def latest(self) -> Signal | None:
        now = time.monotonic()
        with self._lock:
            waiting = self._down_until is not None and now < self._down_until
        if waiting:
            return self.database.latest()
        try:
            raw = self._read()
        except Exception as exc:  # a dead server, a refusal, a bug: the database answers
            self._failed(exc, now)
            return self.database.latest()
        self._answered()
        found = decode(raw) if raw else None
        garbage = raw is None or (raw != b"" and found is None)
        if raw and found is None:
            log.warning("the content signal in Redis is not one cocourse wrote: %.80r", raw)
        with self._lock:
            compare = (
                self._stale
                or now >= self._next_verify
                or garbage
                or (raw == b"" and self._had_token)  # the key vanished (Redis lost its data)
            )
            self._had_token = found is not None
            if compare:
                self._stale, self._next_verify = False, now + self.verify
        return self._compared(raw or b"", found, garbage) if compare else found

    def announce(self) -> str:
        """Replace the token, in the database and then in Redis; the new token."""
        token, at = secrets.token_hex(16), utcnow()
        self.database.write(token, at)
        try:
            self.client.set(self.key, encode((token, at)))
        except Exception as exc:
            self._failed(exc, time.monotonic())
            with self._lock:
                self._stale = True  # copy it over at this process's next answer from Redis
        else:
            self._answered()
        return token

    def close(self) -> None:
        self.client.close()

    def _read(self) -> bytes | None:
        """The key's value; b"" when it is missing, None when it is not a string."""
        import redis

        try:
            value = self.client.get(self.key)
        except redis.ResponseError as exc:
            if "WRONGTYPE" not in str(exc):
                raise
            log.warning("the content signal key in Redis (%s) is not a string", self.key)
            return None
        return value if isinstance(value, bytes) else b""

    def _compared(self, raw: bytes, found: Signal | None, garbage: bool) -> Signal | None:
        """The database's token, copied into the key if the key differs; the key's own when
        the database cannot be read."""
        stored = self.database.latest()
        if stored is None and not garbage:
            return found  # nothing to compare with (or no token yet anywhere)
        if found is not None and stored is not None and found[0] == stored[0]:
            return found
        # Behind, missing or garbage: the database's token (garbage without one: nothing).
        value = encode(stored) if stored is not None else ""
        try:
            replaced = self._replace(keys=[self.key], args=[raw, value])
        except Exception as exc:
            self._failed(exc, time.monotonic())
        else:
            if replaced:
                log.info("the content signal in Redis was behind the database: brought up to date")
        return stored

    def _failed(self, exc: Exception, now: float) -> None:
        with self._lock:
            first = self._down_until is None
            self._down_until = now + self.retry
        if first:
            log.warning(
                "Redis does not answer for the content signal (%s: %s); reading the database "
                "until it does",
                type(exc).__name__,
                exc,
            )

    def _answered(self) -> None:
        with self._lock:
            ended = self._down_until is not None
            self._down_until = None
            if ended:
                self._stale = True  # announcements may have reached only the database
        if ended:
            log.info("Redis answers again: the content signal is read from it")


def make_broadcast(engine: Engine, redis_url: str | None) -> DatabaseBroadcast | RedisBroadcast:
    """The broadcast the settings ask for: Redis when `CONTENT_SIGNAL_REDIS_URL` is set."""
    database = DatabaseBroadcast(engine)
    return RedisBroadcast(redis_url, database) if redis_url else database
