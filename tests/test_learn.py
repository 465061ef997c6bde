"""Catalog, module and lesson pages, locks, completion, module files, errors."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select

from cocourse.models import LessonCompletion, Role

from .conftest import csrf_token


def complete(client, module, lesson):
    page = client.get(f"/modules/{module}/{lesson}")
    token = csrf_token(page.get_data(as_text=True))
    return client.post(f"/modules/{module}/{lesson}/complete", data={"csrf_token": token})


def test_catalog_shows_tracks_modules_and_lock_reasons(client):
    html = client.get("/").get_data(as_text=True)
    assert html.index("Basics") < html.index("Advanced")
    assert html.index("Introduction") < html.index("Second module")
    assert "Complete Introduction first." in html
    assert "Complete Basics first." in html
    assert "about 10 min" in html


def test_catalog_asks_for_an_admin_until_one_exists(client, auth):
    assert b"no admin yet" in client.get("/").data
    auth.create("boss@example.org", Role.ADMIN)
    assert b"no admin yet" not in client.get("/").data


def test_module_page_lists_lessons_and_starts(client, learner):
    html = client.get("/modules/intro").get_data(as_text=True)
    assert 'aria-label="Breadcrumb"' in html
    assert "First lesson" in html and "Second lesson" in html
    assert "Start: First lesson" in html


def _lesson_rows(html):
    """Each lesson of the module page's list: (title, what its line says)."""
    rows = re.findall(
        r'<li[^>]*>\s*<a href="[^"]+">([^<]+)</a>\s*<span class="meta">(.*?)</span>\s*</li>',
        html,
        re.S,
    )
    return {title: re.sub(r"<[^>]+>", "", meta) for title, meta in rows}


def test_module_page_shows_which_lessons_were_opened_and_completed(client, learner):
    rows = _lesson_rows(client.get("/modules/intro").get_data(as_text=True))
    assert all("not opened yet" in meta for meta in rows.values()) and len(rows) == 2
    client.get("/modules/intro/second")  # opened, not completed
    complete(client, "intro", "first")
    html = client.get("/modules/intro").get_data(as_text=True)
    rows = _lesson_rows(html)
    assert rows["First lesson"].endswith("· completed")
    assert rows["Second lesson"].endswith("· opened")
    # Visitors see no progress at all.
    client.post("/logout", data={"csrf_token": csrf_token(html)})
    rows = _lesson_rows(client.get("/modules/intro").get_data(as_text=True))
    assert not any("opened" in meta or "completed" in meta for meta in rows.values())


def test_lesson_page_has_toc_pager_and_complete_button(client, learner):
    html = client.get("/modules/intro/first").get_data(as_text=True)
    assert '<h1 id="lesson-title">First lesson</h1>' in html
    assert 'href="#part-one"' in html
    assert 'rel="next" href="/modules/intro/second"' in html
    assert "Mark complete and continue" in html
    assert "Lesson 1 of 2" in html


def test_lessons_need_login(client):
    response = client.get("/modules/intro/first")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_mark_complete_moves_on_and_is_idempotent(client, learner, session):
    response = complete(client, "intro", "first")
    assert response.headers["Location"] == "/modules/intro/second"
    assert complete(client, "intro", "first").status_code == 302
    rows = session.scalars(select(LessonCompletion)).all()
    assert [(r.module_slug, r.lesson_slug, r.user_id) for r in rows] == [
        ("intro", "first", learner.id)
    ]
    assert len(rows[0].content_hash) == 64
    assert b"You completed this lesson." in client.get("/modules/intro/first").data
    html = client.get("/modules/intro").get_data(as_text=True)
    assert "Continue: Second lesson" in html and "In progress" in html


def test_completing_prerequisites_unlocks_the_next_module(client, learner):
    assert client.get("/modules/second/only").status_code == 403
    complete(client, "intro", "first")
    last = complete(client, "intro", "second")
    assert last.headers["Location"] == "/modules/intro"
    assert client.get("/modules/second/only").status_code == 200
    assert client.get("/modules/adv/deep").status_code == 403
    complete(client, "second", "only")
    assert client.get("/modules/adv/deep").status_code == 200


