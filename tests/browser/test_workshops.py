"""In real Chromium: a facilitator schedules a tasting workshop from the kit's template; a
colleague signs up on a phone and a guest is invited; both invitations arrive at the SMTP
server with a calendar entry, and the last seat sends the next person to the waiting list."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from cocourse.models import Role, utcnow

from ..conftest import PASSWORD, AuthActions
from ..mailserver import smtp_settings, text_of
from .helpers import fill_workshop
from .test_invitations import deliver, inbox, wait_for  # noqa: F401 (fixtures)
from .test_people import PHONE

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def content_dir():
    return ROOT / "content" / "modules"


@pytest.fixture
def app_settings(inbox):  # noqa: F811

    return {
        **smtp_settings(inbox.port),
        "PLUGIN_SETTINGS": {"workshops": {"timezone": "Europe/Brussels"}},
    }


def _calendar(message):
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    return part.get_param("method"), Calendar.from_ical(part.get_content()).walk("VEVENT")[0]


def test_schedule_sign_up_and_invite(browser, live_server, session, inbox, deliver, artifacts):  # noqa: F811
    people = AuthActions(None, session)
    people.create("ada@example.org", Role.ADMIN)
    people.create("lea@example.org")
    people.create("sam@example.org")
    day = (utcnow() + timedelta(days=14)).date().isoformat()

    desk = browser.new_context(base_url=live_server)
    page = desk.new_page()
    page.goto("/login")
    page.get_by_label("Email").fill("ada@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Workshops").click()
    page.get_by_role("link", name="Schedule a workshop").click()
    agenda = page.get_by_label("Agenda: one block per line, minutes first")
    expect(agenda).to_have_value(re.compile(r"^15 Arrive: check-in and purpose"))
    fill_workshop(
        page,
        title="Tasting: deciding by consent",
        purpose="Try a consent round on next year's team budget.",
        day=day,
        place="Room 3, Ghent office",
        seats="2",
    )
    # An agenda that runs over is refused with the sums, and nothing is lost.
    agenda.fill(agenda.input_value() + "\n10 Coffee")
    page.get_by_role("button", name="Schedule").click()
    expect(page.get_by_text("adds up to 105 minutes but the workshop lasts 95")).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value("Tasting: deciding by consent")
    agenda = page.get_by_label("Agenda: one block per line, minutes first")
    agenda.fill(agenda.input_value().replace("\n10 Coffee", ""))
    page.get_by_role("button", name="Schedule").click()
    expect(
        page.get_by_role("heading", name="Tasting: deciding by consent", level=1)
    ).to_be_visible()
    page.screenshot(path=str(artifacts / "workshop-scheduled.png"), full_page=True)
    workshop_url = page.url

    # Lea signs up on her phone.
    phone = browser.new_context(base_url=live_server, viewport=PHONE)
    lea = phone.new_page()
    lea.goto("/login")
    lea.get_by_label("Email").fill("lea@example.org")
    lea.get_by_label("Password").fill(PASSWORD)
    lea.get_by_role("button", name="Log in").click()
    lea.goto("/workshops")
    lea.get_by_role("link", name="Tasting: deciding by consent").first.click()
    lea.get_by_role("button", name="Sign up").click()
    expect(lea.get_by_text("You have a seat.", exact=False).first).to_be_visible()
    overflow = lea.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    lea.screenshot(path=str(artifacts / "workshop-signed-up-phone.png"), full_page=True)
    phone.close()

    # Ada invites a client as a guest: the last seat. Sam, next, joins the waiting list.
    page.goto(workshop_url)
    page.get_by_label("Email").fill("gert@client.example")
    page.get_by_label("Name (for guests without an account)").fill("Gert Client")
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_text("Invited Gert Client. They get an email")).to_be_visible()
    page.get_by_label("Email").fill("sam@example.org")
    page.get_by_role("button", name="Invite").click()
    expect(
        page.get_by_text("the workshop is full, so they are on the waiting list")
    ).to_be_visible()
    page.screenshot(path=str(artifacts / "workshop-facilitator.png"), full_page=True)
    desk.close()

    deliver()
    [for_lea] = wait_for(inbox, "lea@example.org")
    [for_gert] = wait_for(inbox, "gert@client.example")
    [for_sam] = wait_for(inbox, "sam@example.org")
    method, event = _calendar(for_lea)
    assert method == "REQUEST" and str(event["SUMMARY"]) == "Tasting: deciding by consent"
    assert str(event["LOCATION"]) == "Room 3, Ghent office"
    assert _calendar(for_gert)[1]["UID"] == event["UID"]
    assert for_sam["Subject"] == "On the waiting list: Tasting: deciding by consent"
    assert not any(p.get_content_type() == "text/calendar" for p in for_sam.walk())

    # The guest's own link works without an account.
    link = re.search(r"http://127\.0\.0\.1:\d+(/w/[0-9a-f]{40})", text_of(for_gert)).group(1)
    guest = browser.new_context(base_url=live_server, viewport=PHONE)
    visit = guest.new_page()
    visit.goto(link)
    expect(visit.get_by_text("Hello Gert Client.")).to_be_visible()
    expect(visit.get_by_text("You have a seat.")).to_be_visible()
    visit.screenshot(path=str(artifacts / "workshop-guest-phone.png"), full_page=True)
    guest.close()
