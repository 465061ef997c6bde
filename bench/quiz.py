"""Benchmark quiz submissions: grading and storing a 20-question attempt, and throughput.

1. Server time, in one process: `quizzes.submit` (grade and store one attempt, one write
   transaction) timed for fresh attempts of a generated 20-question quiz that mixes all eight
   question types, on SQLite and on PostgreSQL; also a repeated submission (the idempotent
   path) and the whole submission request through Flask's test client.
2. Throughput: the app served by gunicorn (2 sync workers, 127.0.0.1), loaded by 16 client
   threads, each its own learner, each looping start -> attempt page -> submit -> result page
   for a fixed time. Every unexpected status, exception or result page without the expected
   score is an error; afterwards the database must hold exactly the submissions the clients
   saw succeed.

Both submit the attempt form as a learner's browser does: every attempt has its own random
form values, so the bench reads them from the attempt page (html.parser), picking each
answer by its visible text, and posts them with `action=confirm` (`fill_form`). Filling the
form happens between the timed requests.

The figures are printed and written to docs/benchmarks.md between the quiz-bench markers.
Usage: python bench/quiz.py [--skip-postgres] [--no-doc] [--profile] (see --help).
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import io
import json
import math
import os
import pstats
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from importlib import metadata
from pathlib import Path
from typing import Any

import run
import startup

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DOC = ROOT / "docs" / "benchmarks.md"
RESULTS = BENCH / "results"
BEGIN, END = "<!-- quiz-bench:begin -->", "<!-- quiz-bench:end -->"
QUIZ_ID, MODULE, LESSON = "bench-quiz", "quiz-bench", "check"
LESSON_PATH = f"/modules/{MODULE}/{LESSON}"
PASSWORD = run.PASSWORD
USER_AGENT = run.USER_AGENT
TARGET_MS = 20.0  # median server time per 20-question submission on SQLite
REFLECTION = "I will open the next team meeting with a short check-in round for everyone."


# -- the generated course ---------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """One question of the generated quiz: its fence, the bench's response and its score.

    `labels` is each answer's visible text by answer id (the left sides, for matching) and
    `right_labels` a matching question's right sides: what a learner reads on the page.
    """

    qid: str
    type: str
    fence: str
    response: Any  # as the quiz service takes it (see quizzes.submit), in answer ids
    score: float | None  # what that response must score, 0 to 1 (None: not scored)
    points: float = 1.0
    labels: dict[str, str] = field(default_factory=dict)
    right_labels: dict[str, str] = field(default_factory=dict)


ANSWER_LINE = re.compile(r"^(?:- \[[ xX]\]|\d+\.) (.+)$", re.MULTILINE)


def _labels(body: str) -> dict[str, str]:
    """The answers' text by answer id (a, b, ... in the order written) from a fence's list."""
    return {chr(ord("a") + i): text for i, text in enumerate(ANSWER_LINE.findall(body))}


def _single(qid: str, pick: str) -> Spec:
    body = """Which description fits **co-creation** best?

- [ ] The manager decides alone, then explains the decision.
  > That is informing: people hear the outcome but do not shape it.
- [x] The people involved shape the question, the process and the result.
  > Yes: shared influence over problem, process and outcome.
- [ ] An expert team decides for everyone.
  > Experts alone are not the people affected.
- [ ] Nobody decides; the group waits for consensus.

> Co-creation shares influence over the problem, the process and the outcome."""
    score = 1.0 if pick == "b" else 0.0
    return Spec(qid, "single-choice", body, pick, score, labels=_labels(body))


def _multiple(qid: str, picks: list[str]) -> Spec:
    body = """Which of these are Liberating Structures? Choose all that apply.

- [x] 1-2-4-All
  > Right: alone, in pairs, in fours, then the whole group.
- [x] Troika Consulting
- [ ] Status report
  > A status report informs; nobody shapes anything.
- [ ] Steering committee

> Both structures spread the conversation over everyone present."""
    right, wrong = sum(p in "ab" for p in picks), sum(p in "cd" for p in picks)
    score = max(0.0, (right - wrong) / 2)
    return Spec(qid, "multiple-choice", body, picks, score, labels=_labels(body))


def _true_false(qid: str, true_is_right: bool) -> Spec:
    mark_t, mark_f = ("x", " ") if true_is_right else (" ", "x")
    body = f"""Co-creation needs everyone to agree with every decision.

- [{mark_t}] True
  > Co-creation shares influence; it does not need consensus.
- [{mark_f}] False
  > Right."""
    right = "a" if true_is_right else "b"
    return Spec(qid, "true-false", body, right, 1.0, labels=_labels(body))


def _short(qid: str, typed: str, score: float, points: float = 1.0) -> Spec:
    settings = f"---\npoints: {points:g}\npattern: 'check[- ]?in( round)?'\n---\n"
    body = f"""{settings}What do you call the round that *opens* a meeting?

- [x] check-in
  > Right.
- [ ] check-out
  > That one closes the meeting.

> A check-in gives every voice a place before the content starts."""
    return Spec(qid, "short-text", body, typed, score, points)


def _numeric(qid: str, typed: str, answer: str, tolerance: float = 0) -> Spec:
    settings = f"---\ntolerance: {tolerance:g}\n---\n" if tolerance else ""
    body = f"""{settings}How many minutes does a full round of 1-2-4-All take?

- [x] {answer}
  > Right: one, two, four and five minutes.
- [ ] 20..60
  > That is much longer than the structure needs."""
    return Spec(qid, "numeric", body, typed, 1.0)


def _ordering(qid: str, swap_first_two: bool) -> Spec:
    body = """Put the steps of 1-2-4-All in order.

1. Alone
   > Everyone starts alone.
