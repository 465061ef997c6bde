"""The LTI journey in Chromium, against a platform we did not write (tests/lti/platform.py
on the third-party lti1p3platform library): a teacher places a cocourse quiz in their
course by deep linking, a learner opens it from the course, takes it, and the teacher reads
the score in the platform's gradebook."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from cocourse.accounts.services import create_user
from cocourse.models import CohortMember, LtiContext, Role, User

from ..conftest import PASSWORD
from ..lti.site import CLIENT_ID, DEPLOYMENT, serve_site
from .helpers import PHONE, check, open_as
from .test_accessibility import check_axe

pytestmark = pytest.mark.browser


@pytest.fixture
def site(engine, database_url, tmp_path, session):
    with serve_site(database_url, tmp_path, session) as found:
        yield found


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_deep_link_launch_quiz_and_grade_back(browser, site, session, artifacts, axe_source, width):
    platform = site.platform
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.add_init_script(script=axe_source)
    page = context.new_page()
    try:
        # The teacher adds content from cocourse to their course on the platform.
        page.goto(platform.url + "/")
        page.get_by_role("link", name="Add content from the tool").click()
        page.wait_for_url(f"{site.base}/lti/deep-link")
        expect(page.get_by_role("heading", name="Add cocourse content to Test LMS")).to_be_visible()
        check_axe(page, "the deep-linking picker")
        page.screenshot(path=str(artifacts / f"lti-picker-{width}.png"), full_page=True)
        page.get_by_label("Quiz: Pool").check()
        page.get_by_role("button", name="Add to Test LMS").click()
        page.wait_for_url(platform.url + "/")
        [link] = platform.links.values()
        assert link.title == "Check yourself: Pool" and link.lineitem_id is not None

        # A learner opens it from the course: signed in to cocourse, on the quiz.
        page.context.clear_cookies()
        page.goto(platform.url + "/")
        page.locator(f'a.launch[data-link="{link.id}"][data-user="student-1"]').click()
        page.wait_for_url(f"{site.base}/modules/check/pool")
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        page.get_by_role("button", name="Start the quiz").click()
        for number in (1, 2):
            group = page.get_by_role("group", name=f"Question {number} of 2")
            group.get_by_label("Yes").check()
        page.screenshot(path=str(artifacts / f"lti-quiz-{width}.png"), full_page=True)
        page.get_by_role("button", name="Submit answers").click()
        expect(page.get_by_role("status")).to_contain_text("100%")

        # The teacher reads the score in the platform's gradebook.
        page.goto(platform.url + "/gradebook")
        cell = page.locator(f'td[data-user="student-1"][data-lineitem="{link.lineitem_id}"]')
        expect(cell).to_have_text(re.compile(r"^\s*100(\.0)?/100(\.0)?\s*$"))
        page.screenshot(path=str(artifacts / f"lti-gradebook-{width}.png"), full_page=True)
    finally:
        context.close()
    learner = session.scalar(select(User).where(User.email == "sam@school.test"))
    course = session.scalar(select(LtiContext))
    assert session.scalar(
        select(CohortMember).where(
            CohortMember.user_id == learner.id, CohortMember.cohort_id == course.cohort_id
        )
    )


@pytest.fixture
def bare_site(engine, database_url, tmp_path, session):
    with serve_site(database_url, tmp_path, session, registered=False) as found:
        yield found


def test_an_admin_registers_the_platform_and_its_teachers_get_in(
    browser, bare_site, session, axe_source, artifacts
):
    site, platform = bare_site, bare_site.platform
    create_user(session, "admin@example.org", "Ada Admin", PASSWORD, Role.ADMIN)
    page = open_as(browser, site.base, "admin@example.org", axe_source, PHONE)
    try:
        page.get_by_role("link", name="Platforms").click()
        expect(page.get_by_text("No platform is registered yet")).to_be_visible()
        expect(page.get_by_text(f"{site.base}/lti/jwks.json")).to_be_visible()
        check(page, "the platforms page")
        page.get_by_label("Name shown to people").fill("Test LMS")
        page.get_by_label("Platform ID (issuer)").fill(platform.issuer)
        page.get_by_label("Client ID").fill(CLIENT_ID)
        page.get_by_label("Authentication request URL").fill(platform.auth_login_url)
        page.get_by_label("Access token URL").fill(platform.token_url)
        page.get_by_label("Public keyset URL").fill("moodle.example.org/keys")
        page.get_by_label("Deployment IDs, one per line").fill(DEPLOYMENT)
        page.get_by_role("button", name="Register platform").click()
        expect(page.get_by_text("starting with https://")).to_be_visible()  # kept, not lost
        expect(page.get_by_label("Client ID")).to_have_value(CLIENT_ID)
        check(page, "the platforms page with an error")
        page.get_by_label("Public keyset URL").fill(platform.jwks_url)
        page.get_by_role("button", name="Register platform").click()
        expect(page.get_by_text("Platform saved")).to_be_visible()
        expect(page.get_by_role("link", name="Test LMS")).to_be_visible()
        check(page, "the platforms page with a platform")

        teacher = browser.new_context(viewport=PHONE)
        link = platform.add_link(
            "Check", f"{site.base}/lti/launch", custom={"target": "module:check"}
        )
        other = teacher.new_page()
        other.goto(f"{platform.url}/")
        other.locator(f'a.launch[data-link="{link.id}"][data-user="teacher-1"]').click()
        other.wait_for_url(f"{site.base}/modules/check")
        expect(other.get_by_role("button", name="Log out")).to_be_visible()
        teacher.close()

        page.reload()  # the course is listed with its cohort
        expect(page.get_by_role("row", name=re.compile("Co-creation 101"))).to_be_visible()
        check(page, "the platforms page with a course")
        page.screenshot(path=str(artifacts / "lti-admin-390.png"), full_page=True)
    finally:
        page.context.close()
