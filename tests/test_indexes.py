"""The report and certificate queries that scanned whole tables use an index now.

The database's own planner is asked (EXPLAIN on SQLite and PostgreSQL). On PostgreSQL the
test tables are tiny, so sequential scans are switched off for the question: the plan then
shows whether an index *can* serve the query, which is what a full table needs.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from cocourse.models import ActivityEvent, Certificate, QuizAttempt, QuizRegrade

QUERIES = {
    "ix_quiz_attempt_quiz_id_submitted_at": select(QuizAttempt.id).where(
        QuizAttempt.quiz_id == "final-exam", QuizAttempt.submitted_at.is_not(None)
    ),
    "ix_quiz_regrade_attempt_id": select(QuizRegrade.id).where(QuizRegrade.attempt_id == 7),
    "ix_activity_event_object": select(func.count())
    .select_from(ActivityEvent)
    .where(
        ActivityEvent.object_type == "lesson",
        ActivityEvent.object_id.in_(["intro/first", "intro/second"]),
        ActivityEvent.verb == "completed",
    ),
    "ix_certificate_user_id": select(Certificate.id).where(Certificate.user_id == 7),
}


@pytest.mark.parametrize("index", sorted(QUERIES))
def test_the_query_uses_its_index(engine, index):
    sql = str(
        QUERIES[index].compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
    )
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join(row[0] for row in conn.execute(text(f"EXPLAIN {sql}")))
        else:
            plan = "\n".join(
                str(row[-1]) for row in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}"))
            )
    assert index in plan, plan
