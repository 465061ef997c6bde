"""The widget in real Chromium: a row of points on a 390 px phone, a column for a long scale,
the stylesheet allowed by the Content-Security-Policy, and the keyboard working without any
script. Needs Playwright and Chromium (Debian's /usr/bin/chromium, or COCOURSE_CHROMIUM):
skipped without them, except in CI (CI=true), where a missing Chromium is a failure."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator

import pytest
from conftest import LESSON, PASSWORD, add_user
from werkzeug.serving import make_server

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("COCOURSE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1024, "height": 800}
# Where each point's box is, and whether its text fits inside it.
BOXES = """fieldset => [...fieldset.querySelectorAll('.likert-point')].map(point => {
    const box = point.getBoundingClientRect();
    const text = point.querySelector('.likert-label');
    return {top: Math.round(box.top), left: box.left, right: box.right, height: box.height,
            width: box.width, fits: text.scrollWidth <= text.clientWidth + 1};
})"""


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One headless Chromium for these tests."""
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium not found at {CHROMIUM}")
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The app (the plugin found through its entry point) on a free loopback port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def open_quiz(browser, live_server, app, viewport, email):
    """A logged-in learner's page on a fresh attempt; (page, console errors, context)."""
    add_user(app, email)
    context = browser.new_context(base_url=live_server, viewport=viewport)
    page = context.new_page()
    errors: list[str] = []

    def record(message):
        if message.type == "error":  # such as a stylesheet the CSP refused
            errors.append(f"{message.text} ({message.location.get('url')})")

    page.on("console", record)
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(LESSON)
    page.get_by_role("button", name="Start the quiz").click()
    page.get_by_role("group", name="Question 1 of 4").wait_for()
    return page, errors, context


def not_favicon(errors):
    """The console errors, less the site's missing favicon (not this plugin's business)."""
    return [error for error in errors if "favicon.ico" not in error]


def scale(page, number):
    """The likert fieldset of question `number`."""
    return page.get_by_role("group", name=f"Question {number} of 4").locator("fieldset.likert")


def test_on_a_phone_the_scale_is_a_row_that_fits_and_works_from_the_keyboard(
    browser, live_server, app, tmp_path
):
    page, errors, context = open_quiz(browser, live_server, app, PHONE, "phone@example.org")
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert scale(page, 1).evaluate("el => getComputedStyle(el).containerType") == (
            "inline-size"
        )  # likert.css applied: the CSP let the plugin's stylesheet in

        first = scale(page, 1)
        frame = first.bounding_box()
        boxes = first.evaluate(BOXES)
        assert len(boxes) == 5 and len({box["top"] for box in boxes}) == 1  # one row
        assert all(
            frame["x"] <= box["left"] and box["right"] <= frame["x"] + frame["width"] + 1
            for box in boxes
        )
        assert all(box["height"] >= 44 and box["width"] >= 44 for box in boxes)  # tap targets
        assert all(box["fits"] for box in boxes)

        # The inner fieldset names the scale; the points are radio buttons named by labels.
        group = page.get_by_role("group", name="Your answer, from Never to Always")
        group.locator(".likert-label", has_text="Often").click()  # the text is the label
        assert group.get_by_role("radio", name="Often").is_checked()
        agree = first.get_by_role("radio", name="Agree", exact=True)
        agree.focus()
        page.keyboard.press("Space")
        page.keyboard.press("ArrowRight")  # the browser's own radio group, no script
        assert first.get_by_role("radio", name="Strongly agree").is_checked()
        assert not agree.is_checked()
        page.screenshot(path=str(tmp_path / "likert-phone.png"), full_page=True)

        scale(page, 3).get_by_role("radio", name="Somewhat").check()
        scale(page, 4).get_by_role("radio", name="Agree", exact=True).check()
        page.get_by_role("button", name="Submit answers").click()
        status = page.get_by_role("status").inner_text()
        assert "100%" in status and "Passed" in status  # 5 and Often are both acceptable
        assert page.get_by_text("Strongly agree (point 5 of 5)").is_visible()
        assert not_favicon(errors) == []
    finally:
        context.close()


@pytest.mark.parametrize(
    ("width", "rows"),
    [
        (320, set()),  # too narrow for any row
        (360, {1}),  # the five short agreement points still fit
        (390, {1}),
        (1024, {1, 2, 3, 4}),  # every scale has room
    ],
)
def test_each_scale_is_a_row_where_it_fits_and_a_column_elsewhere(
    browser, live_server, app, width, rows
):
    viewport = {"width": width, "height": 800}
    page, errors, context = open_quiz(browser, live_server, app, viewport, f"w{width}@example.org")
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        for number in (1, 2, 3, 4):
            boxes = scale(page, number).evaluate(BOXES)
            if number in rows:
                assert len({box["top"] for box in boxes}) == 1, number
            else:
                assert len({round(box["left"]) for box in boxes}) == 1, number
                assert [box["top"] for box in boxes] == sorted({box["top"] for box in boxes})
            assert all(box["fits"] and box["height"] >= 44 for box in boxes), number
        assert not_favicon(errors) == []
    finally:
        context.close()
