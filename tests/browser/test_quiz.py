"""Taking a quiz in real Chromium, with the keyboard where a learner would use it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from cocourse.models import QuizAttempt, utcnow

from ..conftest import FIXTURES, AuthActions

pytestmark = pytest.mark.browser


@pytest.fixture
def content_dir():
    return FIXTURES / "quiz_course"


def test_take_a_quiz_and_read_the_result(page, session, artifacts):
    AuthActions(None, session).create()
    page.goto("/login")
    page.get_by_label("Email").fill("learner@example.org")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Log in").click()
    page.goto("/modules/check/quiz")
    page.get_by_role("button", name="Start the quiz").click()

    first = page.get_by_role("group", name="Question 1 of 8")
    first.get_by_label("The people involved shape the result.").focus()
    page.keyboard.press("Space")  # radios work from the keyboard
    second = page.get_by_role("group", name="Question 2 of 8")
    second.get_by_label("Several teams depend on each other.").check()
    second.get_by_label("The people affected carry out the solution.").check()
    page.get_by_role("group", name="Question 3 of 8").get_by_label("False").check()
    page.get_by_role("group", name="Question 4 of 8").get_by_label("Your answer").fill("check-in")
    page.get_by_role("group", name="Question 5 of 8").get_by_label("Your answer (a number)").fill(
        "12"
    )
    order = page.get_by_role("group", name="Question 6 of 8")
    for position, item in enumerate(["Alone", "In pairs", "In foursomes", "All together"], 1):
        order.get_by_label(f"Position of: {item}").select_option(str(position))
    match = page.get_by_role("group", name="Question 7 of 8")
    match.get_by_label("check-in").select_option(label="arriving")
    match.get_by_label("check-out").select_option(label="closing")
    page.get_by_role("group", name="Question 8 of 8").get_by_label("Your reflection").fill(
        "A check-in round at the Monday stand-up."
    )
    page.screenshot(path=str(artifacts / "quiz-attempt.png"), full_page=True)
    page.get_by_role("button", name="Submit answers").click()

    status = page.get_by_role("status")
    expect(status).to_contain_text("100%")
    expect(status).to_contain_text("Passed")
    page.screenshot(path=str(artifacts / "quiz-result.png"), full_page=True)


def _log_in(page, session):
    AuthActions(None, session).create()
    page.goto("/login")
    page.get_by_label("Email").fill("learner@example.org")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Log in").click()


def _some_answers(page):
    page.get_by_role("group", name="Question 1 of 8").get_by_label(
        "The people involved shape the result."
    ).check()
    order = page.get_by_role("group", name="Question 6 of 8")
    order.get_by_label("Position of: In pairs").select_option("2")
    match = page.get_by_role("group", name="Question 7 of 8")
    match.get_by_label("check-out").select_option(label="closing")
    page.get_by_role("group", name="Question 8 of 8").get_by_label("Your reflection").fill(
        "A check-in round at the Monday stand-up."
    )


def _answers_are_back(page):
    assert (
        page.get_by_role("group", name="Question 1 of 8")
        .get_by_label("The people involved shape the result.")
        .is_checked()
    )
    order = page.get_by_role("group", name="Question 6 of 8")
    expect(order.get_by_label("Position of: In pairs")).to_have_value("2")
    match = page.get_by_role("group", name="Question 7 of 8")
    chosen = match.get_by_label("check-out").evaluate("s => s.selectedOptions[0].textContent")
    assert chosen == "closing"
    reflection = page.get_by_role("group", name="Question 8 of 8").get_by_label("Your reflection")
    expect(reflection).to_have_value("A check-in round at the Monday stand-up.")


def test_answers_are_saved_as_you_go_and_come_back(page, session, artifacts):
    _log_in(page, session)
    page.goto("/modules/check/quiz")
    page.get_by_role("button", name="Start the quiz").click()
    _some_answers(page)
    page.get_by_text(re.compile(r"Saved at \d")).wait_for()
    page.goto("/modules/check/quiz")  # leave, then come back as a learner would
    page.get_by_role("link", name="Continue your attempt").click()
    _answers_are_back(page)
    page.screenshot(path=str(artifacts / "quiz-restored.png"), full_page=True)


def test_answers_given_before_the_script_arrives_are_saved_too(page, session):
    held = []
    page.route("**/static/quiz.*.js", lambda route: held.append(route))  # a slow script
    _log_in(page, session)
    page.goto("/modules/check/quiz")
    page.get_by_role("button", name="Start the quiz").click(no_wait_after=True)
    first = page.get_by_role("group", name="Question 1 of 8")
    first.get_by_label("The people involved shape the result.").check()
    assert held, "the script was not held back"
    expect(page.get_by_text(re.compile(r"Saved at \d"))).to_have_count(0)
    held[0].continue_()
    page.get_by_text(re.compile(r"Saved at \d")).wait_for()
    attempt = session.scalar(select(QuizAttempt).order_by(QuizAttempt.id.desc()))
    session.refresh(attempt)
    assert attempt.draft and attempt.draft.get("q0")


def test_without_javascript_the_save_button_keeps_the_answers(browser, live_server, session):
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    try:
        _log_in(page, session)
        page.goto("/modules/check/quiz")
        page.get_by_role("button", name="Start the quiz").click()
        _some_answers(page)
        page.get_by_role("button", name="Save without submitting").click()
        expect(page.get_by_text("Your answers are saved")).to_be_visible()
        page.goto("/modules/check/quiz")
        page.get_by_role("link", name="Continue your attempt").click()
        _answers_are_back(page)
    finally:
        context.close()


def test_unanswered_questions_are_listed_before_the_final_submit(page, session, artifacts):
    _log_in(page, session)
    page.goto("/modules/check/quiz")
    page.get_by_role("button", name="Start the quiz").click()
    _some_answers(page)
    page.get_by_role("group", name="Question 5 of 8").get_by_label("Your answer (a number)").fill(
        "4 principles"
    )
    page.get_by_role("button", name="Submit answers").click()
    # A number that is not one is sent back first, with everything kept.
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Write a number only")
    page.get_by_role("group", name="Question 5 of 8").get_by_label("Your answer (a number)").fill(
        "12"
    )
    page.get_by_role("button", name="Submit answers").click()
    review = page.get_by_role("alert")
    expect(review).to_contain_text("need a look")
    expect(review).to_contain_text("Question 6: Give each of the 4 items its own position")
    for number in (2, 3, 4):
        expect(review.get_by_role("link", name=f"Question {number}", exact=True)).to_be_visible()
    page.screenshot(path=str(artifacts / "quiz-review.png"), full_page=True)
    review.get_by_role("link", name="Question 3", exact=True).click()
    expect(page).to_have_url(re.compile(r"#q2-prompt$"))
    page.get_by_role("group", name="Question 3 of 8").get_by_label("False").check()
    page.get_by_role("button", name="Submit anyway").click()
    expect(page.locator(".score-box")).to_contain_text("%")
    attempt = session.scalar(select(QuizAttempt))
    session.refresh(attempt)
    assert attempt.submitted_at is not None and attempt.answers["q-tf"] == "b"


def _set_deadline(session, when):
    session.execute(update(QuizAttempt).values(deadline=when))
    session.commit()


def test_the_countdown_submits_when_time_is_up(page, session, artifacts):
    _log_in(page, session)
    page.goto("/modules/check/once")
    page.get_by_role("button", name="Start the quiz").click()
    # The attempt page must have finished loading: a reload while the start's redirect is
    # still arriving detaches the page in Chromium.
    page.get_by_label("Right").wait_for()
    page.wait_for_load_state("load")
    _set_deadline(session, utcnow() + timedelta(seconds=4))
    page.reload()
    expect(page.locator(".countdown")).to_contain_text(re.compile(r"Time left: 0:0\d"))
    expect(page.locator("time[data-local-time]").first).to_contain_text("(your time)")
    page.get_by_label("Right").check()
    page.screenshot(path=str(artifacts / "quiz-countdown.png"), full_page=True)
    page.wait_for_url(re.compile(r"/result$"), timeout=15_000)
    expect(page.locator(".score-box")).to_contain_text("100%")


def test_an_attempt_found_after_its_time_is_graded_on_the_saved_answers(page, session):
    _log_in(page, session)
    page.goto("/modules/check/once")
    page.get_by_role("button", name="Start the quiz").click()
    page.get_by_label("Right").check()
    page.get_by_text(re.compile(r"Saved at \d")).wait_for()
    _set_deadline(session, utcnow() - timedelta(minutes=5))
    page.reload()
    expect(page).to_have_url(re.compile(r"/result$"))
    expect(page.locator("body")).to_contain_text("Time ran out")
    expect(page.locator(".score-box")).to_contain_text("100%")


@pytest.mark.parametrize("width", [320, 390])
def test_the_attempt_page_fits_a_phone(browser, live_server, session, artifacts, width):
    context = browser.new_context(base_url=live_server, viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        _log_in(page, session)
        page.goto("/modules/check/quiz")
        page.get_by_role("button", name="Start the quiz").click()
        page.get_by_role("group", name="Question 8 of 8").wait_for()
        wide = page.evaluate("document.documentElement.scrollWidth")
        page.screenshot(path=str(artifacts / f"quiz-attempt-{width}.png"), full_page=True)
        assert wide <= width
    finally:
        context.close()
