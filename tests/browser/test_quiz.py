"""Taking a quiz in real Chromium, with the keyboard where a learner would use it."""

from __future__ import annotations

import pytest

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
        order.get_by_label(f"Position {position}").select_option(label=item)
    match = page.get_by_role("group", name="Question 7 of 8")
    match.get_by_label("check-in").select_option(label="arriving")
    match.get_by_label("check-out").select_option(label="closing")
    page.get_by_role("group", name="Question 8 of 8").get_by_label("Your reflection").fill(
        "A check-in round at the Monday stand-up."
    )
    page.screenshot(path=str(artifacts / "quiz-attempt.png"), full_page=True)
    page.get_by_role("button", name="Submit answers").click()

    status = page.get_by_role("status")
    assert "100%" in status.inner_text() and "Passed" in status.inner_text()
    page.screenshot(path=str(artifacts / "quiz-result.png"), full_page=True)
