"""Switching a feature off, seen in real Chromium: nothing of it is left on the pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ..conftest import FIXTURES

pytestmark = pytest.mark.browser

PASSWORD = "a long enough password"


@pytest.fixture
def content_dir():
    return FIXTURES / "cert_course"


@pytest.fixture(params=["on", "off"])
def app_settings(request):
    return {"DISABLED_PLUGINS": ["certification"] if request.param == "off" else []}


def sign_up(page):
    page.goto("/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Your name").fill("Rita Recruit")
    page.get_by_label("Email").fill("rita@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()


def test_certification_can_be_switched_off(page, app_settings, artifacts):
    off = app_settings["DISABLED_PLUGINS"] == ["certification"]
    page.set_viewport_size({"width": 390, "height": 844})
    sign_up(page)
    menu = page.get_by_role("navigation", name="Account")
    expect(menu.get_by_role("link", name="My progress")).to_be_visible()
    expect(menu.get_by_role("link", name="Certification")).to_have_count(0 if off else 1)

    menu.get_by_role("link", name="My progress").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your progress")
    expect(page.get_by_role("link", name="Join a cohort")).to_be_visible()
    # The certification feature's dashboard panel lists the programmes one can enrol in.
    expect(page.get_by_role("heading", name="Your certification")).to_have_count(0 if off else 1)
    page.screenshot(path=str(artifacts / f"dashboard-certification-{'off' if off else 'on'}.png"))

    response = page.goto("/certification")
    assert response.status == (404 if off else 200)
    if off:
        expect(page.get_by_text("There is no page at this address.")).to_be_visible()
    else:
        expect(page.get_by_role("heading", level=1)).to_be_visible()
