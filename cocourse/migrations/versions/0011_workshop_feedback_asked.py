"""when a workshop seat was asked for feedback

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 22:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

import cocourse.models

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workshop_seat", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "feedback_asked_at", cocourse.models.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("workshop_seat", schema=None) as batch_op:
        batch_op.drop_column("feedback_asked_at")
