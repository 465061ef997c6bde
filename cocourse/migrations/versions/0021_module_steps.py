"""module steps: how far each learner got in each module, for the funnel and the module list

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 03:00:00.000000

Fills what each learner did, from the activity log's lesson views, the completions and the
quiz attempts, as `learning.module_steps.done_rows` reads them. What follows from those
depends on the course's lessons, which a migration does not read: the rows are left without
a layout, and the first report that reads a module brings them up to date.
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

import cocourse.models

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "module_step",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("module_slug", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("reached_at", cocourse.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("seconds", sa.Double(), nullable=True),
        sa.Column("layout", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_module_step_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint(
            "user_id", "module_slug", "kind", "key", name=op.f("pk_module_step")
        ),
    )
    op.create_index(
        "ix_module_step_step",
        "module_step",
        ["module_slug", "kind", "key", "seconds", "user_id"],
    )
    op.create_index("ix_module_step_layout", "module_step", ["module_slug", "layout", "user_id"])
    _fill(op.get_bind())


def _fill(conn: sa.Connection) -> None:
    """A row per learner, module, kind and lesson or quiz: the first time it was done."""
    events = sa.table(
        "activity_event",
        *(sa.column(name) for name in ("user_id", "verb", "object_type", "object_id")),
        sa.column("occurred_at"),
    )
    completions = sa.table(
        "lesson_completion",
        *(sa.column(name) for name in ("user_id", "module_slug", "lesson_slug", "completed_at")),
    )
    attempts = sa.table(
        "quiz_attempt",
        *(sa.column(name) for name in ("user_id", "module_slug", "quiz_id", "started_at")),
        sa.column("submitted_at"),
        sa.column("passed", sa.Boolean()),
    )
    steps = sa.table(
        "module_step",
        *(sa.column(name) for name in ("user_id", "module_slug", "kind", "key", "reached_at")),
    )

    def text(value: str) -> sa.ColumnElement[str]:
        return sa.cast(sa.literal(value), sa.String())

    key = events.c.object_id
    if conn.dialect.name == "postgresql":
        module, lesson = (
            sa.func.split_part(key, "/", 1),
            sa.func.substr(key, sa.func.strpos(key, "/") + 1),
        )
    else:
        slash = sa.func.instr(key, "/")
        module, lesson = sa.func.substr(key, 1, slash - 1), sa.func.substr(key, slash + 1)
    views = (
        sa.select(
            events.c.user_id, module, text("viewed"), lesson, sa.func.min(events.c.occurred_at)
        )
        .where(events.c.verb == "viewed", events.c.object_type == "lesson")
        .group_by(events.c.user_id, events.c.object_id)
    )
    done = sa.select(
        completions.c.user_id,
        completions.c.module_slug,
        text("lesson"),
        completions.c.lesson_slug,
        completions.c.completed_at,
    )
    a = attempts.c

    def first(kind: str, at: Any, *where: Any) -> Any:
        return (
            sa.select(a.user_id, a.module_slug, text(kind), a.quiz_id, sa.func.min(at))
            .where(*where)
            .group_by(a.user_id, a.module_slug, a.quiz_id)
        )

    rows = sa.union_all(
        views,
        done,
        first("quiz-begun", a.started_at),
        first("quiz-attempted", a.submitted_at, a.submitted_at.is_not(None)),
        first("quiz-passed", a.submitted_at, a.submitted_at.is_not(None), a.passed.is_(True)),
    )
    conn.execute(
        steps.insert().from_select(["user_id", "module_slug", "kind", "key", "reached_at"], rows)
    )


def downgrade() -> None:
    op.drop_index("ix_module_step_layout", table_name="module_step")
    op.drop_index("ix_module_step_step", table_name="module_step")
    op.drop_table("module_step")
