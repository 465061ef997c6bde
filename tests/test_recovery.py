"""Invitations, password resets and email changes: single-use links that arrive by email."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from sqlalchemy import select, update

from cocourse.accounts import sessions
from cocourse.models import AccountToken, CohortMember, MailMessage, Role, User, utcnow

from .conftest import PASSWORD, csrf_token, make_app

NEW = "another long enough secret"
LINK = re.compile(r"http://localhost(/account/(?:reset|invitation|email)/[A-Za-z0-9_\-]+)")


def mails(session, to=None):
    session.rollback()
    query = select(MailMessage).order_by(MailMessage.id)
    if to:
        query = query.where(MailMessage.to_address == to)
    rows = list(session.scalars(query))
    session.rollback()
    return rows


def link_in(message):
    found = LINK.search(message.text_body)
    assert found, message.text_body
    return found.group(1)


def post(client, path, data, page=None):
    token = csrf_token(client.get(page or path).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


def forgot(client, email):
    return post(client, "/account/forgot", {"email": email})


def set_password(client, path, password=NEW, confirm=None):
    return post(client, path, {"password": password, "confirm": confirm or password})


# Password reset


def test_the_login_page_links_to_the_reset_form(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/account/forgot"' in page


def test_a_reset_answers_the_same_for_known_and_unknown_addresses(client, auth, session):
    auth.create("ann@example.org")
    shown = []
    for email in ("ann@example.org", "nobody@example.org"):
        response = forgot(client, email)
        assert response.status_code == 302 and response.location == "/login"
        page = client.get(response.location).get_data(as_text=True)  # with its flash
        shown.append(re.sub(r"\S+@example\.org", "EMAIL", re.sub(CSRF_VALUE, "", page)))
    assert "If an account uses EMAIL" in shown[0]
    assert shown[0] == shown[1]
    assert [m.to_address for m in mails(session)] == ["ann@example.org"]


CSRF_VALUE = r'value="[^"]+"'


def test_a_reset_link_sets_the_password_once_and_ends_every_session(app, client, auth, session):
    user = auth.create("ann@example.org")
    other = app.test_client()
    post(other, "/login", {"email": "ann@example.org", "password": PASSWORD})
    assert other.get("/account/password").status_code == 200
    forgot(client, "ann@example.org")
    [message] = mails(session)
    assert message.subject == "Reset your password for cocourse"
    path = link_in(message)
    page = client.get(path)
    assert page.status_code == 200 and "Choose a new password" in page.get_data(as_text=True)
    done = set_password(client, path)
    assert done.status_code == 302 and done.location == "/"
    assert client.get("/account/password").status_code == 200  # logged in here
    assert other.get("/account/password").status_code == 302  # logged out elsewhere
    auth.client = app.test_client()
    assert auth.login("ann@example.org", PASSWORD).status_code == 200  # the old one is gone
    assert auth.login("ann@example.org", NEW).status_code == 302
    again = app.test_client().get(path)
    assert again.status_code == 400
    assert "used already" in again.get_data(as_text=True)
    session.rollback()
    assert session.get(User, user.id).password_hash.startswith("scrypt")


def test_a_second_request_invalidates_the_first_link(client, auth, session):
    auth.create("ann@example.org")
    forgot(client, "ann@example.org")
    forgot(client, "ann@example.org")
    first, second = (link_in(m) for m in mails(session))
    refused = client.get(first)
    assert refused.status_code == 400 and "newer link" in refused.get_data(as_text=True)
    assert client.get(second).status_code == 200


def test_an_expired_link_is_refused(client, auth, session):
    auth.create("ann@example.org")
    forgot(client, "ann@example.org")
    path = link_in(mails(session)[0])
    session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    page = client.get(path)
    assert page.status_code == 400 and "expired" in page.get_data(as_text=True)


def test_a_tampered_link_changes_nothing(client, auth, session):
    user = auth.create("ann@example.org")
    before = user.password_hash
    forgot(client, "ann@example.org")
    path = link_in(mails(session)[0])
    tampered = path[:-2] + ("AA" if not path.endswith("AA") else "BB")
    assert client.get(tampered).status_code == 400
    token = csrf_token(client.get("/login").get_data(as_text=True))
    refused = client.post(tampered, data={"password": NEW, "confirm": NEW, "csrf_token": token})
    assert refused.status_code == 400 and "not valid" in refused.get_data(as_text=True)
    session.rollback()
    assert session.get(User, user.id).password_hash == before


def test_a_weak_password_leaves_the_link_usable(client, auth, session):
    auth.create("ann@example.org")
    forgot(client, "ann@example.org")
    path = link_in(mails(session)[0])
    weak = set_password(client, path, "password1234")
    assert weak.status_code == 200 and "common" in weak.get_data(as_text=True).lower()
    session.rollback()
    assert session.scalars(select(AccountToken.used_at)).one() is None
    assert set_password(client, path).status_code == 302


def test_a_deactivated_account_gets_no_usable_link(client, auth, session):
    user = auth.create("ann@example.org")
    forgot(client, "ann@example.org")
    path = link_in(mails(session)[0])
    session.execute(update(User).where(User.id == user.id).values(deactivated_at=utcnow()))
    session.commit()
    assert forgot(client, "ann@example.org").status_code == 302  # the same answer ...
    assert len(mails(session)) == 1  # ... but no email
    assert client.get(path).status_code == 400


def test_a_reset_clears_the_login_backoff(app, client, auth, session):
    from cocourse.models import LoginThrottle

    auth.create("ann@example.org")
    for _ in range(3):
        auth.login("ann@example.org", "wrong password!")
    assert session.scalars(select(LoginThrottle)).first() is not None
    session.rollback()
    forgot(client, "ann@example.org")
    set_password(client, link_in(mails(session)[0]))
    session.rollback()
    assert session.scalars(select(LoginThrottle)).first() is None


def test_reset_requests_are_rate_limited(engine, database_url, tmp_path):
    app = make_app(database_url, tmp_path, RATELIMIT_ENABLED=True, RESET_RATE_LIMIT="2 per minute")
    client = app.test_client()
    codes = [forgot(client, f"x{i}@example.org").status_code for i in range(3)]
    assert codes == [302, 302, 429]


def test_tokens_never_reach_the_logs(client, auth, session, caplog):
    caplog.set_level(logging.DEBUG)
    auth.create("ann@example.org")
    forgot(client, "ann@example.org")
    path = link_in(mails(session)[0])
    set_password(client, path)
    token = path.rsplit("/", 1)[1]
    assert "password_reset" in caplog.text
    assert token not in caplog.text
    assert session.scalars(select(AccountToken.id)).one() == sessions.token_hash(token)


# Invitations


def _admin(auth):
    auth.create("admin@example.org", Role.ADMIN)
    auth.login("admin@example.org")


def _imported(session, email="bea@example.org"):
    from cocourse.cohorts.people import unusable_password

    user = User(email=email, name="Bea", password_hash=unusable_password(), role="learner")
    session.add(user)
    session.commit()
    return user


def test_an_admin_invites_and_a_new_invitation_replaces_the_old(client, auth, session):
    _admin(auth)
    bea = _imported(session)
    page = "/account/password"
    assert post(client, f"/admin/users/{bea.id}/invite", {}, page).status_code == 302
    assert post(client, f"/admin/users/{bea.id}/invite", {}, page).status_code == 302
    first, second = mails(session, "bea@example.org")
    assert first.subject == "You are invited to cocourse"
    assert "Admin invited you" in second.text_body
    visitor = client.application.test_client()
    assert visitor.get(link_in(first)).status_code == 400
    done = set_password(visitor, link_in(second))
    assert done.status_code == 302
    assert visitor.get("/account/password").status_code == 200
    # Once the password is set, inviting again is refused: a reset is what helps.
    post(client, f"/admin/users/{bea.id}/invite", {}, page)
    assert "set a password already" in client.get("/").get_data(as_text=True)
    assert len(mails(session, "bea@example.org")) == 2


def test_only_admins_invite_or_send_resets(client, auth, session):
    auth.create()
    auth.login()
    bea = _imported(session)
    for action in ("invite", "send-reset"):
        response = post(client, f"/admin/users/{bea.id}/{action}", {}, "/account/password")
        assert response.status_code == 403
    assert mails(session) == []


def test_an_admin_sends_a_reset_link(client, auth, session):
    _admin(auth)
    ann = auth.create("ann@example.org")
    response = post(client, f"/admin/users/{ann.id}/send-reset", {}, "/account/password")
    assert response.status_code == 302
    [message] = mails(session, "ann@example.org")
    assert "/account/reset/" in message.text_body


def test_the_import_invites_new_people_when_asked(client, auth, session):
    import io

    _admin(auth)
    auth.create("old@example.org")
    csv = b"name,email,cohort\nBea,bea@example.org,Spring\nOld,old@example.org,Spring\n"
    token = csrf_token(client.get("/admin/people/import").get_data(as_text=True))
    page = client.post(
        "/admin/people/import",
        data={"csrf_token": token, "invite": "y", "file": (io.BytesIO(csv), "people.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "being emailed an invitation" in page
    [message] = mails(session)  # the new person only
    assert message.to_address == "bea@example.org" and "in Spring" in message.text_body
    visitor = client.application.test_client()
    assert set_password(visitor, link_in(message)).status_code == 302
    assert visitor.get("/account/password").status_code == 200
    bea = session.scalars(select(User).where(User.email == "bea@example.org")).one()
    assert session.scalars(select(CohortMember).where(CohortMember.user_id == bea.id)).one()


def test_the_import_sends_nothing_without_the_checkbox(client, auth, session):
    import io

    _admin(auth)
    token = csrf_token(client.get("/admin/people/import").get_data(as_text=True))
    client.post(
        "/admin/people/import",
        data={"csrf_token": token, "file": (io.BytesIO(b"name,email\nB,b@example.org\n"), "p.csv")},
        content_type="multipart/form-data",
    )
    assert mails(session) == []


# Email change


def _ask_change(client, email, password=PASSWORD):
    return post(
        client, "/account/email", {"email": email, "current": password}, "/account/password"
    )


def test_an_email_change_needs_the_new_address_to_confirm(app, client, auth, session):
    user = auth.create("ann@example.org")
    auth.login("ann@example.org")
    assert "Change your email address" in client.get("/account/password").get_data(as_text=True)
    assert _ask_change(client, "ann@new.example").status_code == 302
    [confirm] = mails(session)
    assert confirm.to_address == "ann@new.example"
    path = link_in(confirm)
    visitor = app.test_client()
    assert visitor.get(path).status_code == 200  # opening the link changes nothing
    session.rollback()
    assert session.get(User, user.id).email == "ann@example.org"
    assert post(visitor, path, {}).status_code == 302
    session.rollback()
    assert session.get(User, user.id).email == "ann@new.example"
    notice = mails(session, "ann@example.org")
    assert [m.template for m in notice] == ["email_changed"]
    assert "ann@new.example" in notice[0].text_body
    assert visitor.get(path).status_code == 400  # used


def test_an_email_change_checks_the_password_and_tells_nothing_of_other_accounts(
    client, auth, session
):
    auth.create("ann@example.org")
    auth.create("bob@example.org")
    auth.login("ann@example.org")
    wrong = _ask_change(client, "ann@new.example", "not my password")
    assert wrong.status_code == 200 and "not correct" in wrong.get_data(as_text=True)
    taken = _ask_change(client, "bob@example.org")
    free = _ask_change(client, "ann@new.example")
    assert taken.status_code == free.status_code == 302
    assert [m.to_address for m in mails(session)] == ["ann@new.example"]


def test_a_request_succeeds_while_the_mail_server_is_down(engine, database_url, tmp_path, session):
    from .mailserver import free_port, smtp_settings

    app = make_app(database_url, tmp_path, **smtp_settings(free_port()))
    client = app.test_client()
    from cocourse.accounts.services import create_user

    create_user(session, "ann@example.org", "Ann", PASSWORD)
    assert forgot(client, "ann@example.org").status_code == 302
    [message] = mails(session)
    assert message.status == "queued"


def test_links_expire_after_the_configured_time(engine, database_url, tmp_path, session):
    from cocourse.accounts import tokens

    app = make_app(database_url, tmp_path, INVITATION_DAYS=3, RESET_HOURS=1)
    bea = _imported(session)
    with app.test_request_context():
        from cocourse.db import get_session

        tokens.invite(get_session(), bea.id, lambda t: f"http://localhost/account/invitation/{t}")
        tokens.send_reset(get_session(), bea.id, lambda t: f"http://localhost/account/reset/{t}")
    session.rollback()
    found = {row.purpose: row for row in session.scalars(select(AccountToken))}
    now = utcnow()
    assert abs(found["invitation"].expires_at - (now + timedelta(days=3))) < timedelta(minutes=1)
    assert abs(found["reset"].expires_at - (now + timedelta(hours=1))) < timedelta(minutes=1)


def test_a_deactivated_person_cannot_be_invited_or_sent_a_reset(client, auth, session):
    _admin(auth)
    bea = _imported(session)
    session.execute(update(User).where(User.id == bea.id).values(deactivated_at=utcnow()))
    session.commit()
    for action in ("invite", "send-reset"):
        post(client, f"/admin/users/{bea.id}/{action}", {}, "/account/password")
        assert "deactivated" in client.get("/").get_data(as_text=True)
    assert mails(session) == []
