"""In real Chromium: a sponsor opens the programme page from the menu at phone and desktop
width, picks a cohort, and every view passes axe without scrolling sideways."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from cocourse.accounts.services import create_user
from cocourse.models import Role

from ..conftest import PASSWORD
from ..test_programme import NOW, Seeded
from .helpers import PHONE, check, open_as

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def programme(engine, monkeypatch):
    """The seeded programme of the unit tests, seen on its fixed date, and a sponsor."""
    monkeypatch.setattr("cocourse.programme.views.utcnow", lambda: NOW)
    with Session(engine, expire_on_commit=False) as db:
        seeded = Seeded(db)
        create_user(db, "spo@example.org", "Sol Sponsor", PASSWORD, Role.SPONSOR)
        return seeded


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_a_sponsor_follows_the_programme_and_picks_a_cohort(
    browser, live_server, programme, axe_source, artifacts, width
):
    page = open_as(
        browser, live_server, "spo@example.org", axe_source, PHONE if width == "phone" else DESKTOP
    )
    page.get_by_role("link", name="Programme").click()
    expect(page.get_by_role("heading", level=1, name="The programme")).to_be_visible()
    expect(
        page.get_by_role("img", name="Opportunities raised and acted on per month")
    ).to_be_visible()
    opportunities = page.get_by_role("table", name="Opportunities per month")
    expect(opportunities.get_by_role("row", name="Apr 2031")).to_contain_text("2")
    expect(opportunities.get_by_role("row", name="Last 12 months")).to_contain_text("4")
    page.screenshot(path=str(artifacts / f"programme-{width}.png"), full_page=True)
    check(page, f"the programme page ({width})")

    page.get_by_label("Cohort", exact=True).select_option(label="North")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(f"{live_server}/programme?cohort={programme.north.id}")
    expect(page.get_by_text("Counting the members of North")).to_be_visible()
    expect(page.get_by_label("Cohort", exact=True)).to_have_value(str(programme.north.id))
    workshops = page.get_by_role("table", name="Workshops and actions per month")
    totals = workshops.get_by_role("row", name="Last 12 months").get_by_role("cell")
    expect(totals).to_have_text(["3", "3", "2", "2"])
    region = page.get_by_role("region", name="Workshops and actions per month")
    region.focus()
    expect(region).to_be_focused()
    page.screenshot(path=str(artifacts / f"programme-cohort-{width}.png"), full_page=True)
    check(page, f"the programme page for a cohort ({width})")
    href = page.get_by_role("link", name="Download CSV").get_attribute("href")
    assert href == f"/programme.csv?cohort={programme.north.id}"
