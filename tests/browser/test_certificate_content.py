"""The certificate's content in one journey, in real Chromium, on the bundled course: a
facilitator finds the printable workshop kit and prints it (each part on its own sheet),
schedules a tasting workshop whose run sheet carries the hosts' script, and reads what each
rubric level looks like; a candidate who finished both tracks takes the final exam, whose
40 questions meet the blueprint (every domain, every module, scenarios), and sees no key
after failing."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from cocourse.config import Defaults
from cocourse.db import get_session
from cocourse.learning import progress
from cocourse.models import QuizAttempt, Role, Workshop, utcnow
from cocourse.workshops import attendance, services

from ..conftest import AuthActions, make_app
from ..test_workshops import plan
from .helpers import check, fill_workshop, open_as

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 900}
DOMAINS = [f"domain-{n}" for n in range(1, 7)]


@pytest.fixture
def content_dir():
    return Defaults.CONTENT_DIR


def _ready_for_the_exam(app, user, admin):
    """Every lesson of the Tasting and Facilitator tracks and of the practicum module done
    (the exam's module requires it), and a tasting workshop to attend, as Tasting asks."""
    course = app.extensions["cocourse.course"].course
    pm = app.extensions["cocourse.plugins"]
    with app.test_request_context():
        db = get_session()
        studied = [m.slug for t in course.tracks if t.slug != "certification" for m in t.modules]
        for slug in [*studied, "certification-01-practicum"]:
            module = course.module(slug)
            for lesson in module.lessons:
                progress.complete_lesson(db, pm, user.id, module, lesson)
        workshop = services.schedule(db, admin, plan(), utcnow())
        seat = services.sign_up(db, workshop.id, user, utcnow())
    return workshop, seat


def test_the_kit_the_rubric_and_the_exam(
    browser, live_server, database_url, tmp_path, session, artifacts, axe_source
):
    people = AuthActions(None, session)
    ada = people.create("ada@example.org", Role.ADMIN)
    carl = people.create("carl@example.org")
    arrange = make_app(database_url, tmp_path / "arrange", CONTENT_DIR=str(Defaults.CONTENT_DIR))
    course = arrange.extensions["cocourse.course"].course
    kit = course.kit

    # Ada, on her phone, finds the kit from the Workshops page.
    page = open_as(browser, live_server, "ada@example.org", axe_source)
    page.goto("/workshops")
    page.get_by_role("link", name="The workshop kit").click()
    expect(page.get_by_role("heading", name="The workshop kit", level=1)).to_be_visible()
    parts = page.get_by_role("navigation", name="Parts of the kit").get_by_role("link")
    expect(parts).to_have_count(len(kit.templates) + len(kit.handouts) + 1)
    tasting = kit.default_for("tasting")
    expect(page.get_by_role("heading", name=f"Run sheet: {tasting.title}")).to_be_visible()
    expect(page.get_by_role("heading", name="Participant feedback form")).to_be_visible()
    for question in kit.feedback:
        expect(page.get_by_text(question.ask, exact=True)).to_be_visible()
    check(page, "the workshop kit")
    page.screenshot(path=str(artifacts / "kit-phone.png"), full_page=True)
    # Printed, every part starts on a sheet of its own, and the menu stays off paper.
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4")))
    sheets = [p.extract_text() for p in pdf.pages]
    starts = [i for i, text in enumerate(sheets) if text.lstrip().startswith("Run sheet:")]
    assert len(starts) == len(kit.templates)
    for handout in kit.handouts:
        assert any(text.lstrip().startswith(handout.title) for text in sheets), handout.title
    assert any(text.lstrip().startswith("Participant feedback form") for text in sheets)
    assert not any("Log out" in text for text in sheets)

    # She schedules a tasting workshop from the template; its run sheet has the script.
    page.goto("/workshops/new")
    day = (utcnow() + timedelta(days=9)).date().isoformat()
    fill_workshop(
        page,
        title="Tasting: requests that bounce",
        purpose="Agree one experiment on requests that change hands.",
        day=day,
        place="Room 2",
        seats="12",
    )
    page.get_by_role("button", name="Schedule").click()
    page.get_by_role("link", name="Run sheet and sign-in list (printable)").click()
    expect(page.get_by_role("heading", name="The hosts' script")).to_be_visible()
    first = tasting.blocks[0]
    expect(page.get_by_role("heading", name=f"09:30 · {first.title}")).to_be_visible()
    check(page, "a run sheet with the hosts' script")

    # The programme page says what each level of the rubric looks like, domain by domain.
    program = course.programs[0]
    page.goto(f"/certification/{program.slug}")
    criterion = program.rubric.criteria[0]
    level = program.rubric.levels[-1]
    details = page.locator("details.descriptors").first
    details.get_by_text("What each level looks like").click()
    expect(details.get_by_text(level.title, exact=False).first).to_be_visible()
    assert criterion.descriptor(level.id)
    check(page, "the programme page with the level descriptors")
    page.screenshot(path=str(artifacts / "rubric-descriptors-phone.png"), full_page=True)

    # Carl finished both tracks and the practicum module, and attended a tasting workshop.
    workshop, seat = _ready_for_the_exam(arrange, carl, ada)
    with arrange.test_request_context():
        db = get_session()
        row = db.get(Workshop, workshop.id)
        row.starts_at = utcnow() - timedelta(hours=1)
        db.commit()
        attendance.record(db, workshop.id, ada, {seat.id}, set(), utcnow())
    exam_module, exam_lesson = course.quiz("final-exam")
    desk = open_as(browser, live_server, "carl@example.org", axe_source, DESKTOP)
    desk.goto(f"/modules/{exam_module.slug}/{exam_lesson.slug}")
    desk.get_by_role("button", name="Start the quiz").click()
    questions = desk.locator("fieldset.question")
    expect(questions).to_have_count(40)
    check(desk, "an exam attempt")
    attempt = session.scalar(select(QuizAttempt).where(QuizAttempt.user_id == carl.id))
    session.rollback()
    bank = {q.id: set(q.tags) for q in exam_lesson.questions}
    drawn = [bank[q["id"]] for q in attempt.questions]
    # The blueprint: 6 per domain, 2 per module of the two tracks, 8 scenarios.
    assert all(sum(d in tags for tags in drawn) >= 6 for d in DOMAINS)
    studied = [m for t in course.tracks if t.slug != "certification" for m in t.modules]
    for module in studied:
        tag = "module-" + "-".join(module.slug.split("-")[:2])
        assert sum(tag in tags for tags in drawn) >= 2, tag
    assert sum("scenario" in tags for tags in drawn) >= 8
    # Submitted blank, it fails: the score and the domains show, the keys do not.
    desk.get_by_role("button", name="Submit answers").click()
    expect(desk.get_by_role("alert")).to_contain_text("need a look")  # 40 unanswered
    desk.get_by_role("button", name="Submit anyway").click()
    expect(desk.locator(".score-box")).to_contain_text("%")
    expect(desk.get_by_text("You can try again from")).to_be_visible()
    expect(desk.locator(".review-item")).to_have_count(0)
    expect(desk.get_by_text("Correct answer:")).to_have_count(0)
    check(desk, "a failed exam's result")
    desk.screenshot(path=str(artifacts / "exam-failed-desktop.png"), full_page=True)
