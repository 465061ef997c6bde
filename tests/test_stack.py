"""The scaled-out stack of deploy/stack.py: nginx with TLS in front of two app instances that
stand for two hosts, on PostgreSQL and Redis. A learner's session, a rate limit, a content
reload and a practicum attachment each work across both instances, whichever one nginx
picks; the test finds out which one answered from the request id nginx gave each request
and the instances' JSON logs."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import socket
import ssl
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocourse import create_app
from cocourse.accounts.services import create_user
from cocourse.content_signal import KEY, DatabaseBroadcast, decode
from cocourse.db import make_engine
from cocourse.models import MailMessage, PracticumSession, User

from .conftest import CSRF, PASSWORD
from .test_certification import CERT_COURSE, PROGRAM, finish_basics, session_form

DEPLOY = Path(__file__).parent.parent / "deploy" / "stack.py"
spec = importlib.util.spec_from_file_location("cocourse_stack", DEPLOY)
assert spec and spec.loader
stack_module = sys.modules["cocourse_stack"] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(stack_module)

LESSON = "basics/01-start.md"


def tool_found(name: str) -> bool:
    try:
        stack_module.tool(name, name)
    except RuntimeError:
        return False
    return True


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    missing = [name for name in ("nginx", "redis-server", "openssl") if not tool_found(name)]
    if missing or not Path(stack_module.BROTLI).exists():
        what = ", ".join(missing) or "nginx's brotli module"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{what} not installed: CI installs the stack's Debian packages")
        pytest.skip(f"{what} not installed")
    folder = tmp_path_factory.mktemp("stack")
    content = folder / "content"
    shutil.copytree(CERT_COURSE, content)
    settings = {"COCOURSE_VERIFY_RATE_LIMIT": "3 per minute"}
    with stack_module.running(folder / "run", content, settings=settings) as running:
        running.content = content
        yield running


class Browser:
    """A person's browser on the stack: cookies, CSRF tokens, the Referer HTTPS forms want."""

    def __init__(self, stack: Any) -> None:
        self.stack = stack
        self.http = requests.Session()

    def get(self, path: str, **options: Any) -> requests.Response:
        # `verify` on each request: a session's own is overridden by REQUESTS_CA_BUNDLE.
        return self.http.get(
            self.stack.url + path, timeout=20, verify=self.stack.certificate, **options
        )

    def post(self, path: str, data: dict[str, Any], page: str | None = None, **options: Any):
        form_page = self.get(page or path)
        token = CSRF.search(form_page.text)
        assert token, f"{page or path} has no form"
        return self.http.post(
            self.stack.url + path,
            data={**data, "csrf_token": token[1]},
            headers={"Referer": form_page.url},
            allow_redirects=False,
            timeout=20,
            verify=self.stack.certificate,
            **options,
        )

    def host_of(self, response: requests.Response) -> str | None:
        return self.stack.answered_by(response.headers["X-Request-Id"])


def until_both_hosts(
    browser: Browser, fetch: Callable[[], requests.Response], check: Callable[[Any], bool]
) -> dict[str, float]:
    """Fetch until each host has answered with a response that passes `check`; the seconds it
    took for each. Fails after 15 s."""
    started, seen = time.monotonic(), {}
    while len(seen) < 2:
        assert time.monotonic() - started < 15, f"only {sorted(seen)} answered as expected"
        response = fetch()
        host = browser.host_of(response)
        if host and host not in seen and check(response):
            seen[host] = time.monotonic() - started
        time.sleep(0.05)
    return seen


