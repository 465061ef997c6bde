"""Editing course files in the browser's forms: a save reaches learners at once and is a
git commit; a broken edit, a concurrent edit, a detached repository or a path outside the
course changes nothing; history, diffs and restoring an old version."""

from __future__ import annotations

import os
import re
import shutil
from html import unescape

import pytest
from sqlalchemy import select

from cocourse.db import get_session
from cocourse.models import AuditEntry, Role, User
from cocourse.studio import uploads

from .conftest import FIXTURES, AuthActions, admin_client_of, csrf_token, git, make_app

LESSON = "intro/02-second.md"


@pytest.fixture
def studio(engine, database_url, tmp_path, session, repo):
    app = make_app(database_url, tmp_path, CONTENT_DIR=str(repo))
    return app, admin_client_of(app, session)


def editor_fields(html: str) -> dict[str, str]:
    """The form's fields as the page has them."""
    text = unescape(
        re.search(r'<textarea[^>]*name="text"[^>]*>\r?\n?(.*?)</textarea>', html, re.S).group(1)
    )
    return {
        "csrf_token": csrf_token(html),
        "revision": re.search(r'name="revision" type="hidden" value="([^"]*)"', html).group(1),
        "original": unescape(
            re.search(r'name="original" type="hidden" value="([^"]*)"', html, re.S).group(1)
        ),
        "text": text,
        "message": "",
    }


def test_a_save_is_served_at_once_and_committed_with_the_author(studio, repo, session):
    app, admin = studio
    page = admin.get(f"/studio/files/{LESSON}").get_data(as_text=True)
    fields = editor_fields(page)
    assert "Some text." in fields["text"]
    fields["text"] = fields["text"].replace("Some text.", "Some better text.").replace("\n", "\r\n")
    fields["message"] = "Say it better"
    answer = admin.post(f"/studio/files/{LESSON}", data=fields)
    assert answer.status_code == 302
    on_disk = (repo / LESSON).read_bytes()
    assert b"Some better text." in on_disk and b"\r\n" not in on_disk  # line ends as in git
    log = git(repo, "log", "-1", "--format=%an|%ae|%s")
    assert log.strip() == "Boss|boss@example.org|Say it better"
    assert git(repo, "status", "--porcelain").strip() == ""
    learner = app.test_client()
    AuthActions(learner, session).create()
    AuthActions(learner, session).login()
    assert "Some better text." in learner.get("/modules/intro/second").get_data(as_text=True)
    entry = session.scalar(select(AuditEntry).where(AuditEntry.subject == f"content:{LESSON}"))
    assert entry.action == "content-saved" and entry.actor_name == "Boss"
    assert entry.detail["commit"] == git(repo, "rev-parse", "HEAD").strip()


def test_a_broken_edit_shows_its_errors_and_changes_nothing(studio, repo):
    _, admin = studio
    before, head = (repo / LESSON).read_bytes(), git(repo, "rev-parse", "HEAD")
    fields = editor_fields(admin.get(f"/studio/files/{LESSON}").get_data(as_text=True))
    fields["text"] = "---\ntitle: [unclosed\n---\nBody\n"
    answer = admin.post(f"/studio/files/{LESSON}", data=fields)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert re.search(r"Not saved: \d+ errors?", page) and f"{LESSON}:" in page
    assert "title: [unclosed" in unescape(page)  # the text is kept on the page
    assert (repo / LESSON).read_bytes() == before and git(repo, "rev-parse", "HEAD") == head


