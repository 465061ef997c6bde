"""The authoring studio in Chromium, on the app served the way it is in production: gunicorn
with two worker processes over one database and one content folder in git. An admin fixes a
lesson and both workers serve the new text; a broken edit shows its errors and leaves file
and git alone; two admins editing one file get a conflict view that loses nothing; history,
a change's diff and restoring an old version."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import expect

from cocourse.accounts.services import create_user
from cocourse.models import Role

from ..conftest import PASSWORD, git
from ..gunicorn import Served, serve
from ..test_studio_editing import LESSON
from .helpers import check, open_as

pytestmark = pytest.mark.browser
LESSON_PAGE = "/modules/intro/second"


@pytest.fixture
def gunicorn(engine, database_url, tmp_path, session, repo) -> Iterator[Served]:
    create_user(session, "ada@example.org", "Ada Author", PASSWORD, Role.ADMIN)
    create_user(session, "lee@example.org", "Lee Learner", PASSWORD, Role.LEARNER)
    env = {
        "COCOURSE_SECRET_KEY": "a-secret-both-workers-share-0123456789abcdef",
        "DATABASE_URL": database_url,
        "COCOURSE_CONTENT_DIR": str(repo),
        "COCOURSE_INSTANCE_PATH": str(tmp_path / "instance"),
        "COCOURSE_RATELIMIT_ENABLED": "false",
    }
    with serve(tmp_path, env) as served:
        yield served


def both_workers_serve(served: Served, cookies: dict[str, str], text: str, limit: float) -> float:
    """Seconds until each of the two workers has answered the lesson page with `text`."""
    started, fresh, probe = time.monotonic(), set(), 0
    while time.monotonic() - started < limit:
        probe += 1
        page = requests.get(
            f"{served.base}{LESSON_PAGE}?probe={probe}",
            cookies=cookies,
            headers={"Connection": "close"},
            timeout=10,
        )
        assert page.status_code == 200
        time.sleep(0.05)  # the access log line is written after the response
        worker = served.worker_of(str(probe))
        if text in page.text and worker:
            fresh.add(worker)
        if len(fresh) == 2:
            return time.monotonic() - started
    raise AssertionError(f"after {limit} s only workers {fresh} served the new text")


def test_an_author_fixes_a_lesson_and_both_workers_serve_it(
    browser, gunicorn, repo, axe_source, artifacts
):
    learner = open_as(browser, gunicorn.base, "lee@example.org", axe_source)
    author = open_as(browser, gunicorn.base, "ada@example.org", axe_source)
    try:
        learner.goto(LESSON_PAGE)
        expect(learner.get_by_text("Some text.")).to_be_visible()
        cookies = {c["name"]: c["value"] for c in learner.context.cookies()}

        author.get_by_role("link", name="Content", exact=True).click()
        check(author, "the course files")
        author.get_by_role("link", name=LESSON).click()
        check(author, "the editor")
        editor = author.get_by_label("Text")
        head = git(repo, "rev-parse", "HEAD")

        # A broken edit: checked as it is typed, then refused at saving with the errors
        # shown and the text kept; nothing changes on disk or in git.
        editor.fill("---\ntitle: [unclosed\n---\nSome text.\n")
        editor.press("End")  # typing, as a person would: the live check starts
        live = author.locator("#live-check")
        expect(live).to_contain_text(re.compile(r"Checked as you type: \d+ errors?"))
        expect(live).to_contain_text(f"{LESSON}:2")
        author.goto(f"/studio/files/{LESSON}")
        editor = author.get_by_label("Text")
        editor.fill(editor.input_value().replace("## Details", "## Live details"))
        expect(author.locator("#live-preview h2")).to_have_text("Live details")
        editor.fill("---\ntitle: [unclosed\n---\nSome text.\n")
        author.get_by_role("button", name="Save").click()
        expect(
            author.get_by_role("heading", name=re.compile(r"Not saved: \d+ error"))
        ).to_be_visible()
        expect(author.get_by_label("Text")).to_have_value(re.compile(r"title: \[unclosed"))
        check(author, "the editor with errors")
        author.screenshot(path=str(artifacts / "studio-errors-390.png"), full_page=True)
        assert git(repo, "rev-parse", "HEAD") == head
        assert "title: Second lesson" in (repo / LESSON).read_text()

        # The fix: saved, committed with the author's name, served by both workers.
        author.goto(f"/studio/files/{LESSON}")
        text = author.get_by_label("Text").input_value()
        author.get_by_label("Text").fill(text.replace("Some text.", "Some clearer text."))
        with author.context.expect_page() as opened:
            author.get_by_role("button", name="Preview (opens a new tab)").click()
        preview = opened.value
        expect(preview.get_by_role("heading", name=re.compile("Preview of"))).to_be_visible()
        expect(preview.get_by_text("Some clearer text.")).to_be_visible()
        check(preview, "the lesson preview")
        preview.close()
        assert "Some clearer text." not in (repo / LESSON).read_text()  # a preview saves nothing
        author.get_by_label("What you changed (for the history)").fill("Clearer wording")
        author.get_by_role("button", name="Save").click()
        expect(author.get_by_text("Saved. Learners see the new text now.")).to_be_visible()
        delay = both_workers_serve(gunicorn, cookies, "Some clearer text.", limit=20)
        print(f"both gunicorn workers served the saved lesson {delay:.2f} s after the save")
        learner.reload()
        expect(learner.get_by_text("Some clearer text.")).to_be_visible()
        assert git(repo, "log", "-1", "--format=%an %s").strip() == "Ada Author Clearer wording"

        # History, the change's diff, and restoring the first version.
        author.get_by_role("link", name="History").click()
        check(author, "a file's history")
        author.get_by_role("link", name=re.compile("Clearer wording")).click()
        expect(author.locator("del.diff-del", has_text="-Some text.")).to_be_visible()
        expect(author.locator("ins.diff-add", has_text="+Some clearer text.")).to_be_visible()
        check(author, "a change's diff")
        author.screenshot(path=str(artifacts / "studio-diff-390.png"), full_page=True)
        author.go_back()
        author.get_by_role("link", name=re.compile("Start")).click()
        author.get_by_role("button", name="Restore this version").click()
        expect(author.get_by_text(re.compile(r"Restored as of [0-9a-f]{10}"))).to_be_visible()
        assert "Some text." in (repo / LESSON).read_text()
        both_workers_serve(gunicorn, cookies, "Some text.", limit=20)
    finally:
        learner.context.close()
        author.context.close()


def test_two_authors_on_one_file_get_a_conflict_view_and_lose_nothing(
    browser, gunicorn, repo, axe_source, artifacts
):
    first = open_as(browser, gunicorn.base, "ada@example.org", axe_source)
    second = open_as(
        browser, gunicorn.base, "ada@example.org", axe_source, {"width": 1280, "height": 900}
    )
    try:
        for page in (first, second):
            page.goto(f"/studio/files/{LESSON}")
        text = first.get_by_label("Text").input_value()
        first.get_by_label("Text").fill(text.replace("Some text.", "First author's text."))
        first.get_by_role("button", name="Save").click()
        expect(first.get_by_text("Saved.")).to_be_visible()

        mine = text.replace("## Details", "## Second author's details")
        second.get_by_label("Text").fill(mine)
        second.get_by_role("button", name="Save").click()
        expect(
            second.get_by_role("heading", name="Someone saved this file after you opened it")
        ).to_be_visible()
        expect(second.locator("ins.diff-add", has_text="First author's text.")).to_be_visible()
        expect(second.get_by_label("Text")).to_have_value(mine)
        check(second, "the conflict view")
        second.screenshot(path=str(artifacts / "studio-conflict-1280.png"), full_page=True)
        on_disk = (repo / LESSON).read_text()
        assert "First author's text." in on_disk and "Second author's details" not in on_disk

        # The second author brings the first one's change in and saves.
        second.get_by_label("Text").fill(mine.replace("Some text.", "First author's text."))
        second.get_by_role("button", name="Save").click()
        expect(second.get_by_text("Saved.")).to_be_visible()
        on_disk = (repo / LESSON).read_text()
        assert "First author's text." in on_disk and "Second author's details" in on_disk
    finally:
        first.context.close()
        second.context.close()


def test_a_gift_file_becomes_a_quiz_lesson_after_its_preview(
    browser, gunicorn, repo, axe_source, artifacts
):
    from ..conftest import FIXTURES

    author = open_as(browser, gunicorn.base, "ada@example.org", axe_source)
    try:
        author.goto("/studio")
        check(author, "the course files with the new-file forms")
        author.screenshot(path=str(artifacts / "studio-files-390.png"), full_page=True)
        form = author.locator("form", has=author.get_by_role("button", name="Show the lesson"))
        form.get_by_label("Module").select_option(label="Introduction")
        form.get_by_label("GIFT file (.gift or .txt)").set_input_files(
            str(FIXTURES / "gift" / "moodle-bank.gift")
        )
        author.get_by_role("button", name="Show the lesson").click()
        expect(author.get_by_role("heading", name="The GIFT file as a quiz lesson")).to_be_visible()
        check(author, "the GIFT preview")
        author.screenshot(path=str(artifacts / "studio-gift-390.png"), full_page=True)
        assert not (repo / "intro/03-moodle-bank.md").exists()
        author.get_by_role("button", name="Add the quiz lesson").click()
        expect(author.get_by_text("Quiz lesson added.")).to_be_visible()
        assert (repo / "intro/03-moodle-bank.md").is_file()
    finally:
        author.context.close()
