"""indexes the report and certificate queries ask for

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 06:05:00.000000
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_quiz_attempt_quiz_id_submitted_at", "quiz_attempt", ["quiz_id", "submitted_at"]
    )
    op.create_index("ix_quiz_regrade_attempt_id", "quiz_regrade", ["attempt_id"])
    op.create_index(
        "ix_activity_event_object", "activity_event", ["object_type", "object_id", "verb"]
    )
    op.create_index("ix_certificate_user_id", "certificate", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_certificate_user_id", table_name="certificate")
    op.drop_index("ix_activity_event_object", table_name="activity_event")
    op.drop_index("ix_quiz_regrade_attempt_id", table_name="quiz_regrade")
    op.drop_index("ix_quiz_attempt_quiz_id_submitted_at", table_name="quiz_attempt")