def test_a_concurrent_edit_is_refused_with_what_changed_and_loses_nothing(studio, repo):
    _, admin = studio
    mine = editor_fields(admin.get(f"/studio/files/{LESSON}").get_data(as_text=True))
    theirs = dict(mine)
    theirs["text"] = mine["text"].replace("Some text.", "Their text.")
    assert admin.post(f"/studio/files/{LESSON}", data=theirs).status_code == 302
    mine["text"] = mine["text"].replace("## Details", "## More details")
    answer = admin.post(f"/studio/files/{LESSON}", data=mine)
    page = unescape(answer.get_data(as_text=True))
    assert answer.status_code == 409
    assert "Someone saved this file after you opened it" in page
    assert "-Some text." in page and "+Their text." in page  # what changed meanwhile
    assert "## More details" in page  # my text is still there
    assert "Their text." in (repo / LESSON).read_text()
    # Saving again from the conflict page (their change brought in) goes through.
    again = editor_fields(answer.get_data(as_text=True))
    again["text"] = again["text"].replace("Some text.", "Their text.")
    assert admin.post(f"/studio/files/{LESSON}", data=again).status_code == 302
    text = (repo / LESSON).read_text()
    assert "Their text." in text and "## More details" in text


def test_history_diff_and_restore(studio, repo):
    _, admin = studio
    fields = editor_fields(admin.get(f"/studio/files/{LESSON}").get_data(as_text=True))
    original = fields["text"]
    fields["text"] = original.replace("Some text.", "Changed once.")
    fields["message"] = "First change"
    admin.post(f"/studio/files/{LESSON}", data=fields)
    history = admin.get(f"/studio/history/{LESSON}").get_data(as_text=True)
    revisions = re.findall(rf"/studio/changes/([0-9a-f]{{40}})/{LESSON}", history)
    assert len(revisions) == 2 and "First change" in history and "Start" in history
    change = admin.get(f"/studio/changes/{revisions[0]}/{LESSON}").get_data(as_text=True)
    assert "-Some text." in unescape(change) and "+Changed once." in unescape(change)
    token = csrf_token(change)
    restored = admin.post(f"/studio/restore/{revisions[1]}/{LESSON}", data={"csrf_token": token})
    assert restored.status_code == 302
    assert (repo / LESSON).read_text() == original
    assert (
        git(repo, "log", "-1", "--format=%s").strip()
        == f"Restore {LESSON} as of {revisions[1][:10]}"
    )
    assert admin.get(f"/studio/changes/nothex/{LESSON}").status_code == 404
    assert admin.get(f"/studio/changes/{'0' * 40}/{LESSON}").status_code == 404


def test_a_detached_repository_refuses_the_save(studio, repo):
    _, admin = studio
    git(repo, "checkout", "-q", "--detach")
    fields = editor_fields(admin.get(f"/studio/files/{LESSON}").get_data(as_text=True))
    before = (repo / LESSON).read_bytes()
    fields["text"] = fields["text"].replace("Some text.", "Lost?")
    page = admin.post(f"/studio/files/{LESSON}", data=fields).get_data(as_text=True)
    assert "detached HEAD" in page and "Lost?" in unescape(page)
    assert (repo / LESSON).read_bytes() == before


def test_without_git_saves_work_and_the_page_says_there_is_no_history(
    engine, database_url, tmp_path, session, course_copy
):
    app = make_app(database_url, tmp_path, CONTENT_DIR=str(course_copy))
    admin = admin_client_of(app, session)
    page = admin.get(f"/studio/files/{LESSON}").get_data(as_text=True)
    assert "not a git repository" in page
    fields = editor_fields(page)
    fields["text"] = fields["text"].replace("Some text.", "No git here.")
    assert admin.post(f"/studio/files/{LESSON}", data=fields).status_code == 302
    assert "No git here." in (course_copy / LESSON).read_text()
    assert "no history to show" in admin.get(f"/studio/history/{LESSON}").get_data(as_text=True)


def test_unchanged_and_oversized_texts_are_explained(studio, repo):
    _, admin = studio
    fields = editor_fields(admin.get(f"/studio/files/{LESSON}").get_data(as_text=True))
    assert "Nothing changed" in admin.post(f"/studio/files/{LESSON}", data=fields).get_data(
        as_text=True
    )
    fields["text"] = "x" * (600 * 1024)
    answer = admin.post(f"/studio/files/{LESSON}", data=fields)
    assert answer.status_code == 400 and "Not saved" not in answer.get_data(as_text=True)
    assert "Some text." in (repo / LESSON).read_text()


