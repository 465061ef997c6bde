"""LTI 1.3: registered platforms, the tool's keys, linked accounts, courses, resource links,
scores for the gradebooks and short-lived login state

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 09:01:28.220668
"""

import sqlalchemy as sa
from alembic import op

import cocourse.models

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lti_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=100), nullable=False),
        sa.Column("private_pem", sa.Text(), nullable=False),
        sa.Column("created_at", cocourse.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", cocourse.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_key")),
        sa.UniqueConstraint("kid", name=op.f("uq_lti_key_kid")),
    )
    op.create_table(
        "lti_launch_value",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("expires_at", cocourse.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_lti_launch_value")),
    )
    with op.batch_alter_table("lti_launch_value", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lti_launch_value_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "lti_platform",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("auth_login_url", sa.String(length=500), nullable=False),
        sa.Column("auth_token_url", sa.String(length=500), nullable=False),
        sa.Column("key_set_url", sa.String(length=500), nullable=False),
        sa.Column("deployments", sa.Text(), nullable=False),
        sa.Column("link_by_email", sa.Boolean(), nullable=False),
        sa.Column("created_at", cocourse.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_platform")),
        sa.UniqueConstraint("issuer", "client_id", name=op.f("uq_lti_platform_issuer_client_id")),
    )
    op.create_table(
        "lti_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("sub", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", cocourse.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["lti_platform.id"],
            name=op.f("fk_lti_account_platform_id_lti_platform"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_lti_account_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_account")),
        sa.UniqueConstraint("platform_id", "sub", name=op.f("uq_lti_account_platform_id_sub")),
    )
    with op.batch_alter_table("lti_account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lti_account_user_id"), ["user_id"], unique=False)

    op.create_table(
        "lti_context",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("context_id", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("memberships_url", sa.String(length=500), nullable=True),
        sa.Column("synced_at", cocourse.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sync_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohort.id"],
            name=op.f("fk_lti_context_cohort_id_cohort"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["lti_platform.id"],
            name=op.f("fk_lti_context_platform_id_lti_platform"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_context")),
        sa.UniqueConstraint(
            "platform_id", "context_id", name=op.f("uq_lti_context_platform_id_context_id")
        ),
    )
    op.create_table(
        "lti_resource_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.String(length=255), nullable=False),
        sa.Column("context_id", sa.Integer(), nullable=True),
        sa.Column("target", sa.String(length=300), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("lineitem_url", sa.String(length=500), nullable=True),
        sa.Column("lineitems_url", sa.String(length=500), nullable=True),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["context_id"],
            ["lti_context.id"],
            name=op.f("fk_lti_resource_link_context_id_lti_context"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["lti_platform.id"],
            name=op.f("fk_lti_resource_link_platform_id_lti_platform"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_resource_link")),
        sa.UniqueConstraint(
            "platform_id", "link_id", name=op.f("uq_lti_resource_link_platform_id_link_id")
        ),
    )
    op.create_table(
        "lti_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("changed_at", cocourse.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", cocourse.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["lti_resource_link.id"],
            name=op.f("fk_lti_score_link_id_lti_resource_link"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_lti_score_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_score")),
        sa.UniqueConstraint("link_id", "user_id", name=op.f("uq_lti_score_link_id_user_id")),
    )
    with op.batch_alter_table("lti_score", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lti_score_sent_at"), ["sent_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("lti_score", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lti_score_sent_at"))

    op.drop_table("lti_score")
    op.drop_table("lti_resource_link")
    op.drop_table("lti_context")
    with op.batch_alter_table("lti_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lti_account_user_id"))

    op.drop_table("lti_account")
    op.drop_table("lti_platform")
    with op.batch_alter_table("lti_launch_value", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lti_launch_value_expires_at"))

    op.drop_table("lti_launch_value")
    op.drop_table("lti_key")
