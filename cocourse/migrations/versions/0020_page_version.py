"""page versions: the tokens the page cache keys learners' pages by

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 02:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "page_version",
        sa.Column("scope", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_page_version")),
    )


def downgrade() -> None:
    op.drop_table("page_version")
