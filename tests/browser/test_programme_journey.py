"""The programme's live half in one journey, in real Chromium: a trainee schedules a tasting
workshop from the template; a colleague signs up and a client is invited, and both get
calendar invitations by SMTP; the trainee takes attendance; the colleague gives feedback;
the harvest records an action; the trainee logs the workshop in their practicum, the
assessor sees it confirmed by attendance, and the sponsor page counts it."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from playwright.sync_api import expect
from sqlalchemy import update
from sqlalchemy.orm import Session

from cocourse.certification import portfolios
from cocourse.db import get_session
from cocourse.models import Portfolio, Role, Workshop, utcnow

from ..conftest import FIXTURES, PASSWORD, AuthActions, make_app
from ..mailserver import smtp_settings
from ..test_certification import course_of, finish_basics, program_of
from .helpers import PHONE
from .test_invitations import deliver, inbox, wait_for  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser
KIT = Path(__file__).resolve().parents[2] / "content" / "modules" / "workshops.yml"
TITLE = "Tasting: a budget decided by consent"
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def content_dir(tmp_path):
    """The small certification course, with the bundled workshop kit (its templates'
    `taught_in` names modules of the bundled course, so those lines are left out)."""
    root = tmp_path / "course"
    shutil.copytree(FIXTURES / "cert_course", root)
    kit = [line for line in KIT.read_text().splitlines(True) if "taught_in:" not in line]
    (root / "workshops.yml").write_text("".join(kit))
    return root


@pytest.fixture
def app_settings(inbox):  # noqa: F811
    return smtp_settings(inbox.port)


def _log_in(browser, live_server, email, viewport=DESKTOP):
    context = browser.new_context(base_url=live_server, viewport=viewport)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    return page


def test_from_a_tasting_workshop_to_the_practicum_and_the_sponsor_page(
    browser,
    live_server,
    content_dir,
    database_url,
    tmp_path,
    session,
    inbox,  # noqa: F811 (the fixture)
    deliver,  # noqa: F811 (the fixture)
    artifacts,
):
    people = AuthActions(None, session)
    tina = people.create("tina@example.org")
    people.create("lea@example.org")
    people.create("ada@example.org", Role.ADMIN)
    arrange = make_app(database_url, tmp_path / "arrange", CONTENT_DIR=str(content_dir))
    finish_basics(arrange, tina.id)
    with arrange.app_context():
        portfolio = portfolios.enrol(
            get_session(), course_of(arrange), program_of(arrange), tina, utcnow().date()
        )
    soon = utcnow() + timedelta(minutes=70)

    # Tina, a trainee, schedules a tasting workshop from the kit's template.
    tina_page = _log_in(browser, live_server, "tina@example.org")
    tina_page.goto("/workshops")
    tina_page.get_by_role("link", name="Schedule a workshop").click()
    agenda = tina_page.get_by_label("Agenda: one block per line, minutes first")
    expect(agenda).to_have_value(
        "15 Arrive: check-in and purpose\n15 Generate: 1-2-4-All\n"
        "25 Deepen: TRIZ or appreciative interviews\n20 Decide: a consent round\n"
        "20 Capture and close"
    )
    tina_page.get_by_label("Title").fill(TITLE)
    tina_page.get_by_label("Purpose").fill("Decide next year's team budget together.")
    tina_page.get_by_label("Date").fill(soon.date().isoformat())
    tina_page.get_by_label("Starts at").fill(soon.strftime("%H:%M"))
    tina_page.get_by_label("Time zone").fill("UTC")
    tina_page.get_by_label("Place").fill("Room 3")
    tina_page.get_by_label("Seats").fill("6")
    tina_page.get_by_role("button", name="Schedule").click()
    expect(tina_page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    workshop_url = tina_page.url

    # Lea signs up on her phone; Tina invites a client.
    lea = _log_in(browser, live_server, "lea@example.org", PHONE)
    lea.goto(workshop_url)
    lea.get_by_role("button", name="Sign up").click()
    expect(lea.get_by_text("You have a seat.").first).to_be_visible()
    tina_page.goto(workshop_url)
    tina_page.get_by_label("Email").fill("gert@client.example")
    tina_page.get_by_label("Name (for guests without an account)").fill("Gert Client")
    tina_page.get_by_role("button", name="Invite").click()
    expect(tina_page.get_by_text("Invited Gert Client.")).to_be_visible()
    deliver()
    events = []
    for address in ("lea@example.org", "gert@client.example"):
        [message] = wait_for(inbox, address)
        part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
        assert part.get_param("method") == "REQUEST"
        events.append(Calendar.from_ical(part.get_content()).walk("VEVENT")[0])
    assert events[0]["UID"] == events[1]["UID"]
    assert str(events[0]["SUMMARY"]) == TITLE

    # In the room: Tina takes attendance.
    tina_page.get_by_role("link", name="Attendance and check-in QR code").click()
    tina_page.get_by_label("Lea").check()
    tina_page.get_by_label("Gert Client").check()
    tina_page.get_by_role("button", name="Save attendance").click()
    expect(tina_page.get_by_text("Attendance saved: 2 marked present")).to_be_visible()

    # The workshop is over (moved into the past in the database).
    with Session(session.get_bind()) as db:
        db.execute(update(Workshop).values(starts_at=utcnow() - timedelta(hours=3)))
        db.commit()
    lea.goto(workshop_url)
    lea.get_by_label("What was the most useful moment of this session for you, and why?").fill(
        "The consent round: my objection made the proposal better."
    )
    lea.get_by_role("button", name="Send my feedback").click()
    expect(lea.get_by_text("Thank you for your feedback!")).to_be_visible()

    # Tina records the harvest, then logs the workshop in her practicum.
    tina_page.goto(workshop_url + "/harvest")
    tina_page.get_by_label("What was decided or is to be done").fill("Write up the budget")
    tina_page.get_by_label("Owner's email (a person with an account here)").fill("lea@example.org")
    tina_page.get_by_role("button", name="Record").click()
    expect(tina_page.get_by_text("Action recorded.")).to_be_visible()
    tina_page.goto("/certification/facilitator")
    tina_page.get_by_role("link", name=f"Log “{TITLE}”").click()
    expect(tina_page.get_by_text("2 (marked present by the facilitator)")).to_be_visible()
    tina_page.get_by_label("What happened?").fill(
        "The group found its own way to a budget and I kept the consent round short."
    )
    tina_page.get_by_label("What will you do next time?").fill("Start on time, always.")
    tina_page.get_by_role("button", name="Save session").click()
    expect(tina_page.get_by_role("main")).to_contain_text("Session saved.")
    tina_page.screenshot(path=str(artifacts / "journey-practicum.png"), full_page=True)

    # The assessor sees the session confirmed; the sponsor page counts the workshop.
    ada = _log_in(browser, live_server, "ada@example.org")
    ada.goto(f"/reviews/{portfolio.id}")
    expect(ada.get_by_text("Confirmed by attendance: 2 marked present")).to_be_visible()
    ada.goto("/programme")
    expect(ada.get_by_role("heading", name="2. Tasting workshops")).to_be_visible()
    ada.screenshot(path=str(artifacts / "journey-programme.png"), full_page=True)
    download = ada.request.get("/programme.csv")
    rows = list(csv.DictReader(io.StringIO(download.text().lstrip("\ufeff"))))
    total = rows[-1]
    assert total["month"] == "total"
    assert total["tasting_workshops_held"] == "1" and total["people_reached"] == "2"
    assert total["actions_agreed"] == "1"
    with Session(session.get_bind()) as db:
        assert db.get(Portfolio, portfolio.id).status == "draft"
