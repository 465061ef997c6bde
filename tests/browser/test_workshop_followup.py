"""In real Chromium: a facilitator takes attendance, a participant at phone width checks in
through the room's QR link and later gives feedback, and the facilitator reads the
aggregate and records the harvest; every page passes axe and fits the screen."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from cocourse.accounts.services import create_user
from cocourse.db import get_session
from cocourse.models import Role, Workshop, utcnow
from cocourse.workshops import services

from ..conftest import PASSWORD, make_app
from ..test_workshops import plan
from .helpers import PHONE, check, open_as

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content" / "modules"
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def content_dir() -> Path:
    """The bundled course: its workshop kit has the feedback form."""
    return CONTENT


@pytest.fixture
def workshop_id(engine, database_url, tmp_path) -> int:
    """A workshop led by Ada that started 20 minutes ago, Lea and Sam with a seat."""
    with Session(engine, expire_on_commit=False) as db:
        ada = create_user(db, "ada@example.org", "Ada Admin", PASSWORD, Role.ADMIN)
        lea = create_user(db, "lea@example.org", "Lea Learner", PASSWORD)
        sam = create_user(db, "sam@example.org", "Sam Sceptic", PASSWORD)
    app = make_app(database_url, tmp_path / "setup", CONTENT_DIR=str(CONTENT))
    with app.test_request_context():
        session = get_session()
        workshop = services.schedule(session, ada, plan(capacity=8), utcnow())
        for person in (lea, sam):
            services.sign_up(session, workshop.id, person, utcnow())
    _move(engine, workshop.id, utcnow() - timedelta(minutes=20))
    return workshop.id


def _move(engine, workshop_id, starts_at):
    with Session(engine) as db:
        db.get(Workshop, workshop_id).starts_at = starts_at
        db.commit()


def test_attendance_check_in_feedback_and_harvest(
    browser, live_server, engine, workshop_id, axe_source, artifacts
):
    ada = open_as(browser, live_server, "ada@example.org", axe_source, DESKTOP)
    ada.goto(f"/workshops/{workshop_id}")
    ada.get_by_role("link", name="Attendance and check-in QR code").click()
    expect(ada.get_by_role("heading", name="Attendance", level=1)).to_be_visible()
    expect(ada.get_by_role("img", name="QR code of the check-in link")).to_be_visible()
    check_in_url = ada.locator("a[href*='/check-in/']").get_attribute("href")
    assert check_in_url and f"/workshops/{workshop_id}/check-in/" in check_in_url
    ada.get_by_label("Sam Sceptic").check()
    ada.get_by_role("button", name="Save attendance").click()
    expect(ada.get_by_text("Attendance saved: 1 marked present, 0 unmarked.")).to_be_visible()
    expect(ada.get_by_label("Sam Sceptic")).to_be_checked()
    expect(ada.get_by_label("Lea Learner")).not_to_be_checked()
    check(ada, "the attendance page")
    ada.screenshot(path=str(artifacts / "workshop-attendance-desktop.png"), full_page=True)

    # Lea scans the code in the room with her phone.
    lea = open_as(browser, live_server, "lea@example.org", axe_source, PHONE)
    lea.goto(check_in_url)
    expect(lea.get_by_role("heading", name="Check in", level=1)).to_be_visible()
    check(lea, "the check-in page")
    lea.screenshot(path=str(artifacts / "workshop-check-in-phone.png"), full_page=True)
    lea.get_by_role("button", name="Check me in").click()
    expect(lea.get_by_text("You are checked in. Welcome!").first).to_be_visible()
    check(lea, "the workshop page after checking in")
    lea.screenshot(path=str(artifacts / "workshop-checked-in-phone.png"), full_page=True)

    ada.reload()
    expect(ada.get_by_label("Lea Learner")).to_be_checked()
    expect(ada.get_by_text("2 of 2 marked present.")).to_be_visible()

    # The workshop is over: Lea answers the feedback form.
    _move(engine, workshop_id, utcnow() - timedelta(minutes=95 + 60))
    lea.goto(f"/workshops/{workshop_id}")
    form = lea.locator("section", has=lea.get_by_role("heading", name="Your feedback"))
    expect(form).to_be_visible()
    lea.get_by_role("button", name="Send my feedback").click()
    most_useful = "What was the most useful moment of this session for you, and why?"
    expect(lea.get_by_text(f"“{most_useful}” needs an answer.")).to_be_visible()
    check(lea, "the feedback form with errors")
    lea.screenshot(path=str(artifacts / "workshop-feedback-errors-phone.png"), full_page=True)
    lea.get_by_label(most_useful).fill("Hearing the counter staff's view in the pairs.")
    lea.get_by_label(
        "What will you do differently in your own work after today, if anything?"
    ).fill("Open our team meeting with a check-in round.")
    lea.get_by_role("button", name="Send my feedback").click()
    expect(lea.get_by_text("Thank you for your feedback!")).to_be_visible()
    expect(lea.get_by_text("You have given your feedback already. Thank you!")).to_be_visible()
    expect(lea.get_by_role("button", name="Send my feedback")).to_have_count(0)
    check(lea, "the workshop page after feedback")
    lea.screenshot(path=str(artifacts / "workshop-feedback-sent-phone.png"), full_page=True)

    # Ada reads the aggregate, then records the harvest.
    ada.goto(f"/workshops/{workshop_id}/feedback/summary")
    expect(ada.get_by_text("1 of 2 people who attended has answered.")).to_be_visible()
    expect(ada.get_by_text("Hearing the counter staff's view in the pairs.")).to_be_visible()
    expect(ada.get_by_text("Open our team meeting with a check-in round.")).to_be_visible()
    expect(ada.get_by_text("Lea Learner")).to_have_count(0)
    check(ada, "the feedback summary")
    ada.screenshot(path=str(artifacts / "workshop-feedback-summary-desktop.png"), full_page=True)

    ada.goto(f"/workshops/{workshop_id}/harvest")
    due = (utcnow() + timedelta(days=10)).date().isoformat()
    ada.get_by_label("What was decided or is to be done").fill("Draft the welcome pack")
    ada.get_by_label("Owner's email (a person with an account here)").fill("lea@example.org")
    ada.get_by_label("Due date (optional)").fill(due)
    ada.get_by_role("button", name="Record").click()
    expect(ada.get_by_text("Action recorded.")).to_be_visible()
    ada.get_by_label("What was decided or is to be done").fill("Order laptops before day one")
    ada.get_by_label("Or the owner's name").fill("IT desk")
    ada.get_by_role("button", name="Record").click()
    items = ada.locator(".harvest-list > li")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text("Owner: Lea Learner")
    expect(items.nth(1)).to_contain_text("Owner: IT desk (no account)")
    check(ada, "the harvest")
    ada.screenshot(path=str(artifacts / "workshop-harvest-desktop.png"), full_page=True)

    # Lea finds her action and marks it done.
    lea.goto("/workshops")
    mine = lea.locator("section", has=lea.get_by_role("heading", name="Your actions"))
    expect(mine).to_contain_text("Draft the welcome pack")
    check(lea, "the workshop list with an action")
    lea.screenshot(path=str(artifacts / "workshop-your-actions-phone.png"), full_page=True)
    mine.get_by_role("button", name="Mark done").click()
    expect(lea.get_by_text("Done: Draft the welcome pack")).to_be_visible()
    expect(lea.get_by_role("heading", name="Your actions")).to_have_count(0)
    lea.context.close()
    ada.context.close()
