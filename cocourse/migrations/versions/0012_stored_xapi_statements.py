"""activity events keep their xAPI statement once it is built

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 05:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("activity_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("statement", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("activity_event", schema=None) as batch_op:
        batch_op.drop_column("statement")
