"""accounts that an admin has deactivated

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 20:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import cocourse.models

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.add_column(
            sa.Column("deactivated_at", cocourse.models.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.drop_column("deactivated_at")
