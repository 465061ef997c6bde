"""The certification journey in real Chromium: a trainee on a phone logs the practicum and
submits; an admin reviews against the rubric; anyone verifies the certificate."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cocourse.models import Role, utcnow

from ..conftest import PASSWORD, AuthActions, make_app
from ..test_certification import CERT_COURSE, PROGRAM, REFLECTION, RIGHT, finish_basics, take_exam

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def content_dir():
    return CERT_COURSE


def log_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def log_session(page, role: str, beyond: bool) -> None:
    page.get_by_role("link", name="Log a session").click()
    page.get_by_label("Date of the session").fill(utcnow().date().isoformat())
    page.get_by_label("Facilitated time (minutes)").fill("90")
    page.get_by_label("Participants", exact=True).fill("9")
    page.get_by_label(role, exact=True).check()
    if beyond:
        page.get_by_label("Participants came from beyond one team").check()
    page.get_by_label("Purpose", exact=True).fill("Agree the next quarter's priorities")
    page.get_by_label("Outcome and harvest").fill("Three priorities, each with an owner")
    page.get_by_label("What happened?").fill(REFLECTION)
    page.get_by_label("What will you do next time?").fill("Start the check-in on time.")
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_role("main")).to_contain_text("Session saved.")


def test_log_submit_review_and_verify(
    browser, live_server, engine, database_url, tmp_path, session, artifacts
):
    services = make_app(database_url, tmp_path / "services", CONTENT_DIR=str(CERT_COURSE))
    auth = AuthActions(None, session)
    trainee = auth.create("trainee@example.org")
    auth.create("admin@example.org", role=Role.ADMIN)
    finish_basics(services, trainee.id)
    take_exam(services, trainee.id, RIGHT)

    phone = browser.new_context(base_url=live_server, viewport=PHONE)
    page = phone.new_page()
    log_in(page, "trainee@example.org")
    page.goto(f"/certification/{PROGRAM}")
    page.get_by_role("button", name="Enrol in the programme").click()
    log_session(page, "Lead facilitator", beyond=True)
    log_session(page, "Co-facilitator", beyond=False)
    log_session(page, "Co-facilitator", beyond=False)
    page.screenshot(path=str(artifacts / "certification-log-phone.png"), full_page=True)
    page.get_by_label("I confirm this declaration").check()
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_role("main")).to_contain_text("Submitted")
    phone.close()

    desk = browser.new_context(base_url=live_server)
    page = desk.new_page()
    log_in(page, "admin@example.org")
    page.goto("/reviews/")
    page.get_by_role("link", name="Trainee").click()
    for index, criterion in enumerate(["Designing the process", "Professional stance"]):
        group = page.get_by_role("group", name=f"Level: {criterion}")
        group.get_by_label("Demonstrated").check()
        page.get_by_label(f"Evidence: {criterion}").fill(f"Evidence {index} from the log")
    page.get_by_label("Approve and issue the certificate").check()
    page.get_by_label("I am not this trainee's line manager").check()
    page.screenshot(path=str(artifacts / "certification-review.png"), full_page=True)
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("main")).to_contain_text("The certificate is issued")
    desk.close()

    holder = browser.new_context(base_url=live_server)
    page = holder.new_page()
    log_in(page, "trainee@example.org")
    page.goto(f"/certification/{PROGRAM}")
    page.get_by_role("link", name="View and print").click()
    page.screenshot(path=str(artifacts / "certificate.png"), full_page=True)
    verify_url = page.locator(".certificate-code").inner_text().removeprefix("Verify at ")
    holder.close()

    anyone = browser.new_context()
    page = anyone.new_page()
    page.goto(verify_url)
    text = page.get_by_role("main").inner_text()
    assert "Valid" in text and "Trainee" in text and "Test Facilitator" in text
    anyone.close()
