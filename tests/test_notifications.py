"""Notifications: stored once per occasion, emailed unless switched off, listed and opened
by their owner only."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from cocourse.db import get_session, write
from cocourse.mail import worker
from cocourse.models import MailMessage, Notification, Role, utcnow
from cocourse.notifications import kinds, services
from cocourse.notifications.services import Message

from .conftest import csrf_token, make_app, run_concurrently
from .mailserver import smtp_server, smtp_settings, text_of

DECIDED = kinds.PORTFOLIO_DECIDED
NOTE = Message("Your portfolio was approved", "Well observed.\n\nKeep going.", "/certification")


def _notify(app, user, key="occasion:1", kind=DECIDED, message=NOTE):
    with app.test_request_context():
        db = get_session()
        with write(db):
            return services.notify(db, db.get(type(user), user.id), kind, key, message)


def _rows(session, model):
    session.expire_all()
    found = list(session.scalars(select(model).order_by(model.id)))
    session.rollback()
    return found


def _notification_mails(session):
    return [m for m in _rows(session, MailMessage) if m.template == "notification"]


def test_a_notification_is_stored_and_emailed_once_per_key(app, session, auth):
    ann = auth.create("ann@example.org")
    assert _notify(app, ann) is True
    assert _notify(app, ann) is False
    [stored] = _rows(session, Notification)
    assert (stored.user_id, stored.kind, stored.title) == (ann.id, DECIDED, NOTE.title)
    assert stored.read_at is None
    [mail] = _notification_mails(session)
    assert mail.to_address == "ann@example.org"
    assert mail.subject == "Your portfolio was approved"
    assert "Keep going." in mail.text_body and "http://localhost/certification" in mail.text_body
    assert "http://localhost/account/notifications" in mail.text_body
    # Another occasion, or another person, is another notification.
    assert _notify(app, ann, key="occasion:2") is True
    assert _notify(app, auth.create("bob@example.org")) is True
    assert len(_rows(session, Notification)) == 3


def test_switched_off_email_still_shows_in_the_app(app, session, auth):
    ann = auth.create("ann@example.org")
    with app.test_request_context():
        services.set_emails_off(get_session(), ann.id, [DECIDED, "no-such-kind"])
        assert services.emails_off(get_session(), ann.id) == {DECIDED}
    assert _notify(app, ann) is True
    issued = Message("Your certificate is issued")
    assert _notify(app, ann, key="other", kind=kinds.CERTIFICATE_ISSUED, message=issued) is True
    assert len(_rows(session, Notification)) == 2
    assert [m.subject for m in _notification_mails(session)] == ["Your certificate is issued"]


def test_a_deactivated_person_gets_no_email(app, session, auth):
    ann = auth.create("ann@example.org")
    ann.deactivated_at = utcnow()
    session.commit()
    assert _notify(app, ann) is True
    assert _notification_mails(session) == []


def test_notify_needs_the_callers_transaction_and_a_known_kind(app, auth):
    ann = auth.create("ann@example.org")
    with app.test_request_context(), pytest.raises(RuntimeError, match="write transaction"):
        services.notify(get_session(), ann, DECIDED, "k", NOTE)
    with pytest.raises(ValueError, match="unknown notification kind"):
        _notify(app, ann, kind="gossip")


def test_a_rolled_back_change_leaves_no_notification(app, session, auth):
    ann = auth.create("ann@example.org")
    with app.test_request_context():
        db = get_session()
        with pytest.raises(ZeroDivisionError), write(db):
            services.notify(db, db.get(type(ann), ann.id), DECIDED, "k", NOTE)
            _ = 1 / 0
    assert _rows(session, Notification) == []
    assert _notification_mails(session) == []


def test_two_workers_telling_the_same_thing_at_once_store_it_once(app, session, auth):
    ann = auth.create("ann@example.org")
    told = []

    def work(_i):
        told.append(_notify(app, ann, key="reminder:race"))

    assert run_concurrently(app, 4, work) == []
    assert sorted(told) == [False, False, False, True]
    assert len(_rows(session, Notification)) == 1
    assert len(_notification_mails(session)) == 1


def test_the_email_arrives_at_the_mail_server(engine, database_url, tmp_path, session, auth):
    with smtp_server() as inbox:
        app = make_app(database_url, tmp_path, **smtp_settings(inbox.port))
        ann = auth.create("ann@example.org")
        _notify(app, ann)
        assert worker.run_pending(app) == 1
        [received] = inbox.messages
    assert received["To"] == "ann@example.org"
    assert received["Subject"] == "Your portfolio was approved"
    assert "Well observed." in text_of(received)
    html = received.get_body(("html",)).get_content()
    assert "Keep going." in html and "http://localhost/certification" in html


# The pages


def _count_in_menu(html):
    found = re.search(r"Notifications <span class=\"count-badge\">.*?\((\d+) unread\)", html)
    return int(found.group(1)) if found else 0


def test_the_menu_counts_unread_notifications_and_the_list_shows_them(app, client, auth):
    ann = auth.create("ann@example.org")
    auth.login("ann@example.org")
    assert _count_in_menu(client.get("/").get_data(as_text=True)) == 0
    _notify(app, ann, key="a")
    _notify(app, ann, key="b", message=Message("A second thing", "", ""))
    page = client.get("/notifications").get_data(as_text=True)
    assert _count_in_menu(page) == 2
    assert "Your portfolio was approved" in page and "A second thing" in page
    assert page.index("A second thing") < page.index("Your portfolio was approved")
    assert page.count(">New</span>") == 2


def test_opening_a_notification_marks_it_read_and_goes_where_it_points(app, client, session, auth):
    ann = auth.create("ann@example.org")
    auth.login("ann@example.org")
    _notify(app, ann, key="a")
    _notify(app, ann, key="b", message=Message("Nowhere to go", "", "https://evil.example/"))
    first, second = _rows(session, Notification)
    response = client.get(f"/notifications/{first.id}")
    assert response.status_code == 302 and response.location == "/certification"
    # A link that leaves the site (never stored by the built-ins) goes to the list instead.
    assert client.get(f"/notifications/{second.id}").location == "/notifications"
    assert all(row.read_at is not None for row in _rows(session, Notification))
    assert _count_in_menu(client.get("/").get_data(as_text=True)) == 0


def test_someone_elses_notification_is_not_found(app, client, session, auth):
    bob = auth.create("bob@example.org")
    auth.create("ann@example.org")
    _notify(app, bob)
    [bobs] = _rows(session, Notification)
    auth.login("ann@example.org")
    assert client.get(f"/notifications/{bobs.id}").status_code == 404
    assert client.get("/notifications/99999999999999999999").status_code == 404
    assert _rows(session, Notification)[0].read_at is None
    assert "Your portfolio was approved" not in client.get("/notifications").get_data(as_text=True)


def test_mark_all_as_read(app, client, session, auth):
    ann = auth.create("ann@example.org")
    bob = auth.create("bob@example.org")
    for key in ("a", "b"):
        _notify(app, ann, key=key)
    _notify(app, bob)
    auth.login("ann@example.org")
    page = client.get("/notifications").get_data(as_text=True)
    response = client.post("/notifications/read", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert "Marked 2 notifications as read." in client.get("/notifications").get_data(as_text=True)
    unread = {row.user_id for row in _rows(session, Notification) if row.read_at is None}
    assert unread == {bob.id}
    # Without the CSRF token nothing changes.
    _notify(app, ann, key="c")
    client.post("/notifications/read", data={})
    assert _count_in_menu(client.get("/").get_data(as_text=True)) == 1


def test_the_pages_need_a_login(client):
    for path in ("/notifications", "/notifications/1", "/account/notifications"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.location


def test_email_settings_per_kind(app, client, session, auth):
    ann = auth.create("ann@example.org")
    auth.login("ann@example.org")
    account = client.get("/account/password").get_data(as_text=True)
    assert 'href="/account/notifications"' in account
    page = client.get("/account/notifications").get_data(as_text=True)
    learner_kinds = [kind.name for kind in kinds.for_person(can_review=False)]
    assert kinds.PORTFOLIO_SUBMITTED not in learner_kinds  # only staff review portfolios
    assert page.count('type="checkbox"') == page.count("checked") == len(learner_kinds)
    # Leave every box but "decided" checked: only that kind's email goes off.
    data = {name: "y" for name in learner_kinds if name != DECIDED}
    data["csrf_token"] = csrf_token(page)
    response = client.post("/account/notifications", data=data)
    assert response.status_code == 302
    with app.test_request_context():
        assert services.emails_off(get_session(), ann.id) == {DECIDED}
    page = client.get("/account/notifications").get_data(as_text=True)
    assert page.count("checked") == len(learner_kinds) - 1
    unchecked = 'id="email-portfolio_decided" name="portfolio_decided" type="checkbox" value="y">'
    assert unchecked in page


def test_a_staff_only_setting_is_kept_when_a_learner_saves(app, client, session, auth):
    ann = auth.create("ann@example.org")
    with app.test_request_context():
        services.set_emails_off(get_session(), ann.id, [kinds.PORTFOLIO_SUBMITTED])
    auth.login("ann@example.org")
    page = client.get("/account/notifications").get_data(as_text=True)
    client.post("/account/notifications", data={"csrf_token": csrf_token(page)})
    with app.test_request_context():
        off = services.emails_off(get_session(), ann.id)
    assert off == {kind.name for kind in kinds.KINDS.values()}


def test_assessors_can_switch_off_submitted_portfolios(app, client, session, auth):
    bob = auth.create("bob@example.org", Role.ASSESSOR)
    auth.login("bob@example.org")
    page = client.get("/account/notifications").get_data(as_text=True)
    assert page.count('type="checkbox"') == len(kinds.KINDS)
    data = {name: "y" for name in kinds.KINDS if name != kinds.PORTFOLIO_SUBMITTED}
    client.post("/account/notifications", data={**data, "csrf_token": csrf_token(page)})
    with app.test_request_context():
        assert services.emails_off(get_session(), bob.id) == {kinds.PORTFOLIO_SUBMITTED}
