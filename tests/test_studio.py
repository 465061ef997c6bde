"""The content status page: what is served, since when, and why a reload was refused."""

from __future__ import annotations

import re

from .conftest import admin_client_of, csrf_token, make_app


def test_a_refused_reload_shows_every_error_and_the_version_still_served(
    engine, database_url, tmp_path, session, course_copy
):
    app = make_app(database_url, tmp_path, CONTENT_DIR=str(course_copy), CONTENT_WATCH_INTERVAL=0)
    client = admin_client_of(app, session)
    page = client.get("/studio/status").get_data(as_text=True)
    version = re.search(r"Version</dt><dd><code>([0-9a-f]{12})</code>", page).group(1)
    assert "No reload has been refused" in page
    assert "3 modules, 4 lessons" in page

    # A broken edit, picked up the way `cocourse reload` asks for it.
    (course_copy / "tracks.yml").write_text("tracks: [", encoding="utf-8")
    (tmp_path / "instance" / "content.reload").touch()
    page = client.get("/studio/status").get_data(as_text=True)
    assert "asked for by cocourse reload" in page
    assert "<code>tracks.yml:1</code> C150" in page
    assert f"<code>{version}</code>" in page  # the last good version is still served
    assert "The version above is still served" in page


def test_reload_now_reports_errors_then_success(
    engine, database_url, tmp_path, session, course_copy
):
    original = (course_copy / "tracks.yml").read_text(encoding="utf-8")
    app = make_app(database_url, tmp_path, CONTENT_DIR=str(course_copy))
    client = admin_client_of(app, session)
    token = csrf_token(client.get("/studio/status").get_data(as_text=True))
    (course_copy / "tracks.yml").write_text("tracks: [", encoding="utf-8")
    page = client.post("/studio/reload", data={"csrf_token": token}, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "Not reloaded: 1 error(s)" in text and "asked for by an admin" in text
    (course_copy / "tracks.yml").write_text(original + "\n", encoding="utf-8")
    page = client.post("/studio/reload", data={"csrf_token": token}, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "Content reloaded." in text and "A later reload went through." in text


def test_only_admins_see_the_status(client, auth, session):
    assert client.get("/studio/status").status_code == 302  # to the login page
    auth.create()
    auth.login()
    assert client.get("/studio/status").status_code == 403
    assert client.post("/studio/reload").status_code in (400, 403)
