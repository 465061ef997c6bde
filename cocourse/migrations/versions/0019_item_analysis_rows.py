"""item analysis rows (each graded attempt's scored answers), covering indexes for the funnel

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 00:10:00.000000

Fills the rows of the attempts already graded (submitted, not run out of time), as
`quiz.engine.item_rows` makes them, reading each lesson version's question snapshot once.
"""

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

BATCH = 500


def upgrade() -> None:
    op.create_table(
        "quiz_item_attempt",
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("quiz_id", sa.String(length=100), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("percent", sa.Double(), nullable=False),
        sa.Column("item_set", sa.String(length=64), nullable=False),
        sa.Column("items_total", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["quiz_attempt.id"],
            name=op.f("fk_quiz_item_attempt_attempt_id_quiz_attempt"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("attempt_id", name=op.f("pk_quiz_item_attempt")),
    )
    op.create_index(
        "ix_quiz_item_attempt_quiz_id_item_set",
        "quiz_item_attempt",
        ["quiz_id", "item_set", "items_total", "user_id"],
    )
    op.create_table(
        "quiz_item_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("quiz_id", sa.String(length=100), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=100), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("percent", sa.Double(), nullable=False),
        sa.Column("item_set", sa.String(length=64), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["quiz_item_attempt.attempt_id"],
            name=op.f("fk_quiz_item_response_attempt_id_quiz_item_attempt"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_item_response")),
    )
    op.create_index(op.f("ix_quiz_item_response_attempt_id"), "quiz_item_response", ["attempt_id"])
    op.create_index(
        "ix_quiz_item_response_quiz_item",
        "quiz_item_response",
        [
            "quiz_id",
            "question_id",
            "version",
            "type",
            "percent",
            "answer",
            "score",
            "item_set",
            "user_id",
        ],
    )
    op.create_index(
        "ix_lesson_completion_module",
        "lesson_completion",
        ["module_slug", "lesson_slug", "user_id", "completed_at"],
    )
    op.create_index(
        "ix_quiz_attempt_quiz_id_graded",
        "quiz_attempt",
        ["quiz_id", "user_id", "started_at", "submitted_at", "passed", "expired"],
        postgresql_where=sa.text("expired IS false"),
    )
    op.create_index(
        "ix_activity_event_object_user",
        "activity_event",
        ["object_type", "object_id", "verb", "user_id", "occurred_at"],
    )
    _fill(op.get_bind())


def _fill(conn: sa.Connection) -> None:
    """Rows for every graded attempt, a batch of attempts at a time."""
    attempts = sa.table(
        "quiz_attempt",
        sa.column("id", sa.Integer()),
        sa.column("quiz_id", sa.String()),
        sa.column("user_id", sa.Integer()),
        sa.column("content_hash", sa.String()),
        sa.column("percent", sa.Double()),
        sa.column("answers", sa.JSON()),
        sa.column("results", sa.JSON()),
        sa.column("questions", sa.JSON()),
        sa.column("submitted_at", sa.String()),
        sa.column("expired", sa.Boolean()),
    )
    item_attempt = sa.table(
        "quiz_item_attempt",
        *(sa.column(name) for name in ("attempt_id", "quiz_id", "user_id", "percent")),
        *(sa.column(name) for name in ("item_set", "items_total")),
    )
    item_response = sa.table(
        "quiz_item_response",
        *(sa.column(name) for name in ("attempt_id", "quiz_id", "user_id", "question_id")),
        *(sa.column(name) for name in ("version", "type", "score", "percent", "item_set")),
        sa.column("answer"),
    )
    graded = (attempts.c.submitted_at.is_not(None), attempts.c.expired.is_(False))
    ids = list(conn.scalars(sa.select(attempts.c.id).where(*graded).order_by(attempts.c.id)))
    versions: dict[tuple[str, str], tuple[str, str]] = {}
    for start in range(0, len(ids), BATCH):
        chosen = ids[start : start + BATCH]
        rows = conn.execute(
            sa.select(
                attempts.c.id,
                attempts.c.quiz_id,
                attempts.c.user_id,
                attempts.c.content_hash,
                attempts.c.percent,
                attempts.c.answers,
                attempts.c.results,
            )
            .where(attempts.c.id.in_(chosen))
            .order_by(attempts.c.id)
        ).all()
        made: list[dict[str, Any]] = []
        responses: list[dict[str, Any]] = []
        for attempt_id, quiz_id, user_id, content_hash, percent, answers, results in rows:
            if any((content_hash, r["id"]) not in versions for r in results or []):
                questions = conn.scalar(
                    sa.select(attempts.c.questions).where(attempts.c.id == attempt_id)
                )
                for q in questions or []:
                    versions[(content_hash, q["id"])] = (q["source_hash"], q["type"])
            items: dict[tuple[str, str], tuple[float, Any, str]] = {}
            for result in results or []:
                if result["score"] is not None:
                    version, kind = versions[(content_hash, result["id"])]
                    answer = (answers or {}).get(result["id"])
                    items[(result["id"], version)] = (result["score"], answer, kind)
            keys = sorted(items)
            items_total = 0.0
            for key in keys:
                items_total += items[key][0]
            item_set = hashlib.sha256(json.dumps(keys).encode()).hexdigest()
            shared = {"attempt_id": attempt_id, "quiz_id": quiz_id, "user_id": user_id}
            shared |= {"percent": percent or 0.0, "item_set": item_set}
            made.append({**shared, "items_total": items_total})
            responses += [
                {
                    **shared,
                    "question_id": question_id,
                    "version": version,
                    "type": kind,
                    "score": score,
                    "answer": json.dumps(answer),
                }
                for (question_id, version), (score, answer, kind) in items.items()
            ]
        if made:
            conn.execute(sa.insert(item_attempt), made)
        if responses:
            conn.execute(sa.insert(item_response), responses)


def downgrade() -> None:
    op.drop_index("ix_activity_event_object_user", table_name="activity_event")
    op.drop_index("ix_quiz_attempt_quiz_id_graded", table_name="quiz_attempt")
    op.drop_index("ix_lesson_completion_module", table_name="lesson_completion")
    op.drop_index("ix_quiz_item_response_quiz_item", table_name="quiz_item_response")
    op.drop_index(op.f("ix_quiz_item_response_attempt_id"), table_name="quiz_item_response")
    op.drop_table("quiz_item_response")
    op.drop_index("ix_quiz_item_attempt_quiz_id_item_set", table_name="quiz_item_attempt")
    op.drop_table("quiz_item_attempt")