2. In pairs
3. In foursomes
4. All together"""
    order = ["b", "a", "c", "d"] if swap_first_two else ["a", "b", "c", "d"]
    score = 0.5 if swap_first_two else 1.0
    return Spec(qid, "ordering", body, order, score, labels=_labels(body))


def _matching(qid: str, pairs: int) -> Spec:
    rows = [
        ("check-in", "arriving"),
        ("check-out", "closing"),
        ("1-2-4-All", "everyone's ideas"),
        ("Troika Consulting", "help from peers"),
    ][:pairs]
    body = "Match each round with its purpose.\n\n" + "\n".join(f"- {a} -> {b}" for a, b in rows)
    ids = [chr(ord("a") + i) for i in range(pairs)]
    lefts = {i: left for i, (left, _) in zip(ids, rows, strict=True)}
    rights = {i: right for i, (_, right) in zip(ids, rows, strict=True)}
    return Spec(qid, "matching", body, {i: i for i in ids}, 1.0, labels=lefts, right_labels=rights)


def _reflection(qid: str) -> Spec:
    body = "---\nmin_words: 5\n---\nWhat will you try at your next meeting?"
    return Spec(qid, "reflection", body, REFLECTION, None)


def quiz_specs() -> list[Spec]:
    """The 20 questions: every type, mostly right, some wrong or partly right (81.58%)."""
    return [
        _single("q01-single", "b"),
        _multiple("q02-multi", ["a", "b"]),
        _true_false("q03-tf", False),
        _short("q04-short", "Check In round", 1.0, points=2),  # accepted by the pattern
        _numeric("q05-number", "12,5", "12", tolerance=1),
        _ordering("q06-order", False),
        _matching("q07-match", 3),
        _reflection("q08-reflect"),
        _single("q09-single", "a"),  # wrong
        _multiple("q10-multi", ["a"]),  # half right
        _true_false("q11-tf", True),
        _short("q12-short", "  CHECK-IN ", 1.0),
        _numeric("q13-number", "42", "40..45"),
        _ordering("q14-order", True),  # half right
        _matching("q15-match", 4),
        _reflection("q16-reflect"),
        _single("q17-single", "b"),
        _multiple("q18-multi", ["a", "b", "c"]),  # one wrong: half right
        _short("q19-short", "check-out", 0.0),  # an anticipated mistake
        _numeric("q20-number", "42.25", "42 +- 0.5"),
    ]


def expected_percent(specs: list[Spec]) -> float:
    """The attempt's percent, computed the way quizzes._total does."""
    earned = sum((s.score or 0.0) * s.points for s in specs if s.score is not None)
    available = sum(s.points for s in specs if s.score is not None)
    return round(100 * earned / available, 2)


def write_course(root: Path, specs: list[Spec]) -> Path:
    """A course of one module holding the quiz lesson; return its folder."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "tracks.yml").write_text(
        "tracks:\n  - slug: bench\n    title: Bench\n    summary: A track with one quiz.\n",
        encoding="utf-8",
    )
    folder = root / MODULE
    folder.mkdir(exist_ok=True)
    (folder / "module.md").write_text(
        "---\ntitle: Quiz bench\ntrack: bench\norder: 1\nsummary: One long quiz.\n"
        "estimated_minutes: 20\n---\nA module generated by bench/quiz.py.\n",
        encoding="utf-8",
    )
    fences = "\n\n".join(f"```quiz {s.type} {s.qid}\n{s.fence}\n```" for s in specs)
    (folder / f"01-{LESSON}.md").write_text(
        f"---\ntitle: Twenty questions\nquiz:\n  id: {QUIZ_ID}\n  pass_mark: 50\n"
        f"  attempts: unlimited\n---\nAnswer all {len(specs)} questions.\n\n{fences}\n",
        encoding="utf-8",
    )
    return root


# -- filling the attempt form as a browser does -----------------------------------------------

# How a learner answers each type: the standard widget the attempt page shows for it.
WIDGETS = {
    "single-choice": "radio",
    "true-false": "radio",
    "multiple-choice": "checkbox",
    "short-text": "text",
    "numeric": "text",
    "reflection": "text",
    "ordering": "order",
    "matching": "match",
}


def _words(text: str) -> str:
    """Text as a reader sees it: whitespace runs shown as one space, none at the ends."""
    return " ".join(text.split())


@dataclass
class Control:
    """One form control of the attempt page, with its state as the learner leaves it."""

    tag: str  # input, textarea or select
    type: str  # the input's type ("textarea", "select" for the others)
    name: str
    id: str
    value: str = ""
    checked: bool = False
    disabled: bool = False
    options: list[list[Any]] = field(default_factory=list)  # [value, text, selected]


class AttemptPage(HTMLParser):
    """The quiz form of an attempt page (`form#quiz-form`): its controls in document order,
    grouped by question (`fieldset.question`), and the text of every label, by the id it
    labels. Text hidden from sight (`.visually-hidden`) is left out of the labels."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.controls: list[Control] = []
        self.questions: list[list[Control]] = []
        self.labels: dict[str, str] = {}
        self._in_form = False
        self._in_question = False
        self._label: tuple[str, list[str]] | None = None
        self._hidden: tuple[str, int] | None = None  # the hiding tag and its depth
        self._text: Control | None = None  # the textarea being read
        self._select: Control | None = None
        self._option: list[Any] | None = None

    @classmethod
    def read(cls, html: str) -> AttemptPage:
        page = cls()
        page.feed(html)
        page.close()
        if not page.controls:
            raise ValueError("the attempt page has no quiz form")
        return page

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if self._hidden and tag == self._hidden[0]:
            self._hidden = (tag, self._hidden[1] + 1)
        elif self._label and "visually-hidden" in a.get("class", "").split():
            self._hidden = (tag, 1)
        if tag == "form" and a.get("id") == "quiz-form":
            self._in_form = True
        if not self._in_form:
            return
        if tag == "fieldset" and "question" in a.get("class", "").split():
            self._in_question = True
            self.questions.append([])
        elif tag == "label":
            self._label = (a.get("for", ""), [])
        elif tag == "input":
            kind = a.get("type", "text").lower()
            self._add(
                Control("input", kind, a.get("name", ""), a.get("id", ""), a.get("value", ""))
            )
            self.controls[-1].checked = "checked" in a
            self.controls[-1].disabled = "disabled" in a
        elif tag == "textarea":
            self._text = self._add(
                Control("textarea", "textarea", a.get("name", ""), a.get("id", ""))
            )
            self._text.disabled = "disabled" in a
        elif tag == "select":
            self._select = self._add(
                Control("select", "select", a.get("name", ""), a.get("id", ""))
            )
            self._select.disabled = "disabled" in a
        elif tag == "option" and self._select is not None:
            self._option = [a.get("value"), "", "selected" in a]
            self._select.options.append(self._option)

    def handle_endtag(self, tag: str) -> None:
        if self._hidden and tag == self._hidden[0]:
            depth = self._hidden[1] - 1
            self._hidden = (tag, depth) if depth else None
        if tag == "form":
            self._in_form = False
        elif tag == "fieldset":
            self._in_question = False
        elif tag == "label" and self._label is not None:
            self.labels[self._label[0]] = _words("".join(self._label[1]))
            self._label = None
        elif tag == "textarea" and self._text is not None:
            # A browser drops the newline that directly follows <textarea>.
            text = self._text.value
            self._text.value = text[1:] if text.startswith("\n") else text
            self._text = None
        elif tag in ("option", "select"):
            self._option = None
            if tag == "select":
                self._select = None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.value += data
        elif self._option is not None:
            self._option[1] += data
        if self._label is not None and self._hidden is None:
            self._label[1].append(data)

    def _add(self, control: Control) -> Control:
        self.controls.append(control)
        if self._in_question:
            self.questions[-1].append(control)
        return control

    def labelled(self, controls: list[Control], text: str) -> Control:
        """The one control among `controls` whose label reads `text`."""
        found = [c for c in controls if c.id and self.labels.get(c.id) == _words(text)]
        if len(found) != 1:
            raise ValueError(f"{len(found)} controls labelled {text!r} on the attempt page")
        return found[0]

    def form_data(self) -> list[tuple[str, str]]:
        """What a browser sends for the form, in document order (buttons aside): checked
        boxes, text as typed and each select's chosen option (else its first)."""
        data = []
        for c in self.controls:
            if not c.name or c.disabled:
                continue
            if c.type == "select":
                chosen = [o for o in c.options if o[2]] or c.options[:1]
                data += [(c.name, _option_value(o)) for o in chosen[-1:]]
            elif c.type in ("radio", "checkbox"):
                if c.checked:
                    data.append((c.name, c.value or "on"))
            elif c.type not in ("submit", "button", "reset", "image", "file"):
                data.append((c.name, c.value))
        return data