@pytest.mark.parametrize(
    "relative",
    [
        "../outside.md",
        "intro/../../outside.md",
        ".git/config",
        "intro/.hidden.md",
        "intro/images/dot.svg",
        "intro/missing.md",
        "intro",
        "/etc/passwd",
        "intro//01-first.md",
        "link.md",
    ],
)
def test_only_course_files_can_be_opened(studio, repo, relative):
    _, admin = studio
    (repo.parent / "outside.md").write_text("secret", encoding="utf-8")
    os.symlink(repo.parent / "outside.md", repo / "link.md")
    opened = admin.get(f"/studio/files/{relative}", follow_redirects=True)
    assert opened.status_code == 404
    token = csrf_token(admin.get(f"/studio/files/{LESSON}").get_data(as_text=True))
    answer = admin.post(f"/studio/files/{relative}", data={"csrf_token": token, "text": "x"})
    assert answer.status_code in (404, 308)  # 308: Werkzeug merges the double slash
    assert (repo.parent / "outside.md").read_text() == "secret"


def test_only_admins_reach_the_studio(studio, session):
    app, _ = studio
    learner = app.test_client()
    AuthActions(learner, session).create("a@example.org", Role.ASSESSOR)
    AuthActions(learner, session).login("a@example.org")
    assert learner.get("/studio").status_code == 403
    assert learner.get(f"/studio/files/{LESSON}").status_code == 403
    assert app.test_client().get(f"/studio/files/{LESSON}").status_code in (302, 401)


def test_the_file_list_links_every_course_file(studio):
    _, admin = studio
    page = admin.get("/studio").get_data(as_text=True)
    for relative in ("tracks.yml", "intro/module.md", LESSON):
        assert f'href="/studio/files/{relative}"' in page
    assert ".git" not in page and "dot.svg" not in page


def test_authors_edit_the_course_and_nothing_else(studio, repo, session):
    app, _ = studio
    author = app.test_client()
    AuthActions(author, session).create("writer@example.org", Role.AUTHOR)
    AuthActions(author, session).login("writer@example.org")
    assert 'href="/studio"' in author.get("/").get_data(as_text=True)  # in the menu
    fields = editor_fields(author.get(f"/studio/files/{LESSON}").get_data(as_text=True))
    fields["text"] = fields["text"].replace("Some text.", "An author's text.")
    assert author.post(f"/studio/files/{LESSON}", data=fields).status_code == 302
    assert git(repo, "log", "-1", "--format=%an").strip() == "Writer"
    for admin_only in ("/admin/users", "/admin/cohorts", "/admin/lti", "/studio/status"):
        assert author.get(admin_only).status_code == 403, admin_only


def test_a_preview_shows_the_lesson_as_learners_will_and_writes_nothing(
    engine, database_url, tmp_path, session
):
    course = tmp_path / "quiz_course"
    shutil.copytree(FIXTURES / "quiz_course", course)
    app = make_app(database_url, tmp_path, CONTENT_DIR=str(course))
    admin = admin_client_of(app, session)
    relative = "check/04-pool.md"
    fields = editor_fields(admin.get(f"/studio/files/{relative}").get_data(as_text=True))
    before = (course / relative).read_text()
    fields["text"] = fields["text"].replace("One?", "One, *really*?")
    page = admin.post(f"/studio/preview/{relative}", data=fields)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Preview of <code>check/04-pool.md</code>: not saved" in html
    assert '<h1 id="lesson-title">Pool</h1>' in html and "Start the quiz" in html
    assert "One, <em>really</em>?" in html  # rendered as learners get it
    assert "q-pool-1" in html and "Key:" in html  # the author's view of the keys
    assert (course / relative).read_text() == before
    fields["text"] = "---\\ntitle: [\\n---\\n"
    broken = admin.post(f"/studio/preview/{relative}", data=fields)
    assert broken.status_code == 422 and "cannot be saved yet" in broken.get_data(as_text=True)
    yaml = editor_fields(admin.get("/studio/files/tracks.yml").get_data(as_text=True))
    checked = admin.post("/studio/preview/tracks.yml", data=yaml).get_data(as_text=True)
    assert "loads without errors" in checked


