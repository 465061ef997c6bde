"""Signing in with an OpenID provider in Chromium: the provider's own login and consent
pages (oidc-provider on Node), then back in cocourse, logged in where one wanted to go."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from cocourse.models import User

from ..conftest import make_app
from ..oidc import provider, settings
from .test_accessibility import check_axe


@pytest.fixture
def sso_site(engine, database_url, tmp_path) -> Iterator[tuple[str, str]]:
    """The app on a free loopback port, signing in with a provider that knows its
    callback; the app's base URL and the issuer."""
    served: dict[str, Any] = {}
    server = make_server(
        "127.0.0.1", 0, lambda environ, respond: served["app"](environ, respond), threaded=True
    )
    base = f"http://127.0.0.1:{server.server_port}"
    with provider([f"{base}/login/sso/callback"], tmp_path / "provider.log") as issuer:
        sso = settings(issuer, roles_claim="groups", roles={"trainers": "assessor"})
        served["app"] = make_app(database_url, tmp_path, PLUGIN_SETTINGS=sso)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield base, issuer
        server.shutdown()
        thread.join()


def test_signing_in_with_the_organization(browser, sso_site, session):
    base, issuer = sso_site
    context = browser.new_context(base_url=base)
    # The provider's development pages load a web font; there is no internet here.
    context.route("https://fonts.googleapis.com/**", lambda route: route.abort())
    page = context.new_page()
    try:
        page.goto("/login?next=/dashboard")
        page.get_by_role("link", name="Sign in with Example Org").click()
        page.wait_for_url(f"{issuer}/**")
        page.fill("input[name=login]", "trainer")
        page.fill("input[name=password]", "any password")
        page.get_by_role("button", name="Sign-in").click()
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url(f"{base}/dashboard")
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
    finally:
        context.close()
    user = session.scalar(select(User).where(User.email == "trainer@example.org"))
    assert user is not None and user.role == "assessor" and user.name == "Tess Trainer"


def test_the_sign_in_pages_pass_axe(browser, sso_site, axe_source):
    """The login page with its button, and the page of a refused sign-in, meet WCAG 2.2 AA."""
    base, issuer = sso_site
    context = browser.new_context(base_url=base)
    context.route("https://fonts.googleapis.com/**", lambda route: route.abort())
    # As in the accessibility tests: an init script is not blocked by the app's CSP.
    context.add_init_script(script=axe_source)
    page = context.new_page()
    try:
        page.goto("/login")
        check_axe(page, "login page with single sign-on")
        page.get_by_role("link", name="Sign in with Example Org").click()
        page.fill("input[name=login]", "mallory")  # an unverified email
        page.fill("input[name=password]", "any password")
        page.get_by_role("button", name="Sign-in").click()
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url(f"{base}/login/sso/callback**")
        expect(page.get_by_role("heading", name="Signing in did not work")).to_be_visible()
        check_axe(page, "refused sign-in page")
    finally:
        context.close()
