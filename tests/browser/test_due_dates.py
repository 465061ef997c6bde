"""In real Chromium: an admin sets a cohort due date; a member who has not finished sees it
on the dashboard and, after the reminder job, gets the reminder in the app (phone width)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from cocourse.accounts.services import create_user
from cocourse.cohorts import services as cohorts
from cocourse.mail.worker import run_job, scheduled_jobs
from cocourse.models import Role, utcnow

from ..conftest import PASSWORD, make_app
from .test_accessibility import AXE, RUN_AXE, TAGS

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def log_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def phone(browser, live_server):
    """A page at phone width, with axe-core in every document when it is installed (the
    accessibility tests say what happens without it)."""
    context = browser.new_context(base_url=live_server, viewport=PHONE)
    if AXE.is_file():
        context.add_init_script(script=AXE.read_text(encoding="utf-8"))
    return context.new_page()


def checked(page) -> None:
    """No sideways scrolling at phone width, and no WCAG violations axe-core can find."""
    page.wait_for_load_state("load")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    if AXE.is_file():
        assert page.evaluate(RUN_AXE, TAGS) == []


def test_a_due_date_set_by_an_admin_reaches_the_learner(
    browser, live_server, engine, database_url, tmp_path, artifacts
):
    with Session(engine, expire_on_commit=False) as db:
        create_user(db, "admin@example.org", "Ada Admin", PASSWORD, Role.ADMIN)
        rita = create_user(db, "rita@example.org", "Rita Recruit", PASSWORD)
        cohort = cohorts.create_cohort(db, "Intake 2027")
        cohorts.add_member(db, cohort.id, rita.id)
    today = utcnow().date()
    due_on = today + timedelta(days=5)
    when = f"{due_on:%b} {due_on.day}, {due_on.year}"  # how the English pages write it: Jan 5, 2027

    admin = phone(browser, live_server)
    log_in(admin, "admin@example.org")
    admin.goto(f"/admin/cohorts/{cohort.id}")
    expect(admin.get_by_role("heading", name="Due dates")).to_be_visible()
    expect(admin.get_by_text("No due dates yet.")).to_be_visible()
    admin.get_by_label("Track or module").select_option(label="Introduction")
    admin.get_by_label("Due date", exact=True).fill(due_on.isoformat())
    admin.get_by_role("button", name="Save due date").click()
    expect(admin.get_by_text(f"Intake 2027 should finish Introduction by {when}.")).to_be_visible()
    table = admin.get_by_role("table", name="Due dates of Intake 2027")
    row = table.get_by_role("row").filter(has_text="Introduction")
    expect(row).to_contain_text(when)
    expect(row).to_contain_text("5 days left")
    expect(row.get_by_role("button", name="Remove the due date of Introduction")).to_be_visible()
    checked(admin)
    admin.get_by_role("heading", name="Due dates").scroll_into_view_if_needed()
    admin.screenshot(path=str(artifacts / "due-dates-admin-phone.png"))
    admin.screenshot(path=str(artifacts / "due-dates-admin-phone-full.png"), full_page=True)

    # A date in the past is refused with a message next to the field.
    admin.get_by_label("Due date", exact=True).fill((today - timedelta(days=1)).isoformat())
    admin.get_by_role("button", name="Save due date").click()
    expect(admin.get_by_text("has passed: choose today")).to_be_visible()
    expect(admin.get_by_label("Due date", exact=True)).to_have_attribute("aria-invalid", "true")
    checked(admin)
    admin.context.close()

    page = phone(browser, live_server)
    log_in(page, "rita@example.org")
    menu = page.get_by_role("navigation", name="Account")
    expect(menu.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
    page.goto("/dashboard")
    panel = page.locator("section", has=page.get_by_role("heading", name="Due dates"))
    expect(panel.get_by_role("link", name="Introduction")).to_have_attribute(
        "href", "/modules/intro"
    )
    expect(panel).to_contain_text("Intake 2027")
    expect(panel).to_contain_text(when)
    expect(panel).to_contain_text("5 days left")
    checked(page)
    panel.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "due-dates-dashboard-phone.png"))

    # The worker's reminder job runs (here, in the test, on its own app and session).
    jobs = make_app(database_url, tmp_path / "worker")
    (job,) = [j for j in scheduled_jobs(jobs) if j.name == "cocourse.cohorts.due-date-reminders"]
    assert run_job(jobs, job) == 1
    assert run_job(jobs, job) == 0

    page.reload()
    unread = menu.get_by_role("link", name="Notifications (1 unread)")
    expect(unread).to_be_visible()
    page.screenshot(path=str(artifacts / "due-dates-reminder-menu-phone.png"))
    unread.click()
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    title = f"Introduction is due in 5 days ({when})"
    expect(page.get_by_role("link", name=title)).to_be_visible()
    expect(page.get_by_text("Your cohort Intake 2027 aims to finish")).to_be_visible()
    checked(page)
    page.screenshot(path=str(artifacts / "due-dates-reminder-list-phone.png"), full_page=True)
    page.get_by_role("link", name=title).click()
    expect(page).to_have_url(re.compile(r"/modules/intro$"))
    page.context.close()
