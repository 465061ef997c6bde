"""What several browser tests do: log in in a fresh context with axe-core loaded, and check
a page for accessibility problems and sideways scrolling."""

from __future__ import annotations

from playwright.sync_api import expect

from ..conftest import PASSWORD
from .test_accessibility import RUN_AXE, TAGS

PHONE = {"width": 390, "height": 844}


def open_as(browser, live_server, email, axe_source, viewport=PHONE):
    """A logged-in page in its own context, with axe-core loaded on every page it opens by an
    init script (so the app's CSP stays in force)."""
    context = browser.new_context(base_url=live_server, viewport=viewport)
    context.add_init_script(script=axe_source)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    return page


def check(page, what: str) -> None:
    """No axe violations, and nothing wider than the screen (once the page has loaded its
    stylesheet: a page reached by a click can be laid out before it is)."""
    page.wait_for_load_state("load")
    violations = page.evaluate(RUN_AXE, TAGS)
    assert not violations, f"axe-core on {what} ({page.url}): {violations}"
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{what} scrolls sideways by {overflow}px"


def fill_workshop(page, *, title: str, purpose: str, day: str, place: str, seats: str) -> None:
    """Fill the scheduling form's own fields (the agenda stays the template's), at 09:30."""
    page.get_by_label("Title").fill(title)
    page.get_by_label("Purpose").fill(purpose)
    page.get_by_label("Date").fill(day)
    page.get_by_label("Starts at").fill("09:30")
    page.get_by_label("Place").fill(place)
    page.get_by_label("Seats").fill(seats)
