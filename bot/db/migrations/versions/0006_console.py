"""Adviser console: accounts, server-side sessions, sign-in attempts, audit log.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("login", sa.String(100), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_sign_in_at", sa.DateTime(), nullable=True),
    )
    op.create_table(
        "console_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer(),
                  sa.ForeignKey("console_users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("chat_session_id", sa.String(36),
                  sa.ForeignKey("chat_sessions.id", ondelete="SET NULL"), nullable=True),
    )
    op.create_index("ix_console_sessions_user_id", "console_sessions", ["user_id"])
    op.create_index("ix_console_sessions_expires_at", "console_sessions", ["expires_at"])
    op.create_table(
        "console_sign_in_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("login_ref", sa.String(64), nullable=False),
        sa.Column("address_ref", sa.String(64), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
    )
    for column in ("at", "login_ref", "address_ref"):
        op.create_index(f"ix_console_sign_in_attempts_{column}", "console_sign_in_attempts",
                        [column])
    op.create_table(
        "console_audit",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("user_login", sa.String(100), nullable=False),
        sa.Column("user_role", sa.String(16), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("learner_ref", sa.String(64), nullable=False),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("badge_count", sa.Integer(), nullable=True),
    )
    for column in ("at", "user_login", "learner_ref"):
        op.create_index(f"ix_console_audit_{column}", "console_audit", [column])


def downgrade() -> None:
    op.drop_table("console_audit")
    op.drop_table("console_sign_in_attempts")
    op.drop_table("console_sessions")
    op.drop_table("console_users")