def test_new_lessons_and_modules_start_from_a_template_and_are_committed(studio, repo, session):
    app, admin = studio
    page = admin.get("/studio").get_data(as_text=True)
    token = csrf_token(page)
    made = admin.post(
        "/studio/new-lesson",
        data={
            "lesson-csrf_token": token,
            "lesson-module": "intro",
            "lesson-title": "Check what you know",
            "lesson-kind": "quiz",
        },
    )
    assert made.status_code == 302 and made.headers["Location"].endswith(
        "/studio/files/intro/03-check-what-you-know.md"
    )
    text = (repo / "intro/03-check-what-you-know.md").read_text()
    assert "id: intro-check-what-you-know" in text and "```quiz single-choice" in text
    assert (
        git(repo, "log", "-1", "--format=%s").strip()
        == "Add the lesson intro/03-check-what-you-know.md"
    )
    again = admin.post(
        "/studio/new-lesson",
        data={
            "lesson-csrf_token": token,
            "lesson-module": "intro",
            "lesson-title": "Check what you know",
            "lesson-kind": "reading",
        },
    )
    assert again.status_code == 400 and "has a lesson with this name already" in again.get_data(
        as_text=True
    )
    junk = admin.post(
        "/studio/new-lesson",
        data={"lesson-csrf_token": token, "lesson-module": "../x", "lesson-title": "A"},
    )
    assert junk.status_code == 400  # not one of the choices

    module = admin.post(
        "/studio/new-module",
        data={
            "module-csrf_token": token,
            "module-track": "basics",
            "module-title": "Listening well",
            "module-summary": "Hear what is said.",
            "module-minutes": "20",
        },
    )
    assert module.status_code == 302
    assert (repo / "listening-well/module.md").is_file() and (
        repo / "listening-well/01-introduction.md"
    ).is_file()
    assert git(repo, "status", "--porcelain").strip() == ""
    learner = app.test_client()
    AuthActions(learner, session).create()
    AuthActions(learner, session).login()
    assert "Listening well" in learner.get("/").get_data(as_text=True)
    twice = admin.post(
        "/studio/new-module",
        data={
            "module-csrf_token": token,
            "module-track": "basics",
            "module-title": "Listening well",
            "module-summary": "x",
            "module-minutes": "20",
        },
    )
    assert (
        twice.status_code == 400
        and "There is a folder listening-well already" in twice.get_data(as_text=True)
    )


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def upload(admin, name: str, data: bytes, module: str = "intro", back: str = LESSON):
    from io import BytesIO

    token = csrf_token(admin.get(f"/studio/files/{back}").get_data(as_text=True))
    return admin.post(
        f"/studio/upload/{module}",
        data={"csrf_token": token, "back": back, "file": (BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_images_are_added_to_the_module_checked_named_and_committed(studio, repo):
    _, admin = studio
    answer = upload(admin, "../../Évil Name.PNG", PNG)
    assert answer.status_code == 302 and answer.headers["Location"].endswith(
        f"/studio/files/{LESSON}"
    )
    assert (repo / "intro/images/evil-name.png").read_bytes() == PNG
    page = admin.get(f"/studio/files/{LESSON}").get_data(as_text=True)
    assert "![Say what the image shows](images/evil-name.png)" in page
    assert git(repo, "log", "-1", "--format=%s").strip() == "Add intro/images/evil-name.png"
    upload(admin, "evil name.png", PNG)
    assert (repo / "intro/images/evil-name-2.png").is_file()  # no file is replaced
    assert not (repo.parent / "evil-name.png").exists()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "drawing.svg",
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            "SVG files can carry scripts",
        ),
        ("tool.png", b"MZ\x90\x00" + b"\x00" * 60, "not what .png promises"),
        ("tool.exe", b"MZ\x90\x00", "Upload a file of one of these types"),
        ("empty.png", b"", "empty"),
        ("big.png", PNG + b"\x00" * 4096, "larger than 2 KB"),
    ],
)
def test_refused_files_are_explained_and_not_written(
    studio, repo, name, data, message, monkeypatch
):
    _, admin = studio
    # Small, so that the test client's request body stays in memory (as 1.5 MB would not).
    monkeypatch.setattr(uploads, "MAX_BYTES", 2048)
    answer = upload(admin, name, data)
    page = (
        admin.get(answer.headers["Location"]).get_data(as_text=True)
        if answer.status_code == 302
        else ""
    )
    assert message in unescape(page)
    assert os.listdir(repo / "intro/images") == ["dot.svg"]  # the fixture's own image only


