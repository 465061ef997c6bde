"""The database: SQLite settings, concurrent writers, migrations that match the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text

from cocourse import migrate
from cocourse.accounts.services import create_user
from cocourse.db import make_engine
from cocourse.models import Base, LessonCompletion, Role, User

from .conftest import run_concurrently


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}", busy_timeout_ms=1234)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 1234
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_migrations_match_the_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_downgrade_and_upgrade_round_trip(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    migrate.upgrade(engine)
    migrate.downgrade(engine, "base")
    with engine.connect() as conn:
        names = set(
            conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'")).scalars()
        )
    assert names == {"alembic_version"}
    migrate.upgrade(engine)
    engine.dispose()


def test_foreign_keys_are_enforced(session):
    session.add(LessonCompletion(user_id=999, module_slug="m", lesson_slug="l", content_hash="h"))
    with pytest.raises(Exception, match="(?i)foreign key"):
        session.commit()


def test_concurrent_writers_do_not_fail_with_database_locked(app, session):
    """Twenty threads each create an account and complete lessons at the same moment."""
    from cocourse.db import get_session
    from cocourse.learning import progress

    pm = app.extensions["cocourse.plugins"]
    module = app.extensions["cocourse.course"].course.module("intro")

    def work(i: int) -> None:
        db = get_session()
        user = create_user(db, f"u{i}@example.org", f"U{i}", "a long enough password")
        for lesson in module.lessons:
            progress.complete_lesson(db, pm, user.id, module, lesson)

    errors = run_concurrently(app, 20, work)
    assert errors == []
    assert session.scalar(select(func.count()).select_from(User)) == 20
    assert session.scalar(select(func.count()).select_from(LessonCompletion)) == 40


def test_the_last_admin_cannot_be_demoted(session):
    from cocourse.accounts.services import AccountError, set_role

    admin = create_user(session, "a@example.org", "A", "a long enough password", Role.ADMIN)
    with pytest.raises(AccountError, match="only admin"):
        set_role(session, admin.id, Role.LEARNER)
    other = create_user(session, "b@example.org", "B", "a long enough password", Role.ADMIN)
    set_role(session, admin.id, Role.LEARNER)
    with pytest.raises(AccountError):
        set_role(session, other.id, Role.ASSESSOR)
    assert session.scalar(select(func.count()).select_from(User).where(User.role == "admin")) == 1


def test_timestamps_are_timezone_aware(session):
    user = create_user(session, "t@example.org", "T", "a long enough password")
    session.expire_all()
    assert session.get(User, user.id).created_at.tzinfo is not None
