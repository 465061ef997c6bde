"""languages: the interface language a person chose, the language of a quiz attempt

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 20:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("language", sa.String(length=8), nullable=True))
    with op.batch_alter_table("quiz_attempt") as batch:
        batch.add_column(sa.Column("language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("quiz_attempt") as batch:
        batch.drop_column("language")
    with op.batch_alter_table("user") as batch:
        batch.drop_column("language")