def test_a_file_over_the_request_limit_gets_a_clear_page(studio, repo):
    app, admin = studio
    # As a 50 MB file meets the 2 MB limit; smaller here, so the test client keeps it in memory.
    app.config.update(MAX_CONTENT_LENGTH=64 * 1024)
    answer = upload(admin, "huge.png", PNG + b"\x00" * (100 * 1024))
    assert answer.status_code == 413
    assert os.listdir(repo / "intro/images") == ["dot.svg"]


def test_uploads_go_only_to_the_module_of_the_file_being_edited(studio, repo):
    _, admin = studio
    assert upload(admin, "a.png", PNG, module="second").status_code == 404
    assert upload(admin, "a.png", PNG, module="..").status_code == 404
    assert upload(admin, "a.png", PNG, module="intro", back="tracks.yml").status_code == 404


def test_a_save_reaches_a_server_on_another_host(engine, database_url, tmp_path, session, repo):
    # Two hosts: each its own instance folder (no shared reload stamp), one database, one
    # content folder (shared storage).
    first = make_app(database_url, tmp_path / "host-a", CONTENT_DIR=str(repo))
    second = make_app(
        database_url, tmp_path / "host-b", CONTENT_DIR=str(repo), CONTENT_WATCH_INTERVAL=0
    )
    learner = second.test_client()
    AuthActions(learner, session).create()
    AuthActions(learner, session).login()
    assert "Some text." in learner.get("/modules/intro/second").get_data(as_text=True)
    admin = admin_client_of(first, session)
    fields = editor_fields(admin.get(f"/studio/files/{LESSON}").get_data(as_text=True))
    fields["text"] = fields["text"].replace("Some text.", "Seen on every host.")
    assert admin.post(f"/studio/files/{LESSON}", data=fields).status_code == 302
    assert "Seen on every host." in learner.get("/modules/intro/second").get_data(as_text=True)
    status = admin_client_of(second, session, "boss2@example.org").get("/studio/status")
    assert "asked for by another server" not in status.get_data(as_text=True)  # a good reload


def test_lessons_are_reordered_by_renumbering_and_progress_is_kept(studio, repo, session):
    app, admin = studio
    learner = app.test_client()
    AuthActions(learner, session).create()
    AuthActions(learner, session).login()
    first = learner.get("/modules/intro/first").get_data(as_text=True)
    learner.post("/modules/intro/first/complete", data={"csrf_token": csrf_token(first)})
    page = admin.get("/studio/order/intro").get_data(as_text=True)
    assert page.index("First lesson") < page.index("Second lesson")
    moved = admin.post(
        "/studio/order/intro",
        data={"csrf_token": csrf_token(page), "lesson": LESSON, "direction": "up"},
    )
    assert moved.status_code == 302
    assert sorted(os.listdir(repo / "intro")) == [
        "01-second.md",
        "02-first.md",
        "images",
        "module.md",
    ]
    assert git(repo, "status", "--porcelain").strip() == ""
    assert git(repo, "log", "-1", "--format=%s").strip() == "Reorder the lessons of intro"
    # The links to the renumbered files follow them; the course has no error.
    assert "[the next lesson](01-second.md#details)" in (repo / "intro/02-first.md").read_text()
    assert "(01-second.md)" in (repo / "intro/module.md").read_text()
    second = learner.get("/modules/intro/second").get_data(as_text=True)
    assert "Lesson 1 of 2" in second
    assert '<li class="is-done"><a href="/modules/intro/first"' in second  # progress kept
    token = csrf_token(admin.get("/studio/order/intro").get_data(as_text=True))
    stale = admin.post(
        "/studio/order/intro", data={"csrf_token": token, "lesson": LESSON, "direction": "up"}
    )
    assert stale.status_code == 400  # that file is gone: it was renumbered
    assert (
        admin.post(
            "/studio/order/nope", data={"csrf_token": token, "lesson": "x", "direction": "up"}
        ).status_code
        == 404
    )


