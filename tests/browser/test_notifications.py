"""In real Chromium on a phone: the unread count in the menu, the list, opening a
notification, and switching one kind of email off."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocourse.accounts.services import create_user
from cocourse.models import EmailOptOut, Notification
from cocourse.notifications import kinds
from cocourse.notifications.services import Message

from ..conftest import PASSWORD, make_app
from ..test_notifications import _notify

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_read_a_notification_and_switch_an_email_off_on_a_phone(
    browser, live_server, engine, database_url, tmp_path, artifacts
):
    with Session(engine, expire_on_commit=False) as db:
        rita = create_user(db, "rita@example.org", "Rita Recruit", PASSWORD)
    app = make_app(database_url, tmp_path / "arrange")
    _notify(
        app,
        rita,
        "decision:1",
        kinds.PORTFOLIO_DECIDED,
        Message(
            "Ada Admin asked for changes to your portfolio",
            "Add a reflection to the session of 3 March: what would you do differently?",
            "/certification/",
        ),
    )
    _notify(app, rita, "due:1", kinds.DUE_SOON, Message("Tasting is due in 7 days"))

    context = browser.new_context(base_url=live_server, viewport=PHONE)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Email").fill("rita@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    menu = page.get_by_role("navigation", name="Account")
    expect(menu.get_by_role("link", name="Notifications (2 unread)")).to_be_visible()
    page.screenshot(path=str(artifacts / "notifications-menu-phone.png"))

    menu.get_by_role("link", name="Notifications (2 unread)").click()
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    expect(page.get_by_text("Add a reflection to the session of 3 March")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.screenshot(path=str(artifacts / "notifications-list-phone.png"), full_page=True)

    page.get_by_role("link", name="Ada Admin asked for changes to your portfolio").click()
    expect(page).to_have_url(re.compile(r"/certification/$"))
    expect(menu.get_by_role("link", name="Notifications (1 unread)")).to_be_visible()

    page.get_by_role("link", name="Rita Recruit").click()
    page.get_by_role("link", name="Email settings").click()
    expiring = page.get_by_label("My certificate expires in 30 days")
    expect(expiring).to_be_checked()
    expiring.uncheck()
    page.screenshot(path=str(artifacts / "notifications-settings-phone.png"), full_page=True)
    page.get_by_role("button", name="Save email settings").click()
    expect(page.get_by_text("Your email settings are saved.")).to_be_visible()
    expect(page.get_by_label("My certificate expires in 30 days")).not_to_be_checked()
    expect(page.get_by_label("An assessor decides on my portfolio")).to_be_checked()
    context.close()

    with Session(engine) as db:
        assert db.scalars(select(EmailOptOut.kind)).all() == [kinds.CERTIFICATE_EXPIRING]
        unread = db.scalars(select(Notification.title).where(Notification.read_at.is_(None)))
        assert unread.all() == ["Tasting is due in 7 days"]
