"""The learner's pages run the same SQL statements whatever the number of learners around
and of the learner's own attempts: nothing is queried once per row."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event, func, insert, select

from cocourse.devtools.synthetic import Options, generate
from cocourse.models import ActivityEvent, QuizAttempt, User

from .conftest import PASSWORD, AuthActions, make_app

CONTENT = Path(__file__).parent.parent / "content" / "modules"
MODULE = "tasting-01-what-co-creation-is"
PAGES = (
    "/",
    "/dashboard",
    f"/modules/{MODULE}",
    f"/modules/{MODULE}/dont-struggle-alone",
    f"/modules/{MODULE}/check",  # the quiz lesson, with the learner's attempts
    "/activity",
)


def queries(app, client, path: str) -> list[str]:
    """The statements one request for `path` runs (after a request that warms caches)."""
    assert client.get(path).status_code == 200, path
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    engine = app.extensions["cocourse.engine"]
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(path).status_code == 200, path
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


@pytest.fixture
def app(engine, database_url, tmp_path):
    # What rendering a page queries: the page cache would send the second request's page
    # without any (tests/test_page_cache.py).
    return make_app(database_url, tmp_path, CONTENT_DIR=str(CONTENT), PAGE_CACHE_SECONDS=0)


def busiest_learner(session) -> int:
    return int(
        session.scalar(
            select(ActivityEvent.user_id)
            .group_by(ActivityEvent.user_id)
            .order_by(func.count().desc(), ActivityEvent.user_id)
            .limit(1)
        )
    )


def more_attempts(session, which, copies: int) -> None:
    """Copies of the attempts `which` picks (a condition on QuizAttempt), as if each of
    their learners had tried again."""
    columns = [c for c in QuizAttempt.__table__.columns if c.name != "id"]
    rows = session.execute(select(*columns).where(which)).all()
    for copy in range(1, copies + 1):
        again = [{**row._mapping, "number": row.number + 1000 * copy} for row in rows]
        session.execute(insert(QuizAttempt), again)
    session.commit()


def test_learner_pages_run_as_many_queries_with_more_learners_and_attempts(app, session):
    """The same learner, in the same standing, with four times the other learners around and
    four times their own attempts: every page runs the same statements."""
    course = app.extensions["cocourse.course"].course
    types = app.extensions["cocourse.question_types"]
    generate(session, course, types, Options(learners=100, cohorts=3, seed=3, password=PASSWORD))
    learner = busiest_learner(session)
    attempts = session.scalar(select(func.count()).where(QuizAttempt.user_id == learner))
    assert attempts and attempts >= 3, "the busiest learner has too little history to compare"
    client = app.test_client()
    AuthActions(client, session).login(session.get(User, learner).email)
    before = {path: queries(app, client, path) for path in PAGES}

    options = Options(learners=300, cohorts=3, seed=4, password=PASSWORD, force=True)
    generate(session, course, types, options)
    more_attempts(session, QuizAttempt.user_id == learner, copies=3)
    after = {path: queries(app, client, path) for path in PAGES}

    for path in PAGES:
        assert before[path], f"{path} ran no query: nothing was measured"
        assert after[path] == before[path], path