def test_a_gift_file_is_shown_as_a_lesson_with_its_warnings_then_added(studio, repo):
    from io import BytesIO

    _, admin = studio
    gift = (FIXTURES / "gift" / "moodle-bank.gift").read_bytes()
    token = csrf_token(admin.get("/studio").get_data(as_text=True))
    shown = admin.post(
        "/studio/import-gift",
        data={
            "gift-csrf_token": token,
            "gift-module": "intro",
            "gift-file": (BytesIO(gift), "Moodle bank.gift"),
        },
        content_type="multipart/form-data",
    )
    page = unescape(shown.get_data(as_text=True))
    assert shown.status_code == 200 and "intro/03-moodle-bank.md" in page
    assert not (repo / "intro/03-moodle-bank.md").exists()  # nothing added yet
    found = re.search(
        r'<textarea[^>]*name="text"[^>]*>\r?\n?(.*?)</textarea>', shown.get_data(as_text=True), re.S
    )
    text = unescape(found.group(1))
    assert "```quiz" in text and "id: intro-moodle-bank" in text
    fields = {
        "csrf_token": csrf_token(shown.get_data(as_text=True)),
        "relative": "intro/03-moodle-bank.md",
        "text": text.replace("title: Moodle bank", "title: Checked bank"),
    }
    added = admin.post("/studio/import-gift/add", data=fields)
    assert added.status_code == 302
    assert "title: Checked bank" in (repo / "intro/03-moodle-bank.md").read_text()
    assert (
        git(repo, "log", "-1", "--format=%s").strip() == "Import the quiz intro/03-moodle-bank.md"
    )
    again = admin.post("/studio/import-gift/add", data=fields)
    assert again.status_code == 400 and "exists already" in again.get_data(as_text=True)
    for bad in ("intro/../x.md", "intro/.x.md", "nope/01-x.md", "intro/x.txt"):
        assert (
            admin.post("/studio/import-gift/add", data={**fields, "relative": bad}).status_code
            == 400
        )


def test_a_file_that_is_not_gift_text_gets_a_message(studio):
    from io import BytesIO

    _, admin = studio
    token = csrf_token(admin.get("/studio").get_data(as_text=True))
    answer = admin.post(
        "/studio/import-gift",
        data={
            "gift-csrf_token": token,
            "gift-module": "intro",
            "gift-file": (BytesIO(b"\xff\xfe\x00bad"), "x.gift"),
        },
        content_type="multipart/form-data",
    )
    assert answer.status_code == 400 and "not UTF-8 text" in answer.get_data(as_text=True)


