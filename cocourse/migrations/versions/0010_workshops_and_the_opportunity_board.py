"""workshops and the opportunity board

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 21:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

import cocourse.models

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "opportunity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("stake", sa.Text(), nullable=False),
        sa.Column("involved", sa.Text(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=False),
        sa.Column("proposer_id", sa.Integer(), nullable=True),
        sa.Column("created_at", cocourse.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", cocourse.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposer_id"],
            ["user.id"],
            name=op.f("fk_opportunity_proposer_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity")),
    )
    with op.batch_alter_table("opportunity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_opportunity_status"), ["status"], unique=False)

    op.create_table(
        "opportunity_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("opportunity_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("author_name", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", cocourse.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunity.id"],
            name=op.f("fk_opportunity_comment_opportunity_id_opportunity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_opportunity_comment_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity_comment")),
    )
    with op.batch_alter_table("opportunity_comment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_opportunity_comment_opportunity_id"), ["opportunity_id"], unique=False
        )

    op.create_table(
        "opportunity_support",
        sa.Column("opportunity_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", cocourse.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunity.id"],
            name=op.f("fk_opportunity_support_opportunity_id_opportunity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_opportunity_support_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("opportunity_id", "user_id", name=op.f("pk_opportunity_support")),
    )
    op.create_table(
        "workshop",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("starts_at", cocourse.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=False),
        sa.Column("video_url", sa.String(length=500), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("opportunity_id", sa.Integer(), nullable=True),
        sa.Column("facilitator_id", sa.Integer(), nullable=True),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("agenda", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", cocourse.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", cocourse.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", cocourse.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["facilitator_id"],
            ["user.id"],
            name=op.f("fk_workshop_facilitator_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunity.id"],
            name=op.f("fk_workshop_opportunity_id_opportunity"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop")),
    )
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workshop_facilitator_id"), ["facilitator_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_workshop_opportunity_id"), ["opportunity_id"], unique=False
        )
        batch_op.create_index("ix_workshop_starts_at", ["starts_at"], unique=False)

    op.create_table(
        "workshop_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("opportunity_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("owner_name", sa.String(length=120), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("done_at", cocourse.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", cocourse.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunity.id"],
            name=op.f("fk_workshop_action_opportunity_id_opportunity"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["user.id"],
            name=op.f("fk_workshop_action_owner_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workshop_id"],
            ["workshop.id"],
            name=op.f("fk_workshop_action_workshop_id_workshop"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_action")),
    )
    with op.batch_alter_table("workshop_action", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workshop_action_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_workshop_action_workshop_id"), ["workshop_id"], unique=False
        )

    op.create_table(
        "workshop_host",
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_workshop_host_user_id_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workshop_id"],
            ["workshop.id"],
            name=op.f("fk_workshop_host_workshop_id_workshop"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workshop_id", "user_id", name=op.f("pk_workshop_host")),
    )
    op.create_table(
        "workshop_seat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("guest_email", sa.String(length=254), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", cocourse.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", cocourse.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attended_at", cocourse.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("feedback", sa.JSON(), nullable=True),
        sa.Column("feedback_at", cocourse.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["user.id"],
            name=op.f("fk_workshop_seat_invited_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_workshop_seat_user_id_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workshop_id"],
            ["workshop.id"],
            name=op.f("fk_workshop_seat_workshop_id_workshop"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_seat")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_workshop_seat_token_hash")),
        sa.UniqueConstraint(
            "workshop_id", "guest_email", name=op.f("uq_workshop_seat_workshop_id_guest_email")
        ),
        sa.UniqueConstraint(
            "workshop_id", "user_id", name=op.f("uq_workshop_seat_workshop_id_user_id")
        ),
    )
    with op.batch_alter_table("workshop_seat", schema=None) as batch_op:
        batch_op.create_index("ix_workshop_seat_status", ["workshop_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_workshop_seat_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("calendar", sa.Text(), nullable=True))

    with op.batch_alter_table("practicum_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("workshop_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_practicum_session_workshop_id"), ["workshop_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_practicum_session_workshop_id_workshop"),
            "workshop",
            ["workshop_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("practicum_session", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_practicum_session_workshop_id_workshop"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_practicum_session_workshop_id"))
        batch_op.drop_column("workshop_id")

    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.drop_column("calendar")

    with op.batch_alter_table("workshop_seat", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workshop_seat_user_id"))
        batch_op.drop_index("ix_workshop_seat_status")

    op.drop_table("workshop_seat")
    op.drop_table("workshop_host")
    with op.batch_alter_table("workshop_action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workshop_action_workshop_id"))
        batch_op.drop_index(batch_op.f("ix_workshop_action_owner_id"))

    op.drop_table("workshop_action")
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.drop_index("ix_workshop_starts_at")
        batch_op.drop_index(batch_op.f("ix_workshop_opportunity_id"))
        batch_op.drop_index(batch_op.f("ix_workshop_facilitator_id"))

    op.drop_table("workshop")
    op.drop_table("opportunity_support")
    with op.batch_alter_table("opportunity_comment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opportunity_comment_opportunity_id"))

    op.drop_table("opportunity_comment")
    with op.batch_alter_table("opportunity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opportunity_status"))

    op.drop_table("opportunity")
