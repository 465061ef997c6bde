"""Real Chromium (Debian's /usr/bin/chromium) driving the app served on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from ..conftest import COURSE, make_app

CHROMIUM = os.environ.get("COCOURSE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent.parent.parent / "test-artifacts"
AXE = Path(__file__).parent.parent.parent / "node_modules" / "axe-core" / "axe.min.js"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One Chromium for the session; missing Chromium fails under CI=true, else skips."""
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium not found at {CHROMIUM}: CI installs it with apt-get")
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def content_dir() -> Path:
    """The course the live server serves (tests override this fixture)."""
    return COURSE


@pytest.fixture
def app_settings() -> dict[str, object]:
    """Extra settings for the served app (tests override this fixture)."""
    return {}


@pytest.fixture
def live_server(engine, database_url, tmp_path, content_dir, app_settings) -> Iterator[str]:
    """The app served by a real HTTP server on a free loopback port."""
    app = make_app(database_url, tmp_path, CONTENT_DIR=str(content_dir), **app_settings)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context and page; the base URL is the live server."""
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def artifacts() -> Path:
    """Where screenshots go (kept after the run)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's script, installed by `npm ci`; missing fails under CI=true, else skips."""
    if not AXE.is_file():
        message = "node_modules/axe-core/axe.min.js is missing: run `npm ci` (make test does)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return AXE.read_text(encoding="utf-8")