def test_the_live_check_answers_json_and_writes_nothing(studio, repo):
    _, admin = studio
    page = admin.get(f"/studio/files/{LESSON}").get_data(as_text=True)
    before = (repo / LESSON).read_bytes()
    token = csrf_token(page)
    answer = admin.post(
        f"/studio/check/{LESSON}",
        data={"text": "---\ntitle: [\n---\n"},
        headers={"X-CSRFToken": token},
    )
    found = answer.get_json()
    assert answer.status_code == 200 and found["errors"] >= 1
    assert any(p["where"] == f"{LESSON}:2" and p["code"] == "C101" for p in found["problems"])
    good = admin.post(
        f"/studio/check/{LESSON}",
        data={"text": editor_fields(page)["text"]},
        headers={"X-CSRFToken": token},
    ).get_json()
    assert good["errors"] == 0 and good["problems"] == []
    assert '<h2 id="details">Details</h2>' in good["preview"]  # the lesson as rendered
    assert "<script>" not in good["preview"]  # raw HTML stays text, as on learner pages
    assert admin.post(f"/studio/check/{LESSON}", data={"text": "x"}).status_code == 400  # no token
    assert (repo / LESSON).read_bytes() == before


def test_a_file_changed_on_the_server_without_a_commit_is_pointed_out(studio, repo):
    _, admin = studio
    assert "not committed yet" not in admin.get(f"/studio/files/{LESSON}").get_data(as_text=True)
    with open(repo / LESSON, "a", encoding="utf-8") as handle:
        handle.write("\nAdded on the server.\n")
    assert "not committed yet" in admin.get(f"/studio/files/{LESSON}").get_data(as_text=True)


def test_a_server_whose_first_request_comes_after_a_save_elsewhere_reloads(
    engine, database_url, tmp_path, session, repo
):
    first = make_app(database_url, tmp_path / "host-a", CONTENT_DIR=str(repo))
    second = make_app(database_url, tmp_path / "host-b", CONTENT_DIR=str(repo))  # loaded now
    admin = admin_client_of(first, session)
    fields = editor_fields(admin.get(f"/studio/files/{LESSON}").get_data(as_text=True))
    fields["text"] = fields["text"].replace("Some text.", "Saved before host b's first request.")
    assert admin.post(f"/studio/files/{LESSON}", data=fields).status_code == 302
    learner = second.test_client()
    AuthActions(learner, session).create()
    AuthActions(learner, session).login()
    page = learner.get("/modules/intro/second").get_data(as_text=True)
    assert "Saved before host b's first request." in page


def test_an_author_reads_the_courses_problems_in_their_language(studio, repo, session):
    app, admin = studio
    with app.app_context():
        db = get_session()
        db.scalar(select(User).where(User.role == Role.ADMIN)).language = "nl"
        db.commit()
    fields = editor_fields(admin.get(f"/studio/files/{LESSON}").get_data(as_text=True))
    fields["text"] = "---\ntitle: [unclosed\n---\nBody\n"
    page = unescape(admin.post(f"/studio/files/{LESSON}", data=fields).get_data(as_text=True))
    assert re.search(r"Niet opgeslagen: \d+ fouten?", page)
    assert "C101 front matter is geen geldige YAML:" in page
    assert "C142 les heeft geen titel" in page and "not valid YAML" not in page
    checked = admin.post(
        f"/studio/check/{LESSON}",
        data={"text": fields["text"]},
        headers={"X-CSRFToken": fields["csrf_token"]},
    ).get_json()
    said = {p["code"]: p["message"] for p in checked["problems"]}
    assert said["C101"].startswith("front matter is geen geldige YAML:")
    assert said["C142"].startswith("les heeft geen titel")


def test_a_translation_is_previewed_as_its_readers_will_see_it(studio, repo):
    _, admin = studio
    translation = "intro/02-second.nl.md"
    (repo / translation).write_text(
        "---\ntitle: Tweede les\n---\nWat tekst.[^1]\n\n## Details\n\n[^1]: Een voetnoot.\n",
        encoding="utf-8",
    )
    fields = editor_fields(admin.get(f"/studio/files/{translation}").get_data(as_text=True))
    fields["text"] = fields["text"].replace("Wat tekst.", "Wat *andere* tekst.")
    page = admin.post(f"/studio/preview/{translation}", data=fields)
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html
    assert '<h1 id="lesson-title">Tweede les</h1>' in html
    assert "Wat <em>andere</em> tekst." in html and "Een voetnoot." in html
    assert "Some text." not in html
