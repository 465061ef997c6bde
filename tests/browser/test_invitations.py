"""In real Chromium: an imported person's invitation arrives by SMTP and lets them in; a
password reset works without telling which addresses have accounts."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from cocourse.mail import worker
from cocourse.models import Role

from ..conftest import PASSWORD, AuthActions, make_app
from ..mailserver import smtp_server, smtp_settings, text_of

pytestmark = pytest.mark.browser
NEW = "a brand new long secret"
CSV = b"name,email,cohort\nBea Bakker,bea@example.org,Spring 2027\n"


@pytest.fixture
def inbox():
    with smtp_server() as found:
        yield found


@pytest.fixture
def app_settings(inbox):
    return smtp_settings(inbox.port)


@pytest.fixture
def deliver(database_url, tmp_path, app_settings):
    """A worker on the served app's job queue (the same instance folder), run on demand."""
    app = make_app(database_url, tmp_path, **app_settings)
    return lambda: worker.run_pending(app)


def wait_for(inbox, address, count=1):
    for _ in range(50):
        if len(inbox.to(address)) >= count:
            return inbox.to(address)
        time.sleep(0.05)
    raise AssertionError(f"no mail for {address}")


def link_in(message, kind):
    found = re.search(rf"http://127\.0\.0\.1:\d+/account/{kind}/\S+", text_of(message))
    assert found, text_of(message)
    return found.group(0)


def test_an_imported_person_accepts_the_invitation(browser, live_server, session, inbox, deliver):
    AuthActions(None, session).create("admin@example.org", Role.ADMIN)
    admin = browser.new_context(base_url=live_server)
    person = browser.new_context(base_url=live_server)
    try:
        page = admin.new_page()
        page.goto("/login")
        page.get_by_label("Email").fill("admin@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto("/admin/people/import")
        page.get_by_label("CSV file").set_input_files(
            {"name": "people.csv", "mimeType": "text/csv", "buffer": CSV}
        )
        page.get_by_label("Email an invitation to new people").check()
        page.get_by_role("button", name="Import").click()
        expect(page.get_by_text("being emailed an invitation")).to_be_visible()

        assert deliver() == 1
        [message] = wait_for(inbox, "bea@example.org")
        assert message["Subject"] == "You are invited to Acme Learning"
        assert "Spring 2027" in text_of(message)

        visit = person.new_page()
        visit.goto(link_in(message, "invitation"))
        expect(visit.get_by_role("heading", name="Welcome, Bea Bakker")).to_be_visible()
        visit.get_by_label("New password", exact=True).fill(NEW)
        visit.get_by_label("Repeat the new password").fill(NEW)
        visit.get_by_role("button", name="Set password and start").click()
        expect(visit.get_by_text("You are in Spring 2027.")).to_be_visible()
        expect(visit.get_by_role("button", name="Log out")).to_be_visible()

        visit.goto(link_in(message, "invitation"))  # a second use
        expect(visit.get_by_text("This link was used already")).to_be_visible()
    finally:
        admin.close()
        person.close()


def test_a_reset_does_not_tell_which_addresses_have_accounts(page, session, inbox, deliver):
    AuthActions(None, session).create("ann@example.org")
    notices = []
    for email in ("ann@example.org", "nobody@example.org"):
        page.goto("/login")
        page.get_by_role("link", name="Forgot your password?").click()
        page.get_by_label("Email").fill(email)
        page.get_by_role("button", name="Send me a link").click()
        notice = page.get_by_role("status").inner_text()
        notices.append(notice.replace(email, "EMAIL"))
    assert notices[0] == notices[1] and "If an account uses EMAIL" in notices[0]

    assert deliver() == 1
    [message] = wait_for(inbox, "ann@example.org")
    assert inbox.to("nobody@example.org") == []
    page.goto(link_in(message, "reset"))
    page.get_by_label("New password", exact=True).fill(NEW)
    page.get_by_label("Repeat the new password").fill(NEW)
    page.get_by_role("button", name="Set password and log in").click()
    expect(page.get_by_text("Your password is changed")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
