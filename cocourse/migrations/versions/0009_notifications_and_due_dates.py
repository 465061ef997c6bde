"""notifications, email opt-outs per kind, and cohort due dates

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 21:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

import cocourse.models

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cohort_due_date",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("target_kind", sa.String(length=8), nullable=False),
        sa.Column("target_slug", sa.String(length=100), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("created_at", cocourse.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohort.id"],
            name=op.f("fk_cohort_due_date_cohort_id_cohort"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohort_due_date")),
        sa.UniqueConstraint(
            "cohort_id",
            "target_kind",
            "target_slug",
            name=op.f("uq_cohort_due_date_cohort_id_target_kind_target_slug"),
        ),
    )
    op.create_index(op.f("ix_cohort_due_date_cohort_id"), "cohort_due_date", ["cohort_id"])
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("created_at", cocourse.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", cocourse.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_notification_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("user_id", "key", name=op.f("uq_notification_user_id_key")),
    )
    op.create_index("ix_notification_unread", "notification", ["user_id", "read_at"])
    op.create_table(
        "email_opt_out",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_email_opt_out_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "kind", name=op.f("pk_email_opt_out")),
    )


def downgrade() -> None:
    op.drop_table("email_opt_out")
    op.drop_index("ix_notification_unread", table_name="notification")
    op.drop_table("notification")
    op.drop_index(op.f("ix_cohort_due_date_cohort_id"), table_name="cohort_due_date")
    op.drop_table("cohort_due_date")
