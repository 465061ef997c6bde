"""In real Chromium at phone width: a learner proposes an opportunity, a colleague supports
and comments on it, an admin moves it to "planned" with a reason; every page passes axe."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from cocourse.accounts.services import create_user
from cocourse.models import Role

from ..conftest import PASSWORD
from .helpers import check, open_as

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
NARROW = {"width": 320, "height": 640}
LINK = "https://intranet.example.org/onboarding/checklists/2027/first-week-of-new-recruits"
TITLE = "Plan the onboarding with last year's recruits"
STAKE = "New recruits wait two weeks for a laptop and an account, and feel unwelcome."


@pytest.fixture
def people(engine):
    with Session(engine, expire_on_commit=False) as db:
        create_user(db, "lea@example.org", "Lea Learner", PASSWORD)
        create_user(db, "sam@example.org", "Sam Supporter", PASSWORD)
        create_user(db, "ada@example.org", "Ada Admin", PASSWORD, Role.ADMIN)


def test_propose_support_comment_and_triage(browser, live_server, people, axe_source, artifacts):
    lea = open_as(browser, live_server, "lea@example.org", axe_source)
    lea.get_by_role("navigation", name="Account").get_by_role("link", name="Opportunities").click()
    expect(lea.get_by_role("heading", name="Opportunities", level=1)).to_be_visible()
    expect(lea.get_by_text("Nobody has proposed an opportunity yet.")).to_be_visible()
    check(lea, "the empty board")
    lea.get_by_role("link", name="Propose an opportunity").click()
    expect(lea.get_by_role("heading", name="Propose an opportunity")).to_be_visible()

    # Nothing filled in: messages next to the fields, nothing saved.
    lea.get_by_role("button", name="Put it on the board").click()
    expect(
        lea.get_by_text("Give the opportunity a title of at least 3 characters.")
    ).to_be_visible()
    expect(lea.get_by_text("Say what is at stake: why would this be worth it?")).to_be_visible()
    expect(lea.get_by_label("Title")).to_have_attribute("aria-invalid", "true")
    check(lea, "the proposal form with errors")
    lea.screenshot(path=str(artifacts / "opportunities-form-errors-phone.png"), full_page=True)

    lea.get_by_label("Title").fill(TITLE)
    lea.get_by_label("What is at stake?").fill(STAKE)
    lea.get_by_label("Who is involved? (optional)").fill("HR, IT, the team leads, recruits")
    lea.get_by_label("Inside the organization").check()
    lea.get_by_role("button", name="Put it on the board").click()
    expect(lea.get_by_text("Your opportunity is on the board.")).to_be_visible()
    expect(lea.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    expect(lea.get_by_text("Nobody supports this yet.")).to_be_visible()
    expect(lea.get_by_role("heading", name="Change the status")).to_have_count(0)
    check(lea, "the new opportunity, as its proposer")
    lea.screenshot(path=str(artifacts / "opportunities-proposed-phone.png"), full_page=True)

    # From a lesson: the form says which module sent the person.
    lea.goto("/opportunities/new?from=intro")
    expect(lea.get_by_role("link", name="Introduction")).to_have_attribute("href", "/modules/intro")
    lea.context.close()

    sam = open_as(browser, live_server, "sam@example.org", axe_source)
    sam.goto("/opportunities")
    card = sam.get_by_role("listitem").filter(has_text=TITLE)
    expect(card).to_contain_text("0 supporters")
    expect(card).to_contain_text("proposed by Lea Learner")
    check(sam, "the board")
    sam.screenshot(path=str(artifacts / "opportunities-board-phone.png"), full_page=True)
    card.get_by_role("link", name=TITLE).click()
    sam.get_by_role("button", name="Support this opportunity").click()
    expect(sam.get_by_text("1 person supports this. You are one of them.")).to_be_visible()
    expect(sam.get_by_role("button", name="Withdraw my support")).to_be_visible()
    sam.get_by_label("Your comment").fill(f"I joined last year: I would gladly help. See {LINK}")
    sam.get_by_role("button", name="Post the comment").click()
    expect(sam.get_by_text("Your comment is posted.")).to_be_visible()
    comments = sam.locator("#comments")
    expect(comments.get_by_role("heading", name="Comments (1)")).to_be_visible()
    expect(comments.get_by_role("listitem")).to_contain_text("Sam Supporter")
    expect(sam.get_by_role("link", name="Edit the opportunity")).to_have_count(0)
    check(sam, "an opportunity with support and a comment")
    sam.screenshot(path=str(artifacts / "opportunities-supported-phone.png"), full_page=True)
    sam.context.close()

    ada = open_as(browser, live_server, "ada@example.org", axe_source)
    ada.goto("/opportunities?sort=new&scope=internal")
    ada.get_by_role("link", name=TITLE).click()
    triage = ada.locator("#triage")
    expect(triage.get_by_role("heading", name="Change the status")).to_be_visible()
    # "Not for now" needs a reason.
    triage.get_by_label("New status").select_option(label="Not for now")
    triage.get_by_role("button", name="Save the status").click()
    expect(ada.get_by_text("Say why the opportunity is “Not for now”.")).to_be_visible()
    check(ada, "the triage form with an error")
    ada.locator("#triage").get_by_label("New status").select_option(label="Planned")
    ada.locator("#triage").get_by_label("Reason").fill("Workshop with HR on 12 May.")
    ada.locator("#triage").get_by_role("button", name="Save the status").click()
    expect(ada.get_by_text("The opportunity is now “Planned”.")).to_be_visible()
    expect(ada.get_by_text("Planned: Workshop with HR on 12 May.")).to_be_visible()
    check(ada, "a planned opportunity, as an admin")
    ada.screenshot(path=str(artifacts / "opportunities-planned-phone.png"), full_page=True)

    ada.goto("/opportunities?status=planned")
    card = ada.get_by_role("listitem").filter(has_text=TITLE)
    expect(card).to_contain_text("Planned")
    expect(card).to_contain_text("1 supporter")
    expect(card).to_contain_text("1 comment")
    ada.set_viewport_size(DESKTOP)
    check(ada, "the board filtered by status, at desktop width")
    ada.screenshot(path=str(artifacts / "opportunities-board-desktop.png"), full_page=True)
    # At 320 CSS px nothing scrolls sideways, a long link in a comment included.
    ada.set_viewport_size(NARROW)
    check(ada, "the board at 320 px")
    card.get_by_role("link", name=TITLE).click()
    expect(ada.get_by_text(LINK)).to_be_visible()
    check(ada, "an opportunity at 320 px")
    ada.screenshot(path=str(artifacts / "opportunities-detail-320.png"), full_page=True)
    ada.context.close()
