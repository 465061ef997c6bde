"""A real OpenID provider for the tests (tests/oidc/provider.mjs on Node), and a person
completing its login and consent pages over HTTP."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

ROOT = Path(__file__).parent.parent.parent
SCRIPT = Path(__file__).parent / "provider.mjs"
PACKAGE = ROOT / "node_modules" / "oidc-provider" / "package.json"
CLIENT_ID = "cocourse-test"
CLIENT_SECRET = "cocourse-test-secret"
_ACTION = re.compile(r'<form[^>]*action="([^"]+)"')
_PROMPT = re.compile(r'name="prompt" value="(\w+)"')


def require_provider() -> str:
    """Node's path; without Node or oidc-provider (from `npm ci`) the test fails under
    CI=true and is skipped elsewhere."""
    node = shutil.which("node")
    problem = None
    if node is None:
        problem = "Node is not installed (apt-get install nodejs npm)"
    elif not PACKAGE.is_file():
        problem = "node_modules/oidc-provider is missing: run `npm ci`"
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(problem)
        pytest.skip(problem)
    assert node is not None
    return node


@contextmanager
def provider(redirect_uris: list[str], log: Path) -> Iterator[str]:
    """Start the provider on a free loopback port with our client registered for these
    redirect URIs; its issuer URL. It is stopped afterwards."""
    node = require_provider()
    env = {**os.environ, "REDIRECT_URIS": json.dumps(redirect_uris)}
    env.update(CLIENT_ID=CLIENT_ID, CLIENT_SECRET=CLIENT_SECRET)
    with open(log, "w") as errors:
        process = subprocess.Popen(
            [node, str(SCRIPT)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=errors, text=True
        )
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert line, f"the OpenID provider did not start: {log.read_text()}"
            yield str(json.loads(line)["issuer"])
        finally:
            process.terminate()
            process.wait(timeout=10)
            if process.stdout is not None:
                process.stdout.close()


def settings(issuer: str, **extra: object) -> dict[str, object]:
    """PLUGIN_SETTINGS for an app that signs in with the test provider."""
    values: dict[str, object] = {
        "issuer": issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "scopes": "openid email profile groups",
        "name": "Example Org",
    }
    values.update(extra)
    return {"sso": values}


def authorize(issuer: str, auth_url: str, account: str, cancel: bool = False) -> str:
    """Be a person at the provider: log in as `account` (any password), consent, and return
    the URL the provider sends the browser back to. With `cancel`, abort at the login page."""
    http = requests.Session()
    url, data = auth_url, None
    for _ in range(20):
        response = http.request(
            "POST" if data is not None else "GET", url, data=data, allow_redirects=False, timeout=10
        )
        if response.is_redirect:
            url, data = urljoin(url, response.headers["Location"]), None
            if not url.startswith(issuer):
                return url
            continue
        response.raise_for_status()
        action, prompt = _ACTION.search(response.text), _PROMPT.search(response.text)
        assert action and prompt, response.text
        url = urljoin(url, html.unescape(action.group(1)))
        if cancel:
            url, data = url.rstrip("/") + "/abort", None
            continue
        data = {"prompt": prompt.group(1)}
        if prompt.group(1) == "login":
            data.update(login=account, password="anything")
    raise AssertionError("the provider never sent the browser back")
