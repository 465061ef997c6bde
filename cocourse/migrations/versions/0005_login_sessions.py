"""login sessions, remember-me tokens and the login backoff

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 17:55:00.000000
"""

import sqlalchemy as sa
from alembic import op

import cocourse.models

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_session",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("family", sa.String(length=32), nullable=True),
        sa.Column("created_at", cocourse.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", cocourse.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", cocourse.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", cocourse.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("address", sa.String(length=45), nullable=False),
        sa.Column("user_agent", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_login_session_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_session")),
    )
    op.create_index(op.f("ix_login_session_user_id"), "login_session", ["user_id"])
    op.create_index(op.f("ix_login_session_family"), "login_session", ["family"])
    op.create_table(
        "remember_token",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("family", sa.String(length=32), nullable=False),
        sa.Column("created_at", cocourse.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", cocourse.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", cocourse.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", cocourse.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_remember_token_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remember_token")),
    )
    op.create_index(op.f("ix_remember_token_user_id"), "remember_token", ["user_id"])
    op.create_index(op.f("ix_remember_token_family"), "remember_token", ["family"])
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", cocourse.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )


def downgrade() -> None:
    op.drop_table("login_throttle")
    op.drop_index(op.f("ix_remember_token_family"), table_name="remember_token")
    op.drop_index(op.f("ix_remember_token_user_id"), table_name="remember_token")
    op.drop_table("remember_token")
    op.drop_index(op.f("ix_login_session_family"), table_name="login_session")
    op.drop_index(op.f("ix_login_session_user_id"), table_name="login_session")
    op.drop_table("login_session")
