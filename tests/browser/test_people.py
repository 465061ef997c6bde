"""In real Chromium: a join link followed through sign-up on a phone, and an admin finding a
person on the People page and deactivating them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from cocourse.accounts.services import create_user
from cocourse.cohorts import services as cohorts
from cocourse.models import CohortMember, Role

from ..conftest import PASSWORD
from .test_accessibility import AXE, RUN_AXE, TAGS

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_a_join_link_followed_through_sign_up_on_a_phone(browser, live_server, engine, artifacts):
    with Session(engine) as db:
        cohort = cohorts.create_cohort(db, "Intake 2027")
        code, cohort_id = cohort.join_code, cohort.id
    context = browser.new_context(base_url=live_server, viewport=PHONE)
    if AXE.is_file():  # the accessibility tests say what happens without it
        context.add_init_script(script=AXE.read_text(encoding="utf-8"))
    page = context.new_page()
    # Typed by hand from a poster: lower case, no hyphens.
    page.goto(f"/join/{code.replace('-', '').lower()}")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_text("you will join the cohort Intake 2027")).to_be_visible()
    if AXE.is_file():
        assert page.evaluate(RUN_AXE, TAGS) == []
    page.get_by_role("link", name="Create an account").click()
    expect(page.get_by_text("you will join the cohort Intake 2027")).to_be_visible()
    page.get_by_label("Your name").fill("Rita Recruit")
    page.get_by_label("Email").fill("rita@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("You joined Intake 2027.")).to_be_visible()
    expect(page.get_by_text("Welcome, Rita Recruit.")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.screenshot(path=str(artifacts / "join-through-sign-up-phone.png"), full_page=True)
    context.close()
    with Session(engine) as db:
        joined = db.query(CohortMember).filter_by(cohort_id=cohort_id).count()
    assert joined == 1


def test_an_admin_finds_a_person_and_deactivates_them(browser, live_server, engine, artifacts):
    with Session(engine) as db:
        create_user(db, "admin@example.org", "Ada Admin", PASSWORD, Role.ADMIN)
        create_user(db, "rita@example.org", "Rita Recruit", PASSWORD)
        create_user(db, "sam@example.org", "Sam Someone", PASSWORD)
    rita = browser.new_context(base_url=live_server).new_page()
    rita.goto("/login")
    rita.get_by_label("Email").fill("rita@example.org")
    rita.get_by_label("Password").fill(PASSWORD)
    rita.get_by_role("button", name="Log in").click()
    rita.get_by_role("button", name="Log out").wait_for()

    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Email").fill("admin@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="People").click()
    page.get_by_label("Name or email contains").fill("RITA")
    page.get_by_label("Role", exact=True).select_option("learner")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("1 account found")).to_be_visible()
    page.get_by_role("link", name="Rita Recruit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rita Recruit")
    page.get_by_role("link", name="Deactivate Rita Recruit…").click()
    expect(page.get_by_text("can no longer log in")).to_be_visible()
    page.get_by_role("button", name="Deactivate Rita Recruit").click()
    expect(
        page.get_by_text("Rita Recruit is deactivated and logged out everywhere.")
    ).to_be_visible()
    page.screenshot(path=str(artifacts / "person-deactivated.png"), full_page=True)

    rita.reload()  # her open session ended with the deactivation
    expect(rita.get_by_role("link", name="Log in").first).to_be_visible()
    rita.goto("/login")
    rita.get_by_label("Email").fill("rita@example.org")
    rita.get_by_label("Password").fill(PASSWORD)
    rita.get_by_role("button", name="Log in").click()
    expect(rita.get_by_text("This account is deactivated")).to_be_visible()

    page.get_by_role("button", name="Reactivate Rita Recruit").click()
    expect(page.get_by_text("Rita Recruit can log in again.")).to_be_visible()
    context.close()
    rita.context.close()
