"""The course in the chat (issue 22): progress of identified learners, Point Info badge
awards (pending, then issued), course events for the editors' dashboard.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "course_progress",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("learner_ref", sa.String(64), nullable=True, unique=True),
        sa.Column("session_id", sa.String(36),
                  sa.ForeignKey("chat_sessions.id", ondelete="CASCADE"), nullable=True,
                  unique=True),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("last_event", sa.String(16), nullable=False),
        sa.Column("step", sa.String(64), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
    )
    op.create_table(
        "course_awards",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("award_key", sa.String(200), nullable=False, unique=True),
        sa.Column("learner_ref", sa.String(64), nullable=False),
        sa.Column("badge_id", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(32), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=True),
        sa.Column("event_id", sa.String(64), nullable=True),
        sa.Column("notified_at", sa.DateTime(), nullable=True),
    )
    for column in ("learner_ref", "status", "next_attempt_at"):
        op.create_index(f"ix_course_awards_{column}", "course_awards", [column])
    op.create_table(
        "course_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("session_id", sa.String(36),
                  sa.ForeignKey("chat_sessions.id", ondelete="SET NULL"), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("step", sa.String(64), nullable=True),
        sa.Column("question", sa.String(80), nullable=True),
        sa.Column("right", sa.Boolean(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
    )
    for column in ("session_id", "at"):
        op.create_index(f"ix_course_events_{column}", "course_events", [column])


def downgrade() -> None:
    op.drop_table("course_events")
    op.drop_table("course_awards")
    op.drop_table("course_progress")
