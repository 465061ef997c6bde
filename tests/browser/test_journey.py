"""A recruit's first visit in real Chromium: register, log in, study a lesson, mark it complete."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PASSWORD = "a long enough password"


def test_register_log_in_open_a_lesson_and_complete_it(page, artifacts):
    page.goto("/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Your name").fill("Rita Recruit")
    page.get_by_label("Email").fill("rita@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Welcome, Rita Recruit.")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    page.get_by_role("link", name="Log in").first.click()
    page.get_by_label("Email").fill("rita@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    page.get_by_role("link", name="Introduction").click()
    page.get_by_role("link", name="Start: First lesson").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("First lesson")
    page.get_by_role("navigation", name="On this page").get_by_role("link", name="Part two").click()
    expect(page).to_have_url(re.compile(r"#part-two$"))
    page.get_by_role("button", name="Mark complete and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Second lesson")

    page.get_by_role("link", name="Previous First lesson").click()
    expect(page.get_by_text("You completed this lesson.")).to_be_visible()
    page.screenshot(path=str(artifacts / "lesson-completed.png"), full_page=True)


def test_phone_width_has_no_horizontal_scroll_and_a_skip_link(page, artifacts):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.bounding_box()["y"] >= 0  # visible once focused
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.screenshot(path=str(artifacts / "catalog-phone.png"), full_page=True)
