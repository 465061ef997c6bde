"""Fixtures: cocourse apps on fresh SQLite databases serving the course shipped beside these
tests, and a learner who uses the site through the real forms.

Self-contained: nothing is imported from the main project's `tests` package. The plugin is
never named in PLUGINS: the apps find it through its entry point, as an installed plugin.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from cocourse import create_app, migrate
from cocourse.accounts.services import create_user
from cocourse.db import get_session, make_engine
from cocourse.models import Role

COURSE = Path(__file__).parent / "course"  # one module whose quiz has four likert items
QUIZ = "check-in-views"
LESSON = "/modules/check-in/opinions"
PASSWORD = "a long enough password"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def pytest_configure(config: pytest.Config) -> None:
    """The marker of the browser test, also when run outside the main project."""
    config.addinivalue_line("markers", "browser: drives real Chromium through Playwright")


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database at the newest revision, copied for each app."""
    path = tmp_path_factory.mktemp("template") / "cocourse.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def make_app(migrated_database: Path, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build apps on the shipped course, each on its own fresh database; cleaned up after."""
    apps: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        folder = tmp_path / f"app{len(apps)}"
        folder.mkdir()
        for sidecar in ("", "-wal", "-shm"):
            source = migrated_database.with_name(migrated_database.name + sidecar)
            if source.exists():
                shutil.copy(source, folder / source.name)
        config = {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-not-for-production-use-0123456789",
            "DATABASE_URL": f"sqlite:///{folder / migrated_database.name}",
            "CONTENT_DIR": str(COURSE),
            "RATELIMIT_ENABLED": False,
            "INSTANCE_PATH": str(folder / "instance"),
        }
        config.update(overrides)
        apps.append(create_app(config))
        return apps[-1]

    yield build
    for app in apps:
        app.extensions["cocourse.engine"].dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """An app with no PLUGINS setting: the likert type can only come from the entry point."""
    return make_app()


def add_user(app: Flask, email: str, role: Role = Role.LEARNER) -> None:
    """An account made directly, as an administrator would (admins cannot sign up)."""
    with app.app_context():
        create_user(get_session(), email, email.split("@")[0].title(), PASSWORD, role)


class Learner:
    """Someone using the site through Flask's test client and the real forms."""

    def __init__(self, app: Flask, email: str = "learner@example.org") -> None:
        self.app, self.email = app, email
        self.client: FlaskClient = app.test_client()
        self.user_id: int | None = None

    def page(self, path: str, status: int = 200) -> str:
        """A page's HTML, after checking its status."""
        response = self.client.get(path)
        assert response.status_code == status, (path, response.status_code)
        return response.get_data(as_text=True)

    def register(self) -> int:
        """Sign up through the registration form (which logs in); the new account's id."""
        response = self.client.post(
            "/register",
            data={
                "name": "Lee Learner",
                "email": self.email,
                "password": PASSWORD,
                "confirm": PASSWORD,
                "csrf_token": csrf_token(self.page("/register")),
            },
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        with self.app.extensions["cocourse.engine"].connect() as conn:
            found = conn.execute(text('SELECT id FROM "user" WHERE email = :e'), {"e": self.email})
            self.user_id = int(found.scalar_one())
        return self.user_id

    def log_in(self) -> None:
        """Log in through the login form."""
        response = self.client.post(
            "/login",
            data={
                "email": self.email,
                "password": PASSWORD,
                "csrf_token": csrf_token(self.page("/login")),
            },
        )
        assert response.status_code == 302, response.get_data(as_text=True)

    def log_out(self) -> None:
        """Log out through the header's form."""
        response = self.client.post("/logout", data={"csrf_token": csrf_token(self.page("/"))})
        assert response.status_code == 302, response.status_code

    def start_quiz(self) -> int:
        """Press "Start the quiz" on the lesson page; the new attempt's id."""
        token = csrf_token(self.page(LESSON))
        response = self.client.post(f"/quiz/{QUIZ}/start", data={"csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)
        return int(response.headers["Location"].rsplit("/", 1)[1])

    def submit(self, attempt_id: int, answers: dict[str, str]) -> Any:
        """Submit the attempt's form with these answers (field name: value)."""
        token = csrf_token(self.page(f"/quiz/attempts/{attempt_id}"))
        return self.client.post(
            f"/quiz/attempts/{attempt_id}", data={"csrf_token": token, **answers}
        )


@pytest.fixture
def learner_of() -> Callable[..., Learner]:
    """A registered, logged-in learner on the given app."""

    def make(app: Flask, email: str = "learner@example.org") -> Learner:
        learner = Learner(app, email)
        learner.register()
        return learner

    return make
