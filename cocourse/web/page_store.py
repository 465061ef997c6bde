"""Where the page cache (`web.page_cache`) keeps pages: each process's memory and, with
`PAGE_CACHE_REDIS_URL`, Redis too, which every process and host shares, so that a page
rendered once is sent by all of them.

Memory is looked at first, Redis next (a page found there is kept in memory too). Redis
only ever adds pages: whether a page is current is in its key (the database's page tokens),
so a page from Redis is as good as one from memory, and a Redis that does not answer only
means rendering more. It is then left alone for `RETRY_SECONDS`, with a warning each
time it is tried again and still does not answer.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("cocourse.page_cache")
Key = tuple[Any, ...]
PREFIX = "cocourse:page:"  # Redis keys: the prefix and the SHA-256 of the cache key
REDIS_TIMEOUT = 0.25  # seconds to connect to Redis or wait for its answer
RETRY_SECONDS = 5.0  # after Redis failed, keep to memory this long


@dataclass(frozen=True, slots=True)
class Page:
    """A stored response: status line, headers (without the request id), body, the
    endpoint that made it, and when it expires (seconds since the epoch)."""

    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    endpoint: str
    expires: float


class Memory:
    """Pages in this process's memory, the least recently used dropped beyond a size."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._pages: OrderedDict[Key, Page] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Key, now: float) -> Page | None:
        """The page stored under `key`, unless it has expired."""
        with self._lock:
            page = self._pages.get(key)
            if page is None:
                return None
            if page.expires <= now:
                self._drop(key)
                return None
            self._pages.move_to_end(key)
            return page

    def put(self, key: Key, page: Page) -> None:
        """Keep `page` under `key` (a page larger than the whole store is not kept)."""
        if len(page.body) > self.max_bytes:
            return
        with self._lock:
            if key in self._pages:
                self._drop(key)
            self._pages[key] = page
            self._bytes += len(page.body)
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._pages)))

    def _drop(self, key: Key) -> None:
        self._bytes -= len(self._pages.pop(key).body)

    def __len__(self) -> int:
        return len(self._pages)


class Shared:
    """Pages in Redis, each under the SHA-256 of its key (which holds the session: no login
    token is ever a Redis key) and expiring with the page."""

    def __init__(self, url: str) -> None:
        import redis

        self._errors = redis.RedisError
        self.client = redis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
        )
        self._resume_at = 0.0

    @staticmethod
    def name(key: Key) -> str:
        """The Redis key of a cache key."""
        return PREFIX + hashlib.sha256(repr(key).encode()).hexdigest()

    def get(self, key: Key, now: float) -> Page | None:
        """The page Redis holds under `key`; None when it has none or does not answer."""
        if now < self._resume_at:
            return None
        try:
            value = self.client.get(self.name(key))
        except self._errors:
            self._failed(now)
            return None
        if not isinstance(value, bytes):
            return None
        head, _, body = value.partition(b"\n")
        status, headers, endpoint, expires = json.loads(head)
        if expires <= now:
            return None
        return Page(status, tuple((str(n), str(v)) for n, v in headers), body, endpoint, expires)

    def put(self, key: Key, page: Page, now: float) -> None:
        """Give `page` to Redis until it expires."""
        milliseconds = int((page.expires - now) * 1000)
        if now < self._resume_at or milliseconds <= 0:
            return
        head = json.dumps([page.status, page.headers, page.endpoint, page.expires])
        try:
            self.client.set(self.name(key), head.encode() + b"\n" + page.body, px=milliseconds)
        except self._errors:
            self._failed(now)

    def _failed(self, now: float) -> None:
        log.warning(
            "page cache: Redis does not answer; pages are kept in each process alone "
            "(trying again in %s s)",
            RETRY_SECONDS,
        )
        self._resume_at = now + RETRY_SECONDS

    def close(self) -> None:
        """Close the connections to Redis."""
        self.client.close()
