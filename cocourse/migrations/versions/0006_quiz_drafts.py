"""saved answers of open quiz attempts

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 19:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

import cocourse.models

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("quiz_attempt") as batch:
        batch.add_column(sa.Column("draft", sa.JSON(), nullable=True))
        batch.add_column(
            sa.Column("draft_saved_at", cocourse.models.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("quiz_attempt") as batch:
        batch.drop_column("draft_saved_at")
        batch.drop_column("draft")