def test_locked_lesson_explains_why_and_cannot_be_completed(client, learner, session):
    response = client.get("/modules/second/only")
    assert response.status_code == 403
    assert b"Complete Introduction first." in response.data
    token = csrf_token(client.get("/modules/intro/first").get_data(as_text=True))
    refused = client.post("/modules/second/only/complete", data={"csrf_token": token})
    assert refused.status_code == 403
    assert b"complete Introduction first" in refused.data
    assert session.scalar(select(LessonCompletion)) is None


def test_admins_and_assessors_are_never_locked_out(client, auth):
    auth.create("assessor@example.org", Role.ASSESSOR)
    auth.login("assessor@example.org")
    assert client.get("/modules/adv/deep").status_code == 200


def test_complete_without_csrf_is_refused(client, learner, session):
    assert client.post("/modules/intro/first/complete").status_code == 400
    assert session.scalar(select(LessonCompletion)) is None


@pytest.mark.parametrize(
    "path",
    [
        "/modules/nope",
        "/modules/nope/first",
        "/modules/intro/nope",
        "/nowhere",
        "/modules/intro/files/nope.png",
    ],
)
def test_unknown_pages_get_a_friendly_404(client, learner, path):
    response = client.get(path)
    assert response.status_code == 404
    assert b"There is no page at this address." in response.data


def test_module_files_are_served_from_inside_the_module_only(client):
    with client.get("/modules/intro/files/images/dot.svg") as ok:
        assert ok.status_code == 200
        assert ok.mimetype == "image/svg+xml"
        assert ok.data.startswith(b"<svg")
        assert "sandbox" in ok.headers["Content-Security-Policy"]
    for path in [
        "/modules/intro/files/../second/module.md",
        "/modules/intro/files/..%2F..%2Ftracks.yml",
        "/modules/intro/files/%2e%2e/%2e%2e/tracks.yml",
        "/modules/intro/files/module.md",
        "/modules/intro/files/01-first.md",
        "/modules/intro/files//etc/passwd",
        "/modules/intro/files/.hidden.png",
    ]:
        assert client.get(path, follow_redirects=True).status_code == 404, path


def test_oversized_requests_get_413(client, learner, app):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/modules/intro/first/complete", data={"csrf_token": "x" * 5000})
    assert response.status_code == 413
    assert b"too large" in response.data


def test_errors_never_show_a_stack_trace(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = client.get("/boom")
    assert response.status_code == 500
    assert b"secret internals" not in response.data and b"Traceback" not in response.data
    assert b"Something went wrong on our side." in response.data


def test_security_headers(client):
    headers = client.get("/").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"


def test_lesson_page_query_count_does_not_grow_with_modules(
    engine, database_url, tmp_path, course_copy, session
):
    """The lesson page runs the same number of SQL queries with 3 or 43 modules."""
    from .conftest import AuthActions, make_app

    def queries_for_lesson(app):
        client = app.test_client()
        auth = AuthActions(client, session)
        auth.login("counter@example.org")
        client.get("/modules/intro/first")  # warm caches
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(app.extensions["cocourse.engine"], "before_cursor_execute", listener)
        assert client.get("/modules/intro/first").status_code == 200
        event.remove(app.extensions["cocourse.engine"], "before_cursor_execute", listener)
        return seen

    AuthActions(None, session).create("counter@example.org")
    small = queries_for_lesson(make_app(database_url, tmp_path / "a", CONTENT_DIR=str(course_copy)))
    for i in range(40):
        folder = course_copy / f"extra-{i}"
        folder.mkdir()
        (folder / "module.md").write_text(
            f"---\ntitle: Extra {i}\ntrack: basics\norder: {10 + i}\nsummary: s\n"
            "estimated_minutes: 5\nprerequisites: [intro]\n---\n"
        )
        (folder / "01-a.md").write_text("# A\n\nText.\n")
    big = queries_for_lesson(make_app(database_url, tmp_path / "b", CONTENT_DIR=str(course_copy)))
    # The login session with its user and unread notification count, the lessons completed,
    # and the view log's read.
    assert len(small) == len(big) <= 3, big


def test_content_paths_match_the_routes(app):
    """Templates and rendered content build lesson and module paths without url_for."""
    from flask import url_for

    from cocourse.web.course import lesson_href, module_href

    with app.test_request_context():
        assert lesson_href("intro", "first") == url_for(
            "learning.lesson_page", slug="intro", lesson_slug="first"
        )
        assert module_href("intro") == url_for("learning.module_page", slug="intro")
