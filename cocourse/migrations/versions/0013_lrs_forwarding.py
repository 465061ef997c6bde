"""how far the activity log has been forwarded to a learning record store

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 05:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

import cocourse.models

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lrs_forwarding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("endpoint", sa.String(length=500), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("conflicts", sa.Integer(), nullable=False),
        sa.Column("last_sent_at", cocourse.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", cocourse.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lrs_forwarding")),
        sa.UniqueConstraint("endpoint", name=op.f("uq_lrs_forwarding_endpoint")),
    )


def downgrade() -> None:
    op.drop_table("lrs_forwarding")
