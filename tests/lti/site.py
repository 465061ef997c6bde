"""The app and a test platform on loopback, registered with each other."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

from cocourse.models import LtiPlatform

from ..conftest import FIXTURES, make_app
from .platform import TestPlatform, ToolRegistration

CLIENT_ID, DEPLOYMENT = "cocourse-tool", "deployment-1"


@dataclass
class Site:
    """The app's address and object, and the platform that launches it."""

    base: str
    app: Any
    platform: TestPlatform


def register(session: Any, platform: TestPlatform) -> LtiPlatform:
    """What an admin types on the Platforms page, from the platform's settings."""
    row = LtiPlatform(
        name="Test LMS",
        issuer=platform.issuer,
        client_id=CLIENT_ID,
        auth_login_url=platform.auth_login_url,
        auth_token_url=platform.token_url,
        key_set_url=platform.jwks_url,
        deployments=DEPLOYMENT,
    )
    session.add(row)
    session.commit()
    return row


@contextmanager
def serve_site(
    database_url: str, tmp_path: Path, session: Any, registered: bool = True
) -> Iterator[Site]:
    """The quiz course served on a free port (PUBLIC_URL set to it), and a platform that
    knows the tool's addresses (and, when `registered`, is registered with the app)."""
    served: dict[str, Any] = {}
    server = make_server(
        "127.0.0.1", 0, lambda environ, respond: served["app"](environ, respond), threaded=True
    )
    base = f"http://127.0.0.1:{server.server_port}"
    served["app"] = make_app(
        database_url, tmp_path, CONTENT_DIR=str(FIXTURES / "quiz_course"), PUBLIC_URL=base
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    platform = TestPlatform(
        ToolRegistration(
            client_id=CLIENT_ID,
            deployment_id=DEPLOYMENT,
            login_url=f"{base}/lti/login",
            launch_url=f"{base}/lti/launch",
            deep_link_url=f"{base}/lti/launch",
            jwks_url=f"{base}/lti/jwks.json",
        )
    ).start()
    if registered:
        register(session, platform)
    try:
        yield Site(base, served["app"], platform)
    finally:
        platform.stop()
        server.shutdown()
        thread.join()
