"""Simulated learners for `bench/load.py` (run by locust, one user per learner).

Each user logs in as its own synthetic learner (`LOAD_EMAILS`, `LOAD_PASSWORD`), then, with
one to three seconds between tasks, browses the catalog and the dashboard, reads lessons of
the first module (`LOAD_LESSONS`), and takes its quiz (`LOAD_QUIZ`): start, the attempt
page, a saved draft, the submission, the result. Answers are picked at random from the
attempt form, as a hurried learner would. A page that is not the page asked for (a redirect
to the login form, an error, a result without a score) counts as a failure.
"""

from __future__ import annotations

import json
import os
import random
import re
import sys
from itertools import count
from pathlib import Path

from locust import HttpUser, between, task

sys.path.insert(0, str(Path(__file__).resolve().parent))

from quiz import AttemptPage  # noqa: E402 - the bench's own form reader

# Long enough for a reflection (at least 25 words), and an answer to a short-text question.
WRITTEN = (
    "In our team we tried a check-in round before the planning meeting, and the people who "
    "usually stay quiet spoke first; next time I want to let the group set the agenda itself."
)
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
EMAILS = json.loads(os.environ["LOAD_EMAILS"])
PASSWORD = os.environ["LOAD_PASSWORD"]
LESSONS: list[str] = json.loads(os.environ["LOAD_LESSONS"])
QUIZ_ID, QUIZ_LESSON = json.loads(os.environ["LOAD_QUIZ"])
NEXT = count()
SIGNED_IN = "Log out"


def random_answers(html: str) -> list[tuple[str, str]]:
    """What a learner who clicks an answer for every question sends: one radio of each
    group, one checkbox of each question, some text, a choice in every select."""
    page = AttemptPage.read(html)
    for controls in page.questions:
        radios = [c for c in controls if c.type == "radio"]
        if radios:
            random.choice(radios).checked = True
        boxes = [c for c in controls if c.type == "checkbox"]
        if boxes:
            random.choice(boxes).checked = True
        for control in controls:
            if control.type in ("text", "textarea", "number") and control.name:
                control.value = WRITTEN
        # Positions and matches: each select of a question gets a different choice.
        selects = [c for c in controls if c.type == "select" and len(c.options) > 1]
        if selects:
            picks = random.sample(range(1, len(selects[0].options)), k=len(selects))
            for select, pick in zip(selects, picks, strict=True):
                for number, option in enumerate(select.options):
                    option[2] = number == pick
    return page.form_data()


class Learner(HttpUser):
    wait_time = between(1, 3)

    def on_start(self) -> None:
        if os.environ.get("LOAD_CA"):
            self.client.verify = os.environ["LOAD_CA"]  # the stack's self-signed certificate
        email = EMAILS[next(NEXT) % len(EMAILS)]
        form = self.client.get("/login", name="/login")
        token = CSRF.search(form.text)
        with self.client.post(
            "/login",
            data={"email": email, "password": PASSWORD, "csrf_token": token[1] if token else ""},
            headers={"Referer": form.url},
            allow_redirects=False,
            catch_response=True,
            name="/login POST",
        ) as answer:
            if answer.status_code != 302:
                answer.failure(f"login answered {answer.status_code}")

    def page(self, path: str, name: str, must: str = SIGNED_IN) -> str:
        """GET a page that must be the page itself, signed in."""
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as answer:
            if answer.status_code != 200 or must not in answer.text:
                answer.failure(f"{answer.status_code}, not the page")
            return answer.text

    def post(self, path: str, data: list[tuple[str, str]], name: str, referer: str) -> str:
        """POST a form that must answer with a redirect; where it points."""
        with self.client.post(
            path,
            data=data,
            name=name,
            headers={"Referer": self.host + referer},
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code != 302:
                answer.failure(f"{answer.status_code}, not a redirect")
                return ""
            return answer.headers.get("Location", "")

    @task(2)
    def catalog(self) -> None:
        self.page("/", "/ (catalog)")

    @task(2)
    def dashboard(self) -> None:
        self.page("/dashboard", "/dashboard")

    @task(5)
    def lesson(self) -> None:
        self.page(random.choice(LESSONS), "/modules/[module]/[lesson]")

    @task(1)
    def quiz(self) -> None:
        lesson = self.page(QUIZ_LESSON, "/modules/[module]/[lesson]")
        token = CSRF.search(lesson)
        if token is None:
            return
        where = self.post(
            f"/quiz/{QUIZ_ID}/start", [("csrf_token", token[1])], "/quiz/[id]/start", QUIZ_LESSON
        )
        attempt = where.split("?")[0].rsplit("/", 1)[-1]
        if not attempt.isdigit():
            return
        path = f"/quiz/attempts/{attempt}"
        html = self.page(path, "/quiz/attempts/[id]")
        try:
            answers = random_answers(html)
        except ValueError:
            return  # the failure was counted by `page`
        self.post(f"{path}/save", answers, "/quiz/attempts/[id]/save (draft)", path)
        result = self.post(
            path, [*answers, ("action", "confirm")], "/quiz/attempts/[id] submit", path
        )
        if result.endswith("/result"):
            self.page(f"{path}/result", "/quiz/attempts/[id]/result", must='class="score"')