def _option_value(option: list[Any]) -> str:
    """An option's value: its value attribute, else its text."""
    return option[0] if option[0] is not None else _words(option[1])


def _choose(select: Control, text: str) -> None:
    """Select the option that reads `text`."""
    found = [o for o in select.options if _words(o[1]) == _words(text)]
    if len(found) != 1:
        raise ValueError(f"{len(found)} options reading {text!r} in {select.name}")
    for option in select.options:
        option[2] = option is found[0]


def answer(page: AttemptPage, controls: list[Control], spec: Spec) -> None:
    """Give the bench's response to one question as a learner would: click the answers by
    their text, type the text, set each item's position or match by what it says."""
    widget = WIDGETS[spec.type]
    if widget == "radio":
        picked = page.labelled(controls, spec.labels[spec.response])
        for c in controls:
            if c.type == "radio" and c.name == picked.name:
                c.checked = c is picked
    elif widget == "checkbox":
        for aid in spec.response:
            page.labelled(controls, spec.labels[aid]).checked = True
    elif widget == "text":
        typed = [c for c in controls if c.type in ("text", "textarea")]
        if len(typed) != 1:
            raise ValueError(f"{len(typed)} text boxes for {spec.qid} on the attempt page")
        typed[0].value = spec.response
    elif widget == "order":
        for position, aid in enumerate(spec.response, start=1):
            _choose(page.labelled(controls, spec.labels[aid]), str(position))
    else:  # match
        for left, right in spec.response.items():
            _choose(page.labelled(controls, spec.labels[left]), spec.right_labels[right])


def fill_form(html: str, specs: list[Spec]) -> list[tuple[str, str]]:
    """The fields a learner's browser posts for the bench's responses on this attempt page
    (its CSRF token and the attempt's random values included), with `action=confirm`."""
    page = AttemptPage.read(html)
    if len(page.questions) != len(specs):
        raise ValueError(f"the attempt page shows {len(page.questions)} of {len(specs)} questions")
    for controls, spec in zip(page.questions, specs, strict=True):  # questions are not shuffled
        answer(page, controls, spec)
    return [*page.form_data(), ("action", "confirm")]


# -- figures ----------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share from 0 to 1)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def summary_ms(seconds: list[float]) -> dict[str, float]:
    """Median, p95, mean, min and max in milliseconds."""
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "median": statistics.median(ms),
        "p95": percentile(ms, 0.95),
        "mean": statistics.fmean(ms),
        "min": min(ms),
        "max": max(ms),
    }


# -- PostgreSQL -------------------------------------------------------------------------------


def pg_bin(wanted: str | None) -> Path | None:
    """The PostgreSQL bin folder: the one asked for, else Debian's newest."""
    if wanted:
        return Path(wanted)
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: [int(x) for x in re.findall(r"\d+", p.parent.name)] or [0],
    )
    return found[-1] if found else None


