"""The page cache: a learner's or a visitor's page served again without rendering it, for
as long as nothing it shows can have changed.

A view offers its page with `offer()`. The cache is a WSGI layer in front of Flask: a GET of
a path that was offered before is keyed by everything the page depends on, and a page
stored under that key is sent as it was, with a new request id:

- the path and query, host and scheme, and the browser's `Accept-Language`;
- the whole signed session (language, CSRF secret, login token: a page's forms carry a
  token made from that session's secret);
- the database's page tokens (`cocourse.page_versions`): everyone's, and the person's own,
  renewed by every write that can change their pages;
- the content version, the release of cocourse, and today's date (due dates and "today"
  change at midnight, UTC).

Pages expire after `PAGE_CACHE_SECONDS` whatever happens, which bounds what the key cannot
see: time passing (a workshop starting), SQL typed outside the app. Each process keeps its
pages, up to `PAGE_CACHE_MB`, and with `PAGE_CACHE_REDIS_URL` shares them in Redis
(`web.page_store`); the tokens live in the database, so a write on one host is seen by the
next request on every host.

A page is only stored when it is safe to send again to the same browser: a 200, without
a cookie being set (a login, a new CSRF secret, a flash message read), for a visitor or a
person whose role is learner (other roles' pages show other people's work, which the
person's own token does not follow). A request is only answered from the cache when the
app would have answered it the same way: its session cookie is valid and holds no flash
message, its login session is live (not revoked, not expired, of an active account; seen
by the app within `SEEN_EVERY`, so that the app notes it), Flask-Login's session check
passes, and no remember-me cookie waits to log a visitor in. The layer also checks for a
content change when one is due, as the app does before each request.
Everything else goes to the app, which is where the rules are; this layer only decides
when the app's last answer is still the answer.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from flask import Flask, current_app, g, request
from flask_login import current_user
from itsdangerous import BadSignature
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.http import parse_cookie

from cocourse.accounts import sessions
from cocourse.accounts.login import REMEMBER_COOKIE
from cocourse.models import Role, utcnow
from cocourse.page_versions import Reader
from cocourse.web import request_id
from cocourse.web.page_store import Key, Memory, Page, Shared

EXTENSION = "cocourse.page_cache"
# Callables told of every page sent from the cache (metrics, the request log).
OBSERVERS = "cocourse.page_cache.observers"
_KEY = "cocourse.page_cache.key"
_STORE = "cocourse.page_cache.store"
_MAX_PATHS = 20_000
_MAX_SESSIONS = 4096
Environ = dict[str, Any]
StartResponse = Callable[..., Any]


@dataclass(frozen=True, slots=True)
class Hit:
    """A request answered from the cache, for the observers."""

    endpoint: str
    path: str
    status: int
    seconds: float
    user_id: int | None
    request_id: str


def login_identifier(environ: Environ) -> str:
    """Flask-Login's session check value for this request (`_create_identifier`: the
    address it sees and the user agent), computed from the WSGI environment."""
    address = environ.get("HTTP_X_FORWARDED_FOR", environ.get("REMOTE_ADDR"))
    seen = None if address is None else address.encode("utf-8").split(b",")[0].strip()
    agent = environ.get("HTTP_USER_AGENT")
    agent_bytes = None if agent is None else agent.encode("utf-8")
    return hashlib.sha512(f"{seen}|{agent_bytes}".encode()).hexdigest()


class PageCache:
    """The WSGI layer (see the module's docstring)."""

    def __init__(self, app: Flask, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        config = app.config
        self.app, self.wsgi_app = app, wsgi_app
        self.seconds = float(config["PAGE_CACHE_SECONDS"])
        self.memory = Memory(int(float(config["PAGE_CACHE_MB"]) * 1024 * 1024))
        url = config["PAGE_CACHE_REDIS_URL"]
        self.shared = Shared(str(url)) if url else None
        self.paths: set[str] = set()
        engine = app.extensions["cocourse.engine"]
        self.reader = Reader(engine, sessions.SEEN_EVERY)
        self.database_errors: type[Exception] = engine.dialect.loaded_dbapi.Error
        self.state = app.extensions["cocourse.course"]
        self.serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
        self.max_age = int(app.permanent_session_lifetime.total_seconds())
        self.cookie_name = str(config["SESSION_COOKIE_NAME"])
        self.trust_proxy_id = int(config["PROXY_HOPS"]) > 0
        # Hosts share pages in Redis: during an upgrade, each release keeps to its own.
        self.release = metadata.version("cocourse")
        self._sessions: OrderedDict[str, tuple[Any, float]] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("PATH_INFO") not in self.paths:
            return self.wsgi_app(environ, start_response)
        started = time.perf_counter()
        try:
            found = self._key(environ)
        except (SQLAlchemyError, self.database_errors):
            found = None  # the database is away: the app answers (its 503 page)
        if found is None:
            return self.wsgi_app(environ, start_response)
        key, user_id = found
        page = self._stored(key)
        if page is None:
            environ[_KEY] = key
            return self._render(environ, start_response, key)
        sent = request_id.choose(environ.get("HTTP_X_REQUEST_ID", ""), self.trust_proxy_id)
        start_response(page.status, [*page.headers, (request_id.HEADER, sent)])
        hit = Hit(
            page.endpoint,
            environ["PATH_INFO"],
            int(page.status[:3]),
            time.perf_counter() - started,
            user_id,
            sent,
        )
        for observe in self.app.extensions.get(OBSERVERS, ()):
            observe(hit)
        return [page.body]

    def _key(self, environ: Environ) -> tuple[Key, int | None] | None:
        """What the page of this request depends on, and whose it is; None when only the
        app can answer it."""
        if self.state.due():
            if not self.state.background:
                return None  # a reload in the request (tests): the app's own check does it
            self.state.check()  # may start a reload in the background, as the app's would
        cookies = parse_cookie(environ)
        saved: Any = {}
        if raw := cookies.get(self.cookie_name):
            saved = self._session(raw)
        if not isinstance(saved, dict) or "_flashes" in saved:
            return None
        user_id: int | None = None
        if "_user_id" not in saved:
            if REMEMBER_COOKIE in cookies:
                return None  # the app logs this visitor in
            tokens: tuple[str | None, ...] = (self.reader.everyone(),)
        else:
            sid = saved.get(sessions.SESSION_KEY)
            if not isinstance(sid, str) or saved.get("_id") != login_identifier(environ):
                return None
            live = self.reader.login(sessions.token_hash(sid), utcnow())
            if live is None or str(live[0]) != str(saved["_user_id"]):
                return None
            user_id, role, *found = live
            if role != Role.LEARNER.value:
                return None
            tokens = tuple(found)
        key = (
            environ["PATH_INFO"],
            environ.get("QUERY_STRING", ""),
            environ.get("HTTP_HOST", ""),
            environ.get("wsgi.url_scheme", ""),
            environ.get("HTTP_ACCEPT_LANGUAGE", ""),
            repr(sorted(saved.items())),
            time.strftime("%Y-%m-%d", time.gmtime()),
            self.state.version,
            self.release,
            *tokens,
        )
        return key, user_id

    def _stored(self, key: Key) -> Page | None:
        """The page kept under `key`: in this process's memory, else in Redis."""
        now = time.time()
        page = self.memory.get(key, now)
        if page is None and self.shared is not None:
            page = self.shared.get(key, now)
            if page is not None:
                self.memory.put(key, page)
        return page

    def _session(self, raw: str) -> Any:
        """The session in a cookie, None when its signature is bad or too old. Cookies seen
        before are remembered with the time they were signed, so that each one's signature
        is checked once (it does not change) and its age on every request."""
        known = self._sessions.get(raw)
        if known is None:
            try:
                data, signed = self.serializer.loads(
                    raw, max_age=self.max_age, return_timestamp=True
                )
            except BadSignature:
                return None
            known = (data, signed.timestamp())
            with self._lock:
                self._sessions[raw] = known
                if len(self._sessions) > _MAX_SESSIONS:
                    self._sessions.popitem(last=False)
        data, signed_at = known
        return data if time.time() - signed_at <= self.max_age else None

    def _render(self, environ: Environ, start_response: StartResponse, key: Key) -> Iterable[bytes]:
        """Let the app answer, and keep its page when the app offered it."""
        answer: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answer["status"], answer["headers"] = status, headers
            return start_response(status, headers, exc_info)

        result = self.wsgi_app(environ, capture)
        endpoint = environ.get(_STORE)
        status: str = answer.get("status", "")
        headers: list[tuple[str, str]] = answer.get("headers", [])
        if (
            endpoint is None
            or not status.startswith("200")
            or any(name.lower() == "set-cookie" for name, _value in headers)
        ):
            return result
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        kept = tuple((n, v) for n, v in headers if n.lower() != request_id.HEADER.lower())
        now = time.time()
        page = Page(status, kept, body, endpoint, now + self.seconds)
        self.memory.put(key, page)
        if self.shared is not None:
            self.shared.put(key, page, now)
        return [body]


def offer() -> None:
    """Called by a view: its page may be kept and sent again while nothing it shows
    changes (see the module's docstring for when it is)."""
    cache: PageCache | None = current_app.extensions.get(EXTENSION)
    if cache is not None and len(cache.paths) < _MAX_PATHS:
        cache.paths.add(request.path)
    g.page_cache_offered = True


def _mark(response: Any) -> Any:
    """Tell the WSGI layer to keep this response: offered by its view, a 200, and for a
    visitor or a learner. (Whether a cookie is set is seen by the layer, after Flask has
    saved the session.)"""
    if (
        _KEY in request.environ
        and g.get("page_cache_offered")
        and response.status_code == 200
        and (not current_user.is_authenticated or current_user.role == Role.LEARNER.value)
    ):
        request.environ[_STORE] = request.endpoint or "none"
    return response


def init_app(app: Flask) -> None:
    """Put the cache in front of the app, unless `PAGE_CACHE_SECONDS` is 0."""
    if float(app.config["PAGE_CACHE_SECONDS"]) <= 0:
        return
    cache = PageCache(app, app.wsgi_app)
    app.extensions[EXTENSION] = cache
    app.extensions.setdefault(OBSERVERS, [])
    app.after_request(_mark)
    app.wsgi_app = cache  # type: ignore[method-assign]
