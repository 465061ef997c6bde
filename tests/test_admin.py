"""People and roles: admins only, every change through a CSRF-protected form."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cocourse.models import Role, User

from .conftest import csrf_token


@pytest.fixture
def admin(auth):
    user = auth.create("admin@example.org", Role.ADMIN)
    auth.login("admin@example.org")
    return user


def test_admin_sees_people_and_changes_a_role(client, admin, auth, session):
    learner = auth.create("rita@example.org")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "rita@example.org" in page and "2 accounts" in page
    response = client.post(
        f"/admin/users/{learner.id}/role",
        data={f"u{learner.id}-role": "assessor", f"u{learner.id}-csrf_token": csrf_token(page)},
    )
    assert response.status_code == 302
    session.expire_all()
    assert session.get(User, learner.id).role == "assessor"
    assert b"Rita is now assessor." in client.get("/admin/users").data


def test_tampered_role_is_refused(client, admin, auth, session):
    learner = auth.create("rita@example.org")
    token = csrf_token(client.get("/admin/users").get_data(as_text=True))
    response = client.post(
        f"/admin/users/{learner.id}/role",
        data={f"u{learner.id}-role": "superuser", f"u{learner.id}-csrf_token": token},
    )
    assert response.status_code == 400
    session.expire_all()
    assert session.get(User, learner.id).role == "learner"


def test_unknown_person_is_404(client, admin):
    token = csrf_token(client.get("/admin/users").get_data(as_text=True))
    response = client.post(
        "/admin/users/9999/role", data={"u9999-role": "admin", "u9999-csrf_token": token}
    )
    assert response.status_code == 404


def test_last_admin_cannot_demote_themselves(client, admin, session):
    token = csrf_token(client.get("/admin/users").get_data(as_text=True))
    response = client.post(
        f"/admin/users/{admin.id}/role",
        data={f"u{admin.id}-role": "learner", f"u{admin.id}-csrf_token": token},
        follow_redirects=True,
    )
    assert b"This is the only admin" in response.data
    assert session.scalar(select(User.role).where(User.id == admin.id)) == "admin"


@pytest.mark.parametrize("role", [Role.LEARNER, Role.ASSESSOR])
def test_non_admins_are_forbidden(client, auth, role):
    auth.create("someone@example.org", role)
    auth.login("someone@example.org")
    assert client.get("/admin/users").status_code == 403
    assert client.post("/admin/users/1/role").status_code in (400, 403)


def test_anonymous_people_are_sent_to_log_in(client):
    response = client.get("/admin/users")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_people_are_paged(client, admin, auth, monkeypatch):
    from cocourse.accounts import views as admin_pages

    monkeypatch.setattr(admin_pages, "PER_PAGE", 1)
    auth.create("rita@example.org")
    first = client.get("/admin/users").get_data(as_text=True)
    assert 'href="/admin/users?page=2">Next page' in first and "page 1 of 2" in first
    second = client.get("/admin/users?page=2").get_data(as_text=True)
    assert 'href="/admin/users?page=1">Previous page' in second and "Next page" not in second
    for odd in ("-3", "0", "x"):  # the first page, said as such
        page = client.get(f"/admin/users?page={odd}").get_data(as_text=True)
        assert "page 1 of 2" in page and "Previous page" not in page