@contextmanager
def postgres_cluster(bin_dir: Path) -> Iterator[str]:
    """A throwaway cluster on 127.0.0.1 (fsync off, as in .ci/run); yield its database URL."""
    data = Path(tempfile.mkdtemp(prefix="cocourse-quiz-pg-"))
    port = run.free_port()
    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_pg:
        shutil.chown(data, "postgres")
    options = f"-c listen_addresses=127.0.0.1 -p {port} -c fsync=off -k {data}"
    ctl = [*as_pg, str(bin_dir / "pg_ctl"), "-D", str(data)]
    try:
        _quiet([*as_pg, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"])
        _quiet([*ctl, "-l", str(data / "server.log"), "-w", "-o", options, "start"])
        createdb = [str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port)]
        _quiet([*as_pg, *createdb, "-U", "postgres", "cocourse_bench"])
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/cocourse_bench"
    finally:
        subprocess.run(
            [*ctl, "-m", "fast", "-w", "stop"], capture_output=True, check=False, timeout=120
        )
        shutil.rmtree(data, ignore_errors=True)


def _quiet(cmd: list[str]) -> None:
    """Run a command; on failure show its output."""
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")


def server_version(url: str) -> str:
    """The database server's version ("SQLite 3.x" or "PostgreSQL 15.x")."""
    from sqlalchemy import text

    from cocourse.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                return "SQLite " + str(conn.scalar(text("select sqlite_version()")))
            return "PostgreSQL " + str(conn.scalar(text("show server_version"))).split()[0]
    finally:
        engine.dispose()


# -- the database and the app -----------------------------------------------------------------


def prepare(url: str, users: int, tag: str) -> list[tuple[int, str]]:
    """Migrate the database and create `users` learners; their (id, email)."""
    from sqlalchemy.orm import Session

    from cocourse import migrate
    from cocourse.accounts.services import create_user
    from cocourse.db import make_engine

    engine = make_engine(url)
    migrate.upgrade(engine)
    created = []
    with Session(engine) as session:
        for i in range(users):
            email = f"quiz-{tag}-{i}@example.org"
            created.append((create_user(session, email, f"Learner {i}", PASSWORD).id, email))
    engine.dispose()
    return created


def make_app(url: str, content: Path, instance: Path) -> Any:
    """The app as create_app builds it, on `url`, serving the generated course."""
    from cocourse import create_app

    return create_app(
        {
            "DATABASE_URL": url,
            "CONTENT_DIR": str(content),
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": secrets.token_urlsafe(48),
            "RATELIMIT_ENABLED": False,
        }
    )


# -- 1. server time in one process ------------------------------------------------------------


def time_service(url: str, content: Path, specs: list[Spec], args: argparse.Namespace) -> dict:
    """Time quizzes.submit for fresh attempts, a resubmission of each, and whole requests."""
    from cocourse.db import get_session
    from cocourse.models import QuizAttempt
    from cocourse.quiz import engine as quizzes

    tag = secrets.token_hex(4)
    users = [uid for uid, _ in prepare(url, args.users, tag)]
    with tempfile.TemporaryDirectory(prefix="cocourse-quiz-instance-") as instance:
        app = make_app(url, content, Path(instance))
        course = app.extensions["cocourse.course"].course
        module, lesson = course.quiz(QUIZ_ID)
        assert len(lesson.questions) == len(specs), "the generated quiz did not load fully"
        pm = app.extensions["cocourse.plugins"]
        types = app.extensions["cocourse.question_types"]
        responses = {s.qid: s.response for s in specs}
        want = expected_percent(specs)
        first: list[float] = []
        again: list[float] = []
        total = args.warmup_submissions + args.submissions
        for i in range(total):
            user_id = users[i % len(users)]
            with app.app_context():  # not timed: starting the attempt
                attempt_id = quizzes.start(get_session(), user_id, module, lesson).id
            with app.app_context():  # a new request, as the submit route runs it
                session = get_session()
                session.get(QuizAttempt, attempt_id)  # the route loads the attempt first
                t0 = time.perf_counter()
                attempt, graded = quizzes.submit(session, pm, attempt_id, user_id, responses, types)
                t1 = time.perf_counter()
                if not graded or attempt.percent != want:
                    raise RuntimeError(f"attempt {attempt_id}: {attempt.percent}% != {want}%")
            with app.app_context():  # a replayed submission, in its own request
                session = get_session()
                session.get(QuizAttempt, attempt_id)
                t2 = time.perf_counter()
                _, graded = quizzes.submit(session, pm, attempt_id, user_id, responses, types)
                t3 = time.perf_counter()
                if graded:
                    raise RuntimeError(f"attempt {attempt_id} was graded twice")
            if i >= args.warmup_submissions:
                first.append(t1 - t0)
                again.append(t3 - t2)
        result = {
            "submit": summary_ms(first),
            "resubmit": summary_ms(again),
            "request": time_requests(app, specs, args.requests, tag),
        }
        app.extensions["cocourse.engine"].dispose()
    return result


def time_requests(app: Any, specs: list[Spec], n: int, tag: str) -> dict:
    """One learner's cycles through Flask's test client: the whole submission POST (form,
    grading, storing, completion), and how the other pages grow with earlier attempts."""
    from cocourse.accounts.services import create_user
    from cocourse.db import get_session

    email = f"quiz-{tag}-client@example.org"
    with app.app_context():
        create_user(get_session(), email, "Test client", PASSWORD)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    login = {"email": email, "password": PASSWORD, "csrf_token": csrf_of(page)}
    if client.post("/login", data=login).status_code != 302:
        raise RuntimeError("test client: login failed")
    token = csrf_of(client.get(LESSON_PATH).get_data(as_text=True))
    want = f"{expected_percent(specs):g}%"
    cycles: list[dict[str, float]] = []
    for _ in range(n + 10):  # the first 10 warm up
        t0 = time.perf_counter()
        response = client.post(f"/quiz/{QUIZ_ID}/start", data={"csrf_token": token})
        path = urllib.parse.urlsplit(response.headers.get("Location", "")).path
        t1 = time.perf_counter()
        page = client.get(path).get_data(as_text=True)
        t2 = time.perf_counter()
        token = csrf_of(page)
        fields = _multidict(fill_form(page, specs))  # not timed: the learner answers
        t2a = time.perf_counter()
        response = client.post(path, data=fields)
        t3 = time.perf_counter()
        if response.status_code != 302 or not response.headers["Location"].endswith("/result"):
            raise RuntimeError(f"test client: submission answered {response.status_code}")
        body = client.get(path + "/result").get_data(as_text=True)
        t4 = time.perf_counter()
        if want not in body or "Passed" not in body:
            raise RuntimeError(f"test client: the result page does not show {want} and Passed")
        client.get(LESSON_PATH)
        t5 = time.perf_counter()
        times = {"start": t1 - t0, "page": t2 - t1, "submit": t3 - t2a}
        cycles.append(times | {"result": t4 - t3, "lesson": t5 - t4})
    measured = cycles[10:]
    early, late = cycles[1:11], cycles[-10:]
    return {
        "submit": summary_ms([c["submit"] for c in measured]),
        "early_attempts": [1, 10],
        "late_attempts": [len(cycles) - 10, len(cycles) - 1],
        "early_ms": {k: 1000 * statistics.median(c[k] for c in early) for k in cycles[0]},
        "late_ms": {k: 1000 * statistics.median(c[k] for c in late) for k in cycles[0]},
    }


def _multidict(pairs: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    """Form pairs as the test client takes them: repeated names become lists."""
    out: dict[str, list[str]] = {}
    for name, value in pairs:
        out.setdefault(name, []).append(value)
    return {k: v[0] if len(v) == 1 else v for k, v in out.items()}


def profile_submit(content: Path, specs: list[Spec], n: int, top: int) -> str:
    """cProfile of quizzes.submit on SQLite over `n` fresh attempts; the report as text."""
    from cocourse.db import get_session
    from cocourse.models import QuizAttempt
    from cocourse.quiz import engine as quizzes

    with tempfile.TemporaryDirectory(prefix="cocourse-quiz-profile-") as tmp:
        url = f"sqlite:///{tmp}/profile.sqlite3"
        user_id = prepare(url, 1, "profile")[0][0]
        app = make_app(url, content, Path(tmp) / "instance")
        module, lesson = app.extensions["cocourse.course"].course.quiz(QUIZ_ID)
        pm = app.extensions["cocourse.plugins"]
        types = app.extensions["cocourse.question_types"]
        responses = {s.qid: s.response for s in specs}
        profiler = cProfile.Profile()
        for i in range(n + 10):
            with app.app_context():
                attempt_id = quizzes.start(get_session(), user_id, module, lesson).id
            with app.app_context():
                session = get_session()
                session.get(QuizAttempt, attempt_id)
                if i >= 10:
                    profiler.enable()
                quizzes.submit(session, pm, attempt_id, user_id, responses, types)
                profiler.disable()
        app.extensions["cocourse.engine"].dispose()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    out.write(f"== quizzes.submit x {n}, cumulative time\n")
    stats.sort_stats("cumulative").print_stats(top)
    out.write(f"== quizzes.submit x {n}, own time\n")
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


# -- 2. throughput under gunicorn -------------------------------------------------------------

CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
ATTEMPT_PATH = re.compile(r"^/quiz/attempts/(\d+)$")


def csrf_of(html: str) -> str:
    """The first CSRF token on a page."""
    match = CSRF.search(html)
    if not match:
        raise ValueError("no csrf_token on the page")
    return match.group(1)


class ClientError(Exception):
    """A response the bench did not expect; the cycle stops there."""


class Client:
    """One learner's browser: new connection per request, cookies kept, no redirects followed."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, fields: list[tuple[str, str]] | None = None
    ) -> tuple[int, str, str]:
        """Send one request; return status, Location path and body."""
        headers = {"User-Agent": USER_AGENT}
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode()
            for header in response.msg.get_all("Set-Cookie") or []:
                self._keep(header)
            location = urllib.parse.urlsplit(response.getheader("Location") or "").path
            return response.status, location, text
        finally:
            conn.close()

    def _keep(self, header: str) -> None:
        name, _, rest = header.partition("=")
        value, _, attrs = rest.partition(";")
        attrs = attrs.lower()
        if "max-age=0" in attrs or "expires=thu, 01 jan 1970" in attrs:
            self.cookies.pop(name.strip(), None)
        else:
            self.cookies[name.strip()] = value.strip()

    def login(self, email: str) -> str:
        """Log in through the form; return a CSRF token of the session."""
        status, _, page = self.request("GET", "/login")
        token = csrf_of(page)
        form = [("email", email), ("password", PASSWORD), ("csrf_token", token)]
        status, location, _ = self.request("POST", "/login", form)
        if status != 302 or "session" not in self.cookies or location.endswith("/login"):
            raise ClientError(f"login of {email} failed: {status} -> {location}")
        status, _, page = self.request("GET", LESSON_PATH)
        if status != 200 or f"/quiz/{QUIZ_ID}/start" not in page:
            raise ClientError(f"{LESSON_PATH} has no start button for {email} ({status})")
        return csrf_of(page)


@dataclass
class Load:
    """What one client thread saw: (kind, end time, seconds) per good request, and errors."""

    requests: list[tuple[str, float, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    submitted: int = 0  # submissions answered with the redirect to the result, in any phase


@dataclass(frozen=True)
class Plan:
    """The shared schedule, the responses every cycle gives and the score it expects."""

    specs: list[Spec]
    percent: float
    warm_until: float
    stop_at: float
    max_cycles: int


def cycle(client: Client, token: str, plan: Plan, load: Load) -> str:
    """Start an attempt, open it, submit it, read the result; return a fresh CSRF token."""

    def timed(kind: str, method: str, path: str, data: list[tuple[str, str]] | None = None):
        t0 = time.perf_counter()
        status, location, body = client.request(method, path, data)
        t1 = time.perf_counter()
        load.requests.append((kind, t1, t1 - t0))
        return status, location, body

    status, location, _ = timed("start", "POST", f"/quiz/{QUIZ_ID}/start", [("csrf_token", token)])
    if status != 302 or not ATTEMPT_PATH.match(location):
        raise ClientError(f"start: {status} -> {location or 'no redirect'}")
    attempt = location
    status, _, page = timed("page", "GET", attempt)
    if status != 200:
        raise ClientError(f"attempt page: {status}")
    token = csrf_of(page)
    try:  # between the timed requests, as a browser fills the form
        fields = fill_form(page, plan.specs)
    except ValueError as exc:
        raise ClientError(f"attempt page: {exc}") from exc
    status, location, _ = timed("submit", "POST", attempt, fields)
    if status != 302 or location != attempt + "/result":
        raise ClientError(f"submit: {status} -> {location or 'no redirect'}")
    load.submitted += 1
    status, _, body = timed("result", "GET", location)
    if status != 200:
        raise ClientError(f"result page: {status}")
    if f"{plan.percent:g}%" not in body or "Passed" not in body:
        raise ClientError(f"result page does not show {plan.percent:g}% and Passed")
    return token


def client_thread(
    client: Client, token: str, plan: Plan, load: Load, barrier: threading.Barrier
) -> None:
    """Loop cycles until the stop time or the cycle cap; record every error and go on."""
    barrier.wait()
    cycles = 0
    while time.perf_counter() < plan.stop_at and cycles < plan.max_cycles:
        cycles += 1
        try:
            token = cycle(client, token, plan, load)
        except ClientError as exc:
            load.errors.append(str(exc))
        except Exception as exc:  # noqa: BLE001 - every failure is counted, the load goes on
            load.errors.append(f"{type(exc).__name__}: {exc}")


@contextmanager
def gunicorn(env: dict[str, str], workers: int) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Serve cocourse with gunicorn sync workers on 127.0.0.1; yield its URL and process."""
    port = run.free_port()
    cmd = [sys.executable, "-m", "gunicorn", "--workers", str(workers)]
    cmd += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--no-control-socket"]
    proc = subprocess.Popen([*cmd, "cocourse:create_app()"], env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        run.wait_ready(url, proc)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def worker_cpu(master: int) -> dict[int, float]:
    """CPU seconds (user + system) used so far by each gunicorn worker, by pid."""
    tick = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{master}/task/{master}/children")
    pids = [int(p) for p in children.read_text().split()] if children.exists() else []
    cpu = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        cpu[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return cpu


def throughput(url: str, content: Path, specs: list[Spec], args: argparse.Namespace) -> dict:
    """Serve the app with gunicorn and load it with `args.clients` learners at once."""
    tag = secrets.token_hex(4)
    learners = prepare(url, args.clients, tag)
    with tempfile.TemporaryDirectory(prefix="cocourse-quiz-serve-") as instance:
        env = startup.clean_env(content, url)
        env.update(COCOURSE_INSTANCE_PATH=instance, COCOURSE_RATELIMIT_ENABLED="false")
        with gunicorn(env, args.workers) as (base, proc):
            port = urllib.parse.urlsplit(base).port or 80
            clients = [Client("127.0.0.1", port, args.timeout) for _ in learners]
            tokens = [c.login(email) for c, (_, email) in zip(clients, learners, strict=True)]
            start = time.perf_counter() + 0.5
            plan = Plan(
                specs=specs,
                percent=expected_percent(specs),
                warm_until=start + args.warmup,
                stop_at=start + args.warmup + args.duration,
                max_cycles=args.max_cycles,
            )
            loads = [Load() for _ in clients]
            barrier = threading.Barrier(len(clients) + 1)
            threads = [
                threading.Thread(target=client_thread, args=(c, t, plan, ld, barrier))
                for c, t, ld in zip(clients, tokens, loads, strict=True)
            ]
            for thread in threads:
                thread.start()
            barrier.wait()
            _sleep_until(plan.warm_until)
            cpu0, client0 = worker_cpu(proc.pid), time.process_time()
            _sleep_until(plan.stop_at)
            cpu1, client1 = worker_cpu(proc.pid), time.process_time()
            for thread in threads:
                thread.join(timeout=args.timeout * 4 + 30)
            hung = sum(thread.is_alive() for thread in threads)
            restarted = sorted(set(cpu0) ^ set(worker_cpu(proc.pid)))
            served = proc.poll() is None
        stored = check_database(url, [uid for uid, _ in learners], plan.percent)
    return summarize_load(loads, plan, args, cpu0, cpu1, client1 - client0) | {
        "stored": stored,
        "hung_clients": hung,
        "workers_restarted": len(restarted),
        "server_alive": served,
    }


def _sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.perf_counter()))


def summarize_load(
    loads: list[Load],
    plan: Plan,
    args: argparse.Namespace,
    cpu0: dict[int, float],
    cpu1: dict[int, float],
    client_cpu: float,
) -> dict:
    """Rates and latencies inside the measured window; errors and submissions over the run."""
    window = plan.stop_at - plan.warm_until

    def inside(kind: str) -> list[float]:
        return [
            s
            for ld in loads
            for k, end, s in ld.requests
            if k == kind and plan.warm_until <= end <= plan.stop_at
        ]

    errors = [e for ld in loads for e in ld.errors]
    submits, results = inside("submit"), inside("result")
    middle = plan.warm_until + window / 2
    first_half = sum(
        1
        for ld in loads
        for k, end, _ in ld.requests
        if k == "submit" and plan.warm_until <= end < middle
    )
    server_cpu = sum(cpu1.get(pid, 0.0) - before for pid, before in cpu0.items())
    return {
        "clients": len(loads),
        "workers": args.workers,
        "warmup_s": args.warmup,
        "duration_s": args.duration,
        "submissions_per_s": len(submits) / window,
        "cycles_per_s": len(results) / window,
        "submissions_per_s_halves": [
            first_half / (window / 2),
            (len(submits) - first_half) / (window / 2),
        ],
        "submissions_in_window": len(submits),
        "submissions_total": sum(ld.submitted for ld in loads),
        "latency_ms": {
            kind: summary_ms(inside(kind)) if inside(kind) else None
            for kind in ("start", "page", "submit", "result")
        },
        "errors": len(errors),
        "error_kinds": _count(errors),
        "server_cpu_ms_per_cycle": 1000 * server_cpu / max(1, len(results)),
        "server_cpu_share": server_cpu / window / (os.cpu_count() or 1),
        "client_cpu_share": client_cpu / window / (os.cpu_count() or 1),
    }


def _count(errors: list[str]) -> dict[str, int]:
    """Errors grouped by message, without attempt numbers; the 10 most common."""
    counts: dict[str, int] = {}
    for error in errors:
        key = re.sub(r"\d+", "N", error)[:200]
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1])[:10])


