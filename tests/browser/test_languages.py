"""A Dutch-speaking recruit signs up, studies and takes a quiz in Dutch; the admin's item
analysis counts the Dutch answers with the English ones."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from cocourse.models import QuizAttempt, Role, User

from ..conftest import PASSWORD, AuthActions

pytestmark = pytest.mark.browser

CONTENT = Path(__file__).parent.parent.parent / "content" / "modules"
MODULE = "/modules/tasting-01-what-co-creation-is"
QUIZ = "tasting-01-what-co-creation-is-check"
PHONE = {"width": 390, "height": 844}
# The check's last question asks for a reflection of at least 25 words.
REFLECTION = " ".join(["woord"] * 30)


@pytest.fixture
def content_dir():
    return CONTENT


def log_in(page, email: str) -> None:
    """Log in through the English form (the browser's locale is English)."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/$"))


def take_the_quiz(page, right_answer: str, start: str, submit: str, anyway: str) -> None:
    """Start the module's check, answer its first question rightly, submit the rest empty."""
    page.goto(f"{MODULE}/check")
    page.get_by_role("button", name=start).click()
    page.get_by_label(right_answer).check()
    page.locator("textarea").fill(REFLECTION)
    page.get_by_role("button", name=submit).click()
    page.get_by_role("button", name=anyway).click()  # the other questions are left open
    expect(page).to_have_url(re.compile(r"/result$"))


def test_a_dutch_recruit_studies_in_dutch_and_counts_with_the_english(
    browser, live_server, session, artifacts
):
    lieve = browser.new_context(base_url=live_server, locale="nl-BE", viewport=PHONE)
    page = lieve.new_page()
    try:
        # Signing up: the browser says Dutch, so the form is in Dutch.
        page.goto("/register")
        expect(page.locator("html")).to_have_attribute("lang", "nl")
        page.get_by_label("Je naam").fill("Lieve Peeters")
        page.get_by_label("E-mailadres").fill("lieve@example.org")
        page.get_by_label("Wachtwoord", exact=True).fill("een lang genoeg wachtwoord")
        page.get_by_label("Herhaal het wachtwoord").fill("een lang genoeg wachtwoord")
        page.get_by_role("button", name="Account aanmaken").click()

        # The catalog: the interface and the Tasting track in Dutch.
        expect(page.get_by_role("heading", name="Proeverij", exact=True)).to_be_visible()
        expect(page.get_by_role("button", name="Uitloggen")).to_be_visible()
        page.screenshot(path=str(artifacts / "catalog-nl-phone.png"), full_page=True)
        page.goto(MODULE)
        expect(page.locator("h1")).to_contain_text("cocreatie")
        page.goto(f"{MODULE}/dont-struggle-alone")
        expect(page.locator("h1")).to_have_text(re.compile(r"\S"))
        expect(page.locator("main")).not_to_contain_text("Don't struggle alone")
        page.screenshot(path=str(artifacts / "lesson-nl-phone.png"), full_page=True)

        # The check, in Dutch: the question and its options as the translation words them.
        page.goto(f"{MODULE}/check")
        page.get_by_role("button", name="Start de quiz").click()
        expect(page.locator("main")).to_contain_text("Welke aanpak is cocreatie?")
        page.screenshot(path=str(artifacts / "quiz-nl-phone.png"), full_page=True)
        page.get_by_label(
            "Medewerkers, een aantal klanten en het afdelingshoofd geven samen vorm aan het "
            "probleem, de aanpak en de procedure."
        ).check()
        page.locator("textarea").fill(REFLECTION)
        expect(page.get_by_text(re.compile(r"Bewaard om \d"))).to_be_visible()  # autosave
        page.get_by_role("button", name="Antwoorden indienen").click()
        page.get_by_role("button", name="Toch indienen").click()
        expect(page).to_have_url(re.compile(r"/result$"))
        expect(page.locator("main")).to_contain_text("Juist.")
        # The reflection's feedback was written when the attempt was graded, in Dutch.
        expect(page.locator("main")).to_contain_text("Je hebt 30 woorden geschreven.")
        page.screenshot(path=str(artifacts / "result-nl-phone.png"), full_page=True)
    finally:
        lieve.close()

    # An English-speaking colleague takes the same quiz in English.
    AuthActions(None, session).create("eddie@example.org")
    eddie = browser.new_context(base_url=live_server, locale="en-GB")
    page = eddie.new_page()
    try:
        log_in(page, "eddie@example.org")
        take_the_quiz(
            page,
            "Staff, some clients and the head of department jointly shape the problem, the "
            "approach and the procedure.",
            "Start the quiz",
            "Submit answers",
            "Submit anyway",
        )
    finally:
        eddie.close()

    languages = session.scalars(select(QuizAttempt.language).order_by(QuizAttempt.id)).all()
    assert languages == ["nl", None]
    lieve_user = session.scalar(select(User).where(User.email == "lieve@example.org"))
    assert lieve_user.language == "nl"

    # The admin's item analysis: one row for the question, with both attempts, both right.
    AuthActions(None, session).create("admin@example.org", Role.ADMIN)
    admin = browser.new_context(base_url=live_server, locale="en-GB")
    page = admin.new_page()
    try:
        log_in(page, "admin@example.org")
        page.goto(f"/reports/quizzes/{QUIZ}")
        row = page.locator("tr", has=page.get_by_role("rowheader", name=re.compile("t01-best")))
        expect(row).to_have_count(1)
        expect(row.locator("td").nth(0)).to_have_text("2")
        expect(row.locator("td").nth(1)).to_have_text("100%")
        expect(row).not_to_contain_text("earlier version")
        page.screenshot(path=str(artifacts / "item-analysis-both-languages.png"), full_page=True)
    finally:
        admin.close()
