"""In real Chromium: cookies copied to another browser stop working when the first logs out."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ..conftest import PASSWORD, AuthActions

pytestmark = pytest.mark.browser


def log_in(page, remember: bool) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill("learner@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    if remember:
        page.get_by_label("Keep me logged in on this device").check()
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


@pytest.mark.parametrize("remember", [False, True])
def test_copied_cookies_are_logged_out_with_the_original(browser, live_server, session, remember):
    AuthActions(None, session).create()
    first = browser.new_context(base_url=live_server)
    second = browser.new_context(base_url=live_server)
    try:
        page = first.new_page()
        log_in(page, remember)
        second.add_cookies(first.cookies())
        copy = second.new_page()
        copy.goto("/account/password")
        expect(copy.get_by_role("heading", name="Change your password")).to_be_visible()

        page.get_by_role("button", name="Log out").click()
        expect(page.get_by_text("You are logged out.")).to_be_visible()

        copy.goto("/account/password")
        expect(copy.get_by_role("heading", name="Log in")).to_be_visible()
        expect(copy.get_by_role("link", name="Log in").first).to_be_visible()
    finally:
        first.close()
        second.close()
