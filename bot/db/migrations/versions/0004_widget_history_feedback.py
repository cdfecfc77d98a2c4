"""What bot messages offered (buttons, links) for the widget's history; feedback.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chat_messages") as table:
        table.add_column(sa.Column("buttons", sa.JSON(), nullable=True))
        table.add_column(sa.Column("links", sa.JSON(), nullable=True))
    op.create_table(
        "chat_feedback",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("session_id", sa.String(36),
                  sa.ForeignKey("chat_sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("message_id", sa.Integer(),
                  sa.ForeignKey("chat_messages.id", ondelete="CASCADE"), nullable=False),
        sa.Column("value", sa.String(4), nullable=False),
        sa.Column("topic", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("message_id", name="uq_chat_feedback_message_id"),
    )
    op.create_index("ix_chat_feedback_session_id", "chat_feedback", ["session_id"])
    op.create_index("ix_chat_feedback_topic", "chat_feedback", ["topic"])


def downgrade() -> None:
    op.drop_table("chat_feedback")
    with op.batch_alter_table("chat_messages") as table:
        table.drop_column("links")
        table.drop_column("buttons")