def check_database(url: str, user_ids: list[int], percent: float) -> dict[str, int]:
    """What the load left in the database: submitted, open and wrongly scored attempts."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from cocourse.db import make_engine
    from cocourse.models import QuizAttempt

    engine = make_engine(url)
    mine = QuizAttempt.user_id.in_(user_ids)
    done = QuizAttempt.submitted_at.is_not(None)
    with Session(engine) as session:

        def count(*where: Any) -> int:
            query = select(func.count()).select_from(QuizAttempt).where(mine, *where)
            return int(session.scalar(query) or 0)

        result = {
            "submitted": count(done),
            "open": count(QuizAttempt.submitted_at.is_(None)),
            "wrong_score": count(done, QuizAttempt.percent != percent),
        }
    engine.dispose()
    return result


# -- the report -------------------------------------------------------------------------------


def versions(urls: dict[str, str]) -> dict[str, str]:
    """Machine and software, with the database servers used."""
    info = run.machine()
    info["sqlalchemy"] = metadata.version("sqlalchemy")
    for name, url in urls.items():
        info[name] = server_version(url)
    return info


def _ms(s: dict | None) -> str:
    if not s:
        return "n/a"
    return f"median {s['median']:.1f} ms, p95 {s['p95']:.1f} ms (n = {s['n']})"


def _span(pair: list[int]) -> str:
    return f"{pair[0]}-{pair[1]}"


def _growth(r: dict) -> str:
    early, late = r["early_ms"], r["late_ms"]
    return ", ".join(f"{k} {early[k]:.1f} -> {late[k]:.1f} ms" for k in early)


def _loads(values: list[float]) -> str:
    return ", ".join(f"{x:.2f}" for x in values)


def section(result: dict, args: argparse.Namespace) -> str:
    """The generated part of docs/benchmarks.md: a table of figures and how to rerun."""
    m, row = result["machine"], run.row
    dbs = [db for db in ("sqlite", "postgresql") if db in result["service"]]
    software = f"Python {m['python']}, SQLAlchemy {m['sqlalchemy']}, gunicorn {m['gunicorn']}"
    software += "".join(f", {m[db]}" for db in dbs)
    q = result["quiz"]
    lines = [
        "| Measure | Result | Target | |",
        "|---|---|---|---|",
        row("Date", result["date"]),
        row("Machine", f"{m['cores']} cores, {m['cpu']}"),
        row("Load average when the run began (1, 5, 15 min)", _loads(result["load_average"])),
        row("Software", software),
        row("Quiz", f"{q['questions']} questions, all 8 types ({q['types']}); {q['percent']:g}%"),
    ]
    for db in dbs:
        s = result["service"][db]
        name = "SQLite" if db == "sqlite" else "PostgreSQL (fsync off)"
        median = s["submit"]["median"]
        if db == "sqlite":
            target, ok = f"median < {TARGET_MS:g} ms", median < TARGET_MS
        else:
            target, ok = "", None
        lines += [
            row(f"{name}: grade and store (`quizzes.submit`)", _ms(s["submit"]), target, ok),
            row(f"{name}: resubmission (stored result returned)", _ms(s["resubmit"])),
            row(f"{name}: whole submit request (test client)", _ms(s["request"]["submit"])),
            row(
                f"{name}: each request of a cycle with {_span(s['request']['early_attempts'])} "
                f"and {_span(s['request']['late_attempts'])} earlier attempts (test client, "
                "median)",
                _growth(s["request"]),
            ),
        ]
    for db, load in result.get("http", {}).items():
        name = "SQLite" if db == "sqlite" else "PostgreSQL (fsync off)"
        setup = f"gunicorn {load['workers']} sync workers, {load['clients']} clients"
        lat = load["latency_ms"]
        errors = load["errors"]
        stored = load["stored"]
        halves = load["submissions_per_s_halves"]
        consistent = (
            stored["submitted"] == load["submissions_total"]
            and stored["open"] == 0
            and stored["wrong_score"] == 0
        )
        lines += [
            row(
                f"{name}: throughput ({setup}, {load['duration_s']} s after "
                f"{load['warmup_s']} s warm-up)",
                f"{load['submissions_per_s']:.1f} submissions/s "
                f"({load['cycles_per_s']:.1f} full cycles/s)",
            ),
            row(
                f"{name}: submissions/s in the first and second half; attempts per learner at "
                "the end",
                f"{halves[0]:.1f} and {halves[1]:.1f}; {stored['submitted'] / load['clients']:.0f}",
            ),
            row(f"{name}: submit POST latency under load", _ms(lat["submit"])),
            row(
                f"{name}: other requests under load (median)",
                ", ".join(f"{k} {lat[k]['median']:.0f} ms" for k in ("start", "page", "result")),
            ),
            row(
                f"{name}: server CPU per cycle; CPU used by workers / clients",
                f"{load['server_cpu_ms_per_cycle']:.1f} ms; "
                f"{load['server_cpu_share']:.0%} / {load['client_cpu_share']:.0%} of the machine",
            ),
            row(f"{name}: errors under load", str(errors), "0", errors == 0),
            row(
                f"{name}: stored attempts match the clients' submissions",
                f"{stored['submitted']} stored, {load['submissions_total']} seen, "
                f"{stored['open']} open, {stored['wrong_score']} wrongly scored",
                "equal, 0, 0",
                consistent,
            ),
        ]
    rerun = (
        "**Rerun:** `python bench/quiz.py` in a venv with the project installed (PostgreSQL's "
        "`initdb` under `/usr/lib/postgresql/*/bin`, or `DATABASE_URL` pointing to a PostgreSQL "
        "database it may write to). Options: `--submissions`, `--clients`, `--duration`, "
        "`--warmup`, `--skip-postgres`, `--skip-http-postgres`, `--profile`, `--no-doc`. "
        "The figures are also kept in `bench/results/quiz-latest.json` (not committed)."
    )
    return "\n".join([BEGIN, "", *lines, "", rerun, "", END])


def main() -> None:
    """Command line: measure, print the figures and update docs/benchmarks.md."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--submissions", type=int, default=300, help="timed submit calls per db")
    parser.add_argument("--warmup-submissions", type=int, default=20)
    parser.add_argument("--users", type=int, default=20, help="learners sharing those attempts")
    parser.add_argument(
        "--requests", type=int, default=100, help="test-client cycles of one learner"
    )
    parser.add_argument("--clients", type=int, default=16, help="concurrent HTTP clients")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--duration", type=float, default=20, help="measured seconds of load")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of load before that")
    parser.add_argument("--max-cycles", type=int, default=2000, help="cap on cycles per client")
    parser.add_argument("--timeout", type=float, default=20, help="seconds per HTTP request")
    parser.add_argument("--skip-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--skip-http-postgres", action="store_true", help="no load on PostgreSQL")
    parser.add_argument("--skip-http", action="store_true", help="no gunicorn load at all")
    parser.add_argument("--pg-bin", help="PostgreSQL bin folder (default: Debian's newest)")
    parser.add_argument("--profile", action="store_true", help="cProfile quizzes.submit too")
    parser.add_argument("--no-doc", action="store_true", help="do not touch docs/benchmarks.md")
    args = parser.parse_args()
    specs = quiz_specs()
    result: dict = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "quiz": {
            "questions": len(specs),
            "types": len({s.type for s in specs}),
            "percent": expected_percent(specs),
        },
        "service": {},
        "http": {},
    }
    result["quiz"]["types"] = ", ".join(
        f"{t} x{sum(s.type == t for s in specs)}" for t in dict.fromkeys(s.type for s in specs)
    )
    with tempfile.TemporaryDirectory(prefix="cocourse-quiz-") as tmp:
        content = write_course(Path(tmp) / "modules", specs)
        urls = {"sqlite": f"sqlite:///{tmp}/service.sqlite3"}
        print("grading and storing on SQLite...", flush=True)
        result["service"]["sqlite"] = time_service(urls["sqlite"], content, specs, args)
        print(f"  {_ms(result['service']['sqlite']['submit'])}", flush=True)
        if not args.skip_http:
            print("throughput on SQLite under gunicorn...", flush=True)
            http_url = f"sqlite:///{tmp}/http.sqlite3"
            result["http"]["sqlite"] = throughput(http_url, content, specs, args)
            _print_load(result["http"]["sqlite"])
        if not args.skip_postgres:
            with _postgres(args) as pg_url:
                urls["postgresql"] = pg_url
                print("grading and storing on PostgreSQL...", flush=True)
                result["service"]["postgresql"] = time_service(pg_url, content, specs, args)
                print(f"  {_ms(result['service']['postgresql']['submit'])}", flush=True)
                if not (args.skip_http or args.skip_http_postgres):
                    print("throughput on PostgreSQL under gunicorn...", flush=True)
                    result["http"]["postgresql"] = throughput(pg_url, content, specs, args)
                    _print_load(result["http"]["postgresql"])
                result["machine"] = versions(urls)
        else:
            result["machine"] = versions(urls)
        if args.profile or result["service"]["sqlite"]["submit"]["median"] >= TARGET_MS:
            print("profiling quizzes.submit on SQLite...", flush=True)
            report = profile_submit(content, specs, args.submissions, 30)
            RESULTS.mkdir(exist_ok=True)
            (RESULTS / "quiz-profile.txt").write_text(report, encoding="utf-8")
            print(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "quiz-latest.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result, indent=2))
    if not args.no_doc:
        run.write_doc(section(result, args), BEGIN, END, "## Quiz submissions\n\n")
        print(f"updated {DOC.relative_to(ROOT)}")


@contextmanager
def _postgres(args: argparse.Namespace) -> Iterator[str]:
    """DATABASE_URL if it names PostgreSQL, else a throwaway cluster."""
    given = os.environ.get("DATABASE_URL", "")
    if given.startswith("postgresql"):
        yield given
        return
    bin_dir = pg_bin(args.pg_bin)
    if bin_dir is None or not (bin_dir / "initdb").exists():
        sys.exit("no PostgreSQL binaries found: pass --pg-bin, set DATABASE_URL or --skip-postgres")
    with postgres_cluster(bin_dir) as url:
        yield url


def _print_load(load: dict) -> None:
    rate, submit = load["submissions_per_s"], _ms(load["latency_ms"]["submit"])
    print(f"  {rate:.1f} submissions/s, submit {submit}", flush=True)
    print(f"  errors {load['errors']} {load['error_kinds']}, stored {load['stored']}", flush=True)


if __name__ == "__main__":
    main()
