"""Issue 13, people: short join codes, join links that survive log-in and sign-up, the People
page (search, filters, a page per person) and deactivating accounts."""

from __future__ import annotations

import json
import logging
import re
import time

import pytest
from sqlalchemy import select

from cocourse.accounts import services as accounts
from cocourse.cohorts import services as cohorts
from cocourse.db import get_session
from cocourse.models import CohortMember, LoginSession, Role, User, utcnow
from cocourse.web import pending_join

from .conftest import PASSWORD, csrf_token, make_app, run_concurrently

SHORT = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{2}")


def post(client, url, data=None, page="/join"):
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **(data or {})})


def events(caplog, name):
    found = [json.loads(r.getMessage()) for r in caplog.records if r.name == "cocourse.security"]
    return [e for e in found if e["event"] == name]


def members(session, cohort_id):
    session.expire_all()
    query = select(CohortMember.user_id).where(CohortMember.cohort_id == cohort_id)
    return set(session.scalars(query))


@pytest.fixture
def sales(session):
    return cohorts.create_cohort(session, "Sales")


@pytest.fixture
def admin(auth):
    user = auth.create("admin@example.org", Role.ADMIN)
    auth.login("admin@example.org")
    return user


# Short, typeable join codes


def test_new_codes_are_short_and_free_of_look_alikes():
    codes = {cohorts.new_join_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(SHORT.fullmatch(code) for code in codes)
    assert not set("ILOU") & set("".join(codes))


@pytest.mark.parametrize(
    "typed",
    [
        "{code}",
        "{lower}",
        "{bare}",
        "{bare_lower}",
        "  {spaced}  ",
        "https://x.example/join/{lower}/",
    ],
)
def test_short_codes_are_read_without_case_hyphens_or_spaces(client, auth, session, sales, typed):
    code = sales.join_code
    bare = code.replace("-", "")
    typed = typed.format(
        code=code,
        lower=code.lower(),
        bare=bare,
        bare_lower=bare.lower(),
        spaced=" ".join([bare[:4], bare[4:8], bare[8:]]),
    )
    rita = auth.create("rita@example.org")
    auth.login("rita@example.org")
    assert post(client, "/join", {"code": typed}).headers["Location"] == "/"
    assert members(session, sales.id) == {rita.id}


def test_look_alike_letters_read_as_the_digits_they_resemble():
    assert cohorts.short_code("oi1l-0000-00") == "0111-0000-00"
    assert cohorts.short_code("ABCD-EFGH-JU") is None  # U is no code symbol
    assert cohorts.short_code("ABCD-EFGH-J") is None
    assert cohorts.short_code("ABCD-EFGH-JKM") is None


def test_long_codes_keep_working_exactly_as_they_are(client, auth, session, sales):
    long_code = "Abc_def-GhiJkl0123456z"
    with session.begin():
        session.get(type(sales), sales.id).join_code = long_code
    rita = auth.create("rita@example.org")
    auth.login("rita@example.org")
    assert client.get(f"/join/{long_code.lower()}").status_code == 404
    assert client.get(f"/join/{long_code}").status_code == 200
    assert post(client, f"/join/{long_code}").status_code == 302
    assert members(session, sales.id) == {rita.id}


def test_a_renewed_code_is_short(client, admin, session, sales):
    old = sales.join_code
    response = post(client, f"/admin/cohorts/{sales.id}/code", page=f"/admin/cohorts/{sales.id}")
    assert response.status_code == 302
    session.expire_all()
    renewed = session.get(type(sales), sales.id).join_code
    assert renewed != old and SHORT.fullmatch(renewed)


def test_guessing_codes_is_rate_limited_and_logged(engine, database_url, tmp_path, session, caplog):
    caplog.set_level(logging.INFO, logger="cocourse.security")
    app = make_app(database_url, tmp_path, RATELIMIT_ENABLED=True, JOIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    accounts.create_user(session, "rita@example.org", "Rita", PASSWORD)
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post(
        "/login", data={"email": "rita@example.org", "password": PASSWORD, "csrf_token": token}
    )
    token = csrf_token(client.get("/join").get_data(as_text=True))
    guesses = [
        client.post("/join", data={"code": "AAAA-AAAA-A0", "csrf_token": token}).status_code,
        client.get("/join/AAAA-AAAA-A1").status_code,  # the two routes count together
        client.post("/join", data={"code": "AAAA-AAAA-A2", "csrf_token": token}).status_code,
        client.get("/join/AAAA-AAAA-A3").status_code,
        client.post("/join", data={"code": "AAAA-AAAA-A4", "csrf_token": token}).status_code,
    ]
    assert guesses == [200, 404, 200, 429, 429]
    refused = events(caplog, "join_code_refused")
    assert len(refused) == 3 and all("AAAA" not in json.dumps(e) for e in refused)
    assert events(caplog, "join_throttled")


# Join links that survive log-in and sign-up


def register(client, email="new@example.org", name="Nora New"):
    token = csrf_token(client.get("/register").get_data(as_text=True))
    data = {"name": name, "email": email, "password": PASSWORD, "confirm": PASSWORD}
    return client.post("/register", data={**data, "csrf_token": token})


def test_a_join_link_survives_sign_up(client, session, sales):
    assert client.get(f"/join/{sales.join_code.lower()}").headers["Location"] == "/login"
    login_page = client.get("/login").get_data(as_text=True)
    assert "you will join the cohort <strong>Sales</strong>" in login_page
    assert "you will join the cohort <strong>Sales</strong>" in client.get("/register").text
    response = register(client)
    assert response.status_code == 302
    nora = session.scalar(select(User).where(User.email == "new@example.org"))
    assert members(session, sales.id) == {nora.id}
    catalog = client.get("/").get_data(as_text=True)
    assert "You joined Sales." in catalog and "Welcome, Nora New" in catalog
    # Used once: the next login joins nothing and says nothing about it.
    with client.session_transaction() as flask_session:
        assert pending_join.KEY not in flask_session


def test_a_join_link_survives_logging_in(client, auth, session, sales):
    rita = auth.create("rita@example.org")
    client.get(f"/join/{sales.join_code}")
    auth.login("rita@example.org")
    assert "You joined Sales." in client.get("/").get_data(as_text=True)
    assert members(session, sales.id) == {rita.id}


def test_a_join_link_waits_only_a_short_time(client, auth, session, sales, monkeypatch):
    auth.create("rita@example.org")
    client.get(f"/join/{sales.join_code}")
    later = time.time() + pending_join.MINUTES * 60 + 1
    monkeypatch.setattr(pending_join.time, "time", lambda: later)
    assert "you will join" not in client.get("/login").get_data(as_text=True)
    auth.login("rita@example.org")
    assert members(session, sales.id) == set()


def test_a_waiting_join_can_be_declined(client, auth, session, sales):
    auth.create("rita@example.org")
    client.get(f"/join/{sales.join_code}")
    response = post(client, "/join/not-now", page="/login")
    assert response.headers["Location"] == "/login"
    assert "you will join" not in client.get("/login").get_data(as_text=True)
    auth.login("rita@example.org")
    assert members(session, sales.id) == set()


def test_a_code_renewed_while_waiting_joins_nothing(client, auth, session, sales):
    auth.create("rita@example.org")
    client.get(f"/join/{sales.join_code}")
    cohorts.regenerate_code(session, sales.id)
    auth.login("rita@example.org")
    assert "no longer works" in client.get("/").get_data(as_text=True)
    assert members(session, sales.id) == set()


def test_an_unknown_code_waits_for_nothing(client, session, sales):
    response = client.get("/join/AAAA-AAAA-AA")
    assert response.status_code == 404 and cohorts.UNKNOWN_CODE in response.text
    with client.session_transaction() as flask_session:
        assert pending_join.KEY not in flask_session


def test_the_waiting_code_cannot_be_changed_by_the_browser(client, session, sales):
    """The session cookie is signed: a changed one is an empty session."""
    support = cohorts.create_cohort(session, "Support")
    client.get(f"/join/{sales.join_code}")
    cookie = client.get_cookie("session")
    assert cookie is not None and support.join_code not in cookie.value
    client.set_cookie("session", cookie.value.replace("S", "T", 1) + "x")
    register(client)
    assert members(session, sales.id) == set() and members(session, support.id) == set()


# The People page


@pytest.fixture
def crowd(session, sales):
    people = {
        "ada": accounts.create_user(session, "ada@example.org", "Ada Lovelace", PASSWORD),
        "bob": accounts.create_user(session, "bob_b@example.org", "Bob 100% Sure", PASSWORD),
        "cy": accounts.create_user(
            session, "cy@example.org", "Cy Assessor", PASSWORD, Role.ASSESSOR
        ),
    }
    cohorts.add_member(session, sales.id, people["ada"].id)
    cohorts.add_member(session, sales.id, people["cy"].id)
    return people


def names(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/admin/users/\d+">([^<]+)</a>', html)


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("q=LOVE", ["Ada Lovelace"]),
        ("q=ada%40EXAMPLE", ["Ada Lovelace"]),
        ("q=%25", ["Bob 100% Sure"]),  # % is a character, not "anything"
        ("q=_", ["Bob 100% Sure"]),  # _ too (only Bob's email has one)
        ("q=%5C", []),  # and so is a backslash
        ("role=assessor", ["Cy Assessor"]),
        ("role=superuser", ["Ada Lovelace", "Admin", "Bob 100% Sure", "Cy Assessor"]),
        ("cohort={sales}", ["Ada Lovelace", "Cy Assessor"]),
        ("cohort={sales}&role=learner", ["Ada Lovelace"]),
        ("cohort=99999", []),
        ("q=example&status=active", ["Ada Lovelace", "Admin", "Bob 100% Sure", "Cy Assessor"]),
    ],
)
def test_people_are_searched_and_filtered(client, admin, crowd, sales, query, found):
    response = client.get("/admin/users?" + query.format(sales=sales.id))
    assert response.status_code == 200 and names(response.text) == found


def test_the_filters_stay_in_the_page_links(client, admin, crowd, sales, monkeypatch):
    from cocourse.accounts import views as admin_pages

    monkeypatch.setattr(admin_pages, "PER_PAGE", 1)
    page = client.get(f"/admin/users?q=EXAMPLE&role=learner&cohort={sales.id}").text
    assert "1 account found" in page and names(page) == ["Ada Lovelace"]
    assert "Next page" not in page
    page = client.get("/admin/users?q=example&role=learner").text
    assert 'href="/admin/users?page=2&amp;q=example&amp;role=learner">Next page' in page
    assert "2 accounts found" in page and names(page) == ["Ada Lovelace"]
    page = client.get("/admin/users?q=example&role=learner&page=2").text
    assert names(page) == ["Bob 100% Sure"]
    assert 'href="/admin/users?page=1&amp;q=example&amp;role=learner">Previous page' in page


def test_a_huge_cohort_or_page_number_is_refused(client, admin):
    assert client.get("/admin/users?cohort=99999999999").status_code == 400
    assert client.get("/admin/users?page=99999999999").status_code == 400


def test_the_person_page_shows_what_each_feature_knows(client, admin, crowd, sales):
    ada = crowd["ada"]
    page = client.get(f"/admin/users/{ada.id}").text
    for heading in ("Account", "Progress", "Recent activity", "Quiz attempts", "Cohorts"):
        assert f">{heading}</h2>" in page
    assert "Certification</h2>" in page and "has not enrolled" in page
    assert f'href="/admin/cohorts/{sales.id}">Sales</a>' in page
    assert "ada@example.org" in page and "Never" in page
    assert "Send an invitation" in page and "Send a password reset email" in page


def test_the_person_page_works_with_the_optional_features_off(
    engine, database_url, tmp_path, session
):
    app = make_app(
        database_url, tmp_path, DISABLED_PLUGINS=["certification", "cohorts", "reports", "lti"]
    )
    client = app.test_client()
    admin = accounts.create_user(session, "admin@example.org", "Admin", PASSWORD, Role.ADMIN)
    token = csrf_token(client.get("/login").get_data(as_text=True))
    data = {"email": "admin@example.org", "password": PASSWORD, "csrf_token": token}
    client.post("/login", data=data)
    page = client.get(f"/admin/users/{admin.id}").text
    assert ">Progress</h2>" in page and ">Quiz attempts</h2>" in page
    assert "Cohorts</h2>" not in page and "Certification</h2>" not in page
    assert 'name="cohort"' not in client.get("/admin/users").text


@pytest.mark.parametrize("path", ["/admin/users/9999", "/admin/users/99999999999"])
def test_unknown_people_are_404(client, admin, path):
    assert client.get(path).status_code == 404
    assert client.get(path + "/deactivate").status_code == 404


@pytest.mark.parametrize("role", [Role.LEARNER, Role.ASSESSOR])
def test_only_admins_open_or_change_people(client, auth, session, caplog, role):
    caplog.set_level(logging.INFO, logger="cocourse.security")
    other = auth.create("other@example.org")
    auth.create("someone@example.org", role)
    auth.login("someone@example.org")
    token = csrf_token(client.get("/join").text)
    assert client.get(f"/admin/users/{other.id}").status_code == 403
    assert client.get(f"/admin/users/{other.id}/deactivate").status_code == 403
    for action in ("deactivate", "reactivate"):
        url = f"/admin/users/{other.id}/{action}"
        assert client.post(url, data={"csrf_token": token}).status_code == 403
    assert session.get(User, other.id).deactivated_at is None
    assert len(events(caplog, "access_denied")) == 4


# Deactivating and reactivating


def deactivate(client, user_id):
    page = f"/admin/users/{user_id}/deactivate"
    token = csrf_token(client.get(page).text)
    return client.post(page, data={"csrf_token": token})


def test_deactivating_ends_every_session_at_once_and_keeps_the_records(
    app, client, admin, crowd, session, caplog
):
    caplog.set_level(logging.INFO, logger="cocourse.security")
    ada = crowd["ada"]
    phone = app.test_client()
    token = csrf_token(phone.get("/login").text)
    data = {"email": ada.email, "password": PASSWORD, "csrf_token": token, "remember": "y"}
    phone.post("/login", data=data)
    assert phone.get("/dashboard").status_code == 200
    confirm = client.get(f"/admin/users/{ada.id}/deactivate").text
    assert "can no longer log in" in confirm and "stay" in confirm
    response = deactivate(client, ada.id)
    assert response.headers["Location"] == f"/admin/users/{ada.id}"
    assert (
        "is deactivated and logged out everywhere" in client.get(response.headers["Location"]).text
    )
    assert phone.get("/dashboard").status_code == 302  # session and remember-me cookie both end
    session.expire_all()
    assert session.get(User, ada.id).deactivated_at is not None
    assert members(session, next(iter(set(session.scalars(select(CohortMember.cohort_id)))))) >= {
        ada.id
    }
    live = session.scalars(
        select(LoginSession).where(
            LoginSession.user_id == ada.id, LoginSession.revoked_at.is_(None)
        )
    ).all()
    assert live == []
    (logged,) = events(caplog, "account_deactivated")
    assert logged["target_user_id"] == ada.id and logged["user_id"] == admin.id
    assert "Deactivated" in client.get("/admin/users").text
    assert names(client.get("/admin/users?status=deactivated").text) == ["Ada Lovelace"]


def test_a_session_that_began_just_before_deactivation_ends_too(app, client, admin, crowd, session):
    """Even a login session the revocation missed (begun in the same instant) is refused."""
    ada = crowd["ada"]
    phone = app.test_client()
    token = csrf_token(phone.get("/login").text)
    phone.post("/login", data={"email": ada.email, "password": PASSWORD, "csrf_token": token})
    with session.begin():
        session.get(User, ada.id).deactivated_at = utcnow()  # no sessions revoked
    assert phone.get("/dashboard").status_code == 302


def test_a_deactivated_person_cannot_log_in(client, admin, crowd, session):
    deactivate(client, crowd["ada"].id)
    other = client.application.test_client()
    token = csrf_token(other.get("/login").text)
    wrong = other.post(
        "/login",
        data={"email": "ada@example.org", "password": "not it at all", "csrf_token": token},
    ).text
    assert (
        "That email and password do not match an account." in wrong and "deactivated" not in wrong
    )
    right = other.post(
        "/login", data={"email": "ada@example.org", "password": PASSWORD, "csrf_token": token}
    ).text
    assert "This account is deactivated" in right
    assert other.get("/dashboard").status_code == 302


def test_reactivating_lets_the_person_log_in_again(client, admin, crowd, session, caplog):
    caplog.set_level(logging.INFO, logger="cocourse.security")
    ada = crowd["ada"]
    deactivate(client, ada.id)
    page = client.get(f"/admin/users/{ada.id}").text
    assert "This account is deactivated" in page and "Send an invitation" not in page
    response = client.post(
        f"/admin/users/{ada.id}/reactivate", data={"csrf_token": csrf_token(page)}
    )
    assert "Ada Lovelace can log in again." in client.get(response.headers["Location"]).text
    session.expire_all()
    assert session.get(User, ada.id).deactivated_at is None
    assert events(caplog, "account_reactivated")[0]["target_user_id"] == ada.id


def test_changes_need_a_csrf_token(client, admin, crowd, session):
    ada = crowd["ada"]
    assert client.post(f"/admin/users/{ada.id}/deactivate").status_code == 400
    assert client.post(f"/admin/users/{ada.id}/reactivate").status_code == 400
    assert session.get(User, ada.id).deactivated_at is None


def test_nobody_deactivates_themselves(client, admin, session):
    assert (
        "You cannot deactivate your own account"
        in client.get(f"/admin/users/{admin.id}/deactivate").text
    )
    response = deactivate(client, admin.id)
    assert (
        "You cannot deactivate your own account." in client.get(response.headers["Location"]).text
    )
    session.expire_all()
    assert session.get(User, admin.id).deactivated_at is None


def test_two_admins_deactivating_each_other_leave_one_active(app, session):
    one = accounts.create_user(session, "one@example.org", "One", PASSWORD, Role.ADMIN)
    two = accounts.create_user(session, "two@example.org", "Two", PASSWORD, Role.ADMIN)
    pairs = [(one.id, two.id), (two.id, one.id)]
    outcomes: list[str] = []

    def work(i: int) -> None:
        target, actor = pairs[i]
        try:
            accounts.deactivate(get_session(), target, actor)
            outcomes.append("done")
        except accounts.AccountError as exc:
            outcomes.append(str(exc))

    assert run_concurrently(app, 2, work) == []
    session.expire_all()
    active = session.scalars(select(User.id).where(User.deactivated_at.is_(None))).all()
    assert (
        len(active) == 1 and sorted(outcomes)[0] == "Your own account is no longer an active admin."
    )


def test_a_deactivated_admin_does_not_count_as_the_other_admin(session):
    one = accounts.create_user(session, "one@example.org", "One", PASSWORD, Role.ADMIN)
    two = accounts.create_user(session, "two@example.org", "Two", PASSWORD, Role.ADMIN)
    accounts.deactivate(session, two.id, one.id)
    with pytest.raises(accounts.AccountError, match="only admin"):
        accounts.set_role(session, one.id, Role.LEARNER)


def test_a_role_changed_on_a_person_page_goes_back_there(client, admin, crowd, session):
    ada = crowd["ada"]
    page = client.get(f"/admin/users/{ada.id}").text
    data = {
        f"u{ada.id}-role": "assessor",
        f"u{ada.id}-csrf_token": csrf_token(page),
        "next": f"/admin/users/{ada.id}",
    }
    response = client.post(f"/admin/users/{ada.id}/role", data=data)
    assert response.headers["Location"] == f"/admin/users/{ada.id}"
    data["next"] = "//evil.example/"
    assert client.post(f"/admin/users/{ada.id}/role", data=data).headers["Location"] == (
        "/admin/users?page=1"
    )
    session.expire_all()
    assert session.get(User, ada.id).role == "assessor"
