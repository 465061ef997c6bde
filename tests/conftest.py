"""Fixtures in the Flask tutorial's style, on SQLite by default or PostgreSQL via DATABASE_URL."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from cocourse import create_app, migrate
from cocourse.accounts.services import create_user
from cocourse.db import make_engine
from cocourse.models import Base, QuizAttempt, Role

FIXTURES = Path(__file__).parent / "fixtures"
COURSE = FIXTURES / "course"
PASSWORD = "a long enough password"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def run_concurrently(app: Flask, count: int, work: Callable[[int], object]) -> list[BaseException]:
    """Run work(0..count-1) in threads released at once, each in an app context; the errors."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                work(i)
            except BaseException as exc:  # noqa: BLE001 - returned to the test
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def page_in(client: FlaskClient, path: str, language: str, status: int = 200) -> str:
    """A page asked for in `language` (Accept-Language), which must say so in <html lang>."""
    response = client.get(path, headers={"Accept-Language": language})
    assert response.status_code == status, path
    html = response.get_data(as_text=True)
    assert f'<html lang="{language}">' in html, path
    return html


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database for the whole run: PostgreSQL if DATABASE_URL is set, else SQLite."""
    url = os.environ.get("DATABASE_URL") or (
        f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    )
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(engine)
    engine.dispose()
    yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the test database, emptied before each test."""
    engine = make_engine(database_url)
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            quoted = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())
    yield engine
    engine.dispose()


_APPS: list[Flask] = []


def track(app: Flask) -> Flask:
    """Remember an app so its connection pool is closed after the test."""
    _APPS.append(app)
    return app


@pytest.fixture(autouse=True)
def _dispose_apps() -> Iterator[None]:
    yield
    while _APPS:
        _APPS.pop().extensions["cocourse.engine"].dispose()


def make_app(database_url: str, tmp_path: Path, **overrides: Any) -> Flask:
    """An app on the test database with a private instance folder."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production-use-0123456789",
        "DATABASE_URL": database_url,
        "CONTENT_DIR": str(COURSE),
        "RATELIMIT_ENABLED": False,
        "INSTANCE_PATH": str(tmp_path / "instance"),
    }
    config.update(overrides)
    return track(create_app(config))


@pytest.fixture
def app(engine: Engine, database_url: str, tmp_path: Path) -> Flask:
    """The app, serving the fixture course."""
    return make_app(database_url, tmp_path)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A CLI runner."""
    return app.test_cli_runner()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the test database, for arranging and checking data."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


def git(folder: Path, *args: str) -> str:
    """Run git in `folder`; its output."""
    done = subprocess.run(  # noqa: S603 - our own arguments
        ["git", "-C", str(folder), *args], capture_output=True, text=True, check=True, timeout=30
    )
    return done.stdout


@pytest.fixture
def repo(course_copy: Path) -> Path:
    """The fixture course copied into a git repository with one commit."""
    git(course_copy, "init", "-q", "-b", "main")
    git(course_copy, "add", "-A")
    setup = ("-c", "user.name=Setup", "-c", "user.email=setup@example.org")
    git(course_copy, *setup, "commit", "-qm", "Start")
    return course_copy


@pytest.fixture
def course_copy(tmp_path: Path) -> Path:
    """A writable copy of the fixture course."""
    target = tmp_path / "course"
    shutil.copytree(COURSE, target)
    return target


class AuthActions:
    """Create accounts and log in through the real forms."""

    def __init__(self, client: FlaskClient, session: Session) -> None:
        self.client, self.session = client, session

    def create(self, email: str = "learner@example.org", role: Role = Role.LEARNER) -> Any:
        """An account with the standard test password."""
        return create_user(self.session, email, email.split("@")[0].title(), PASSWORD, role)

    def login(self, email: str = "learner@example.org", password: str = PASSWORD) -> Any:
        """Log in through the login form."""
        token = csrf_token(self.client.get("/login").get_data(as_text=True))
        return self.client.post(
            "/login", data={"email": email, "password": password, "csrf_token": token}
        )

    def logout(self) -> Any:
        """Log out through the header form."""
        token = csrf_token(self.client.get("/").get_data(as_text=True))
        return self.client.post("/logout", data={"csrf_token": token})