@contextmanager
def people(stack: Any) -> Iterator[Session]:
    """A session on the stack's database."""
    engine = make_engine(stack.database_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            yield session
    finally:
        engine.dispose()


def log_in(stack: Any, email: str) -> Browser:
    with people(stack) as session:
        create_user(session, email, email.split("@")[0].title(), PASSWORD)
    browser = Browser(stack)
    answer = browser.post("/login", {"email": email, "password": PASSWORD})
    assert answer.status_code == 302, answer.text[:500]
    return browser


def test_a_session_started_on_one_host_is_good_on_the_other(stack):
    browser = log_in(stack, "lee@example.org")
    assert browser.http.cookies, "no session cookie"
    # The cookie is Secure (production mode) and nginx says the request came over HTTPS.
    assert all(cookie.secure for cookie in browser.http.cookies)
    until_both_hosts(
        browser,
        lambda: browser.get("/dashboard", allow_redirects=False),
        lambda page: page.status_code == 200 and "Account: lee@example.org" in page.text,
    )


def test_a_rate_limit_counts_requests_on_both_hosts_together(stack):
    browser = Browser(stack)
    answers = [browser.get(f"/verify/{'x' * 43}") for _ in range(6)]
    # VERIFY_RATE_LIMIT is 3 a minute for the stack: counted in Redis, the fourth request is
    # refused whichever host it reaches (counted per host, each would allow three).
    assert [a.status_code for a in answers] == [404, 404, 404, 429, 429, 429]
    assert {browser.host_of(a) for a in answers[:4]} == {"host-a", "host-b"}


def reload_with(stack: Any, browser: Browser, marker: str) -> dict[str, float]:
    """Add `marker` to a lesson, `cocourse reload`, and wait until both hosts show it."""
    lesson = stack.content / LESSON
    text = lesson.read_text(encoding="utf-8")
    lesson.write_text(text.rstrip() + f"\n\n{marker}\n", encoding="utf-8")
    stack.cocourse("reload")
    return until_both_hosts(
        browser, lambda: browser.get("/modules/basics/start"), lambda page: marker in page.text
    )


def signal_in_redis(stack: Any) -> tuple[str, Any] | None:
    """The content signal in the stack's Redis (CONTENT_SIGNAL_REDIS_URL)."""
    import redis

    client = redis.Redis.from_url(stack.env["COCOURSE_CONTENT_SIGNAL_REDIS_URL"])
    try:
        return decode(client.get(KEY) or b"")
    finally:
        client.close()


def test_a_content_reload_reaches_both_hosts(stack):
    browser = log_in(stack, "reader@example.org")
    took = reload_with(stack, browser, "Fixed on the stack: both hosts now say so.")
    assert set(took) == {"host-a", "host-b"}
    # The hosts polled Redis for it; the database has the same token.
    engine = make_engine(stack.database_url)
    try:
        assert signal_in_redis(stack) == DatabaseBroadcast(engine).latest() is not None
    finally:
        engine.dispose()


def test_a_cached_page_is_shared_by_the_hosts_and_never_stale(stack):
    import redis

    browser = log_in(stack, "again@example.org")
    for _ in range(6):  # rendered, then sent from memory or from Redis by either host
        assert "Mark complete" in browser.get("/modules/basics/start").text
    pages = redis.Redis.from_url(stack.env["COCOURSE_PAGE_CACHE_REDIS_URL"])
    try:
        assert pages.keys("cocourse:page:*"), "no page was shared in Redis"
    finally:
        pages.close()
    done = browser.post("/modules/basics/start/complete", {}, page="/modules/basics/start")
    assert done.status_code == 302
    after = [browser.get("/modules/basics/start") for _ in range(6)]
    assert all("You completed this lesson." in page.text for page in after)
    assert {browser.host_of(page) for page in after} == {"host-a", "host-b"}


def test_an_attachment_uploaded_through_one_host_downloads_from_the_other(stack, tmp_path):
    browser = log_in(stack, "trainee@example.org")
    local = create_app(
        {
            "SECRET_KEY": "the-local-app-only-records-progress-0123456789",
            "DATABASE_URL": stack.database_url,
            "CONTENT_DIR": str(stack.content),
            "INSTANCE_PATH": str(tmp_path / "local"),
        }
    )
    try:
        with people(stack) as session:
            user_id = session.scalar(select(User.id).where(User.email == "trainee@example.org"))
        finish_basics(local, user_id)
    finally:
        local.extensions["cocourse.engine"].dispose()
    base = f"/certification/{PROGRAM}"
    assert browser.post(f"{base}/enrol", {}, base).status_code == 302
    pdf = b"%PDF-1.7 notes from the session"
    uploaded = browser.post(
        f"{base}/sessions/new",
        session_form(),
        files={"attachment": ("notes.pdf", pdf, "application/pdf")},
    )
    assert uploaded.status_code == 302, uploaded.text[:800]
    uploaded_on = browser.host_of(uploaded)
    with people(stack) as session:
        row = session.scalar(select(PracticumSession.id))
    took = until_both_hosts(
        browser,
        lambda: browser.get(f"/certification/attachments/{row}"),
        lambda answer: answer.status_code == 200 and answer.content == pdf,
    )
    assert uploaded_on in took


def test_nginx_serves_hashed_static_files_for_a_year_and_compresses(stack):
    browser = Browser(stack)
    page = browser.get("/")
    found = re.search(r'href="(/static/cocourse\.[0-9a-f]{12}\.css)"', page.text)
    assert found
    css = browser.get(found[1], headers={"Accept-Encoding": "br"})
    assert css.status_code == 200 and "X-Request-Id" not in css.headers  # nginx, not the app
    assert css.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert css.headers["Content-Encoding"] == "br"
    gzipped = browser.get("/", headers={"Accept-Encoding": "gzip"})
    assert gzipped.headers["Content-Encoding"] == "gzip"
    # Bodies far over the app's limit stop at nginx.
    big = browser.http.post(
        stack.url + "/login", data=b"x" * (5 * 1024 * 1024), timeout=30, verify=stack.certificate
    )
    assert big.status_code == 413


def test_slow_clients_are_nginxs_to_wait_for_not_the_workers(stack):
    """Ten clients trickle a form body a few bytes at a time, more than the four sync
    workers of the stack; meanwhile everyone else's pages come at once, because nginx
    reads each body whole before it hands the request on."""
    port = int(stack.url.rsplit(":", 1)[1])
    context = ssl.create_default_context(cafile=stack.certificate)
    slow = []
    body = b"email=slow%40example.org&password=" + b"x" * 60
    for _ in range(10):
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        conn = context.wrap_socket(raw, server_hostname="127.0.0.1")
        conn.sendall(
            b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
        )
        slow.append(conn)
    browser = Browser(stack)
    try:
        for step in range(0, 40, 4):
            for conn in slow:
                conn.sendall(body[step : step + 4])
            started = time.monotonic()
            assert browser.get("/").status_code == 200
            assert time.monotonic() - started < 2, "a page waited for the slow clients"
            time.sleep(0.2)
    finally:
        for conn in slow:
            conn.close()


def test_a_database_outage_of_ten_seconds_gives_a_clear_503_and_heals_itself(stack):
    browser = log_in(stack, "patient@example.org")
    assert browser.get("/dashboard").status_code == 200
    stack.stop_database()
    try:
        started = time.monotonic()
        while time.monotonic() - started < 10:
            page = browser.get("/dashboard")
            assert page.status_code == 503, page.text[:500]
            assert page.headers["Retry-After"] == "10" and "Back in a moment" in page.text
            assert browser.get("/readyz").status_code == 503
            assert browser.get("/healthz").status_code == 200  # alive: not to be restarted
            time.sleep(1)
    finally:
        stack.start_database()
    # No restart: the next requests on both hosts work again, and the session still holds.
    until_both_hosts(
        browser,
        lambda: browser.get("/dashboard", allow_redirects=False),
        lambda page: page.status_code == 200 and "Account: patient@example.org" in page.text,
    )


def test_with_redis_down_pages_are_served_limits_hold_and_readiness_says_so(stack):
    """Runs last: it stops Redis, and starts it again at the end."""
    browser = log_in(stack, "outage@example.org")
    stack.stop_redis()
    try:
        assert browser.get("/dashboard").status_code == 200
        ready = browser.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["redis"].startswith("Redis does not answer")
        assert ready.json()["checks"]["database"] == "ok"
        # Rate limits fall back to each process's memory: still limits, never a 500. Four
        # processes (two hosts of two workers) allow 3 each: the 13th request is refused.
        codes = [browser.get(f"/verify/{'y' * 43}").status_code for _ in range(13)]
        assert set(codes) <= {404, 429} and 429 in codes, codes
        # A password reset queues an email: the page works, the message waits in the outbox
        # (the worker's sweep sends it once the queue is back).
        asked = Browser(stack).post("/account/forgot", {"email": "outage@example.org"})
        assert asked.status_code in (200, 302), asked.text[:500]
        with people(stack) as session:
            waiting = session.scalar(
                select(MailMessage.status).where(MailMessage.to_address == "outage@example.org")
            )
        assert waiting == "queued"
        # The content signal falls back to the database: a reload still reaches both hosts.
        reload_with(stack, browser, "Reloaded while Redis was down.")
    finally:
        stack.start_redis()
    until_both_hosts(
        browser, lambda: browser.get("/readyz"), lambda answer: answer.status_code == 200
    )
    # Redis is back (empty): the hosts bring the signal up to date in it and poll it again.
    reload_with(stack, browser, "Reloaded after Redis came back.")
    engine = make_engine(stack.database_url)
    try:
        assert signal_in_redis(stack) == DatabaseBroadcast(engine).latest() is not None
    finally:
        engine.dispose()