def admin_client_of(app: Flask, session: Session, email: str = "boss@example.org") -> FlaskClient:
    """A client of its own, signed in as a new admin of the app."""
    client = app.test_client()
    auth = AuthActions(client, session)
    auth.create(email, Role.ADMIN)
    auth.login(email)
    return client


@pytest.fixture
def auth(client: FlaskClient, session: Session) -> AuthActions:
    """Account helpers bound to the client."""
    return AuthActions(client, session)


@pytest.fixture
def learner(auth: AuthActions) -> Any:
    """A learner's account, logged in with the `client`."""
    user = auth.create()
    auth.login()
    return user


def quiz_form_data(
    session: Session, attempt_id: int, answers: dict[str, Any], action: str = "confirm"
) -> dict[str, Any]:
    """The form data an attempt page sends for answers written with answer ids, as a
    learner sees them: `q0: "b"` (option b), `q1: ["a", "b"]`, `q5-0: "a"` (item a first
    in an ordering), `q6-a: "b"` (left a matched with right b), text as typed. Values that
    are not ids of the question (tampering) are sent as they are. `action` "confirm"
    submits past the list of unanswered questions.
    """
    from cocourse.questions import builtin_types
    from cocourse.questions.base import resolve
    from cocourse.quiz import engine as quizzes
    from cocourse.quiz.answers import shown_pairs, widget_of

    session.expire_all()
    attempt = session.get(QuizAttempt, attempt_id)
    assert attempt is not None
    data: dict[str, Any] = {"action": action} if action else {}
    for index, (question, shown) in enumerate(shown_pairs(quizzes.view(attempt))):
        name = f"q{index}"
        widget = widget_of(resolve(builtin_types(), question.type))
        ids = {answer.id for answer in question.answers}
        parts = {k[len(name) + 1 :]: v for k, v in answers.items() if k.startswith(name + "-")}
        if widget == "order" and parts:
            ranked = [parts[k] for k in sorted(parts, key=int)]
            if sorted(ranked) == sorted(ids):
                data.update(encode(widget, shown, name, ranked))
            else:  # not a permutation: each named item gets its position, the last one wins
                for position, aid in enumerate(ranked, start=1):
                    data[f"{name}-{shown.value(aid) if aid in ids else aid}"] = str(position)
        elif widget == "match" and parts:
            for left, right in parts.items():
                key = shown.value(left) if left in ids else left
                data[f"{name}-{key}"] = shown.value(right, True) if right in ids else right
        elif name in answers:
            value = answers[name]
            if widget in ("radio", "checkbox"):
                values = value if isinstance(value, list) else [value]
                coded = [shown.value(v) if v in ids else v for v in values]
                data[name] = coded if isinstance(value, list) else coded[0]
            else:
                data[name] = value
    session.rollback()  # leave nothing cached: the app is about to change the attempt
    return data


def post_answers(
    client: FlaskClient, attempt_id: int, answers: dict[str, Any], action: str = "confirm"
) -> Any:
    """Submit answers written with answer ids (`quiz_form_data`) as the attempt page would
    (also to an attempt already submitted, as a replay)."""
    from cocourse.db import get_session

    page = client.get("/account/password").get_data(as_text=True)  # any page with a form
    with client.application.app_context():
        coded = quiz_form_data(get_session(), attempt_id, answers, action)
    return client.post(
        f"/quiz/attempts/{attempt_id}", data={"csrf_token": csrf_token(page), **coded}
    )


def encode(widget: str, shown: Any, prefix: str, response: Any) -> dict[str, Any]:
    """The form data a standard widget sends for a response in answer ids (the inverse of
    `cocourse.quiz.answers.read`)."""
    if widget == "radio":
        return {prefix: shown.value(response)} if isinstance(response, str) else {}
    if widget == "checkbox":
        return {prefix: [shown.value(aid) for aid in response or []]}
    if widget == "order":
        return {
            f"{prefix}-{shown.value(aid)}": str(position)
            for position, aid in enumerate(response or [], start=1)
        }
    if widget == "match":
        return {
            f"{prefix}-{shown.value(left)}": shown.value(right, right_side=True)
            for left, right in (response or {}).items()
        }
    return {} if response is None else {prefix: response}
