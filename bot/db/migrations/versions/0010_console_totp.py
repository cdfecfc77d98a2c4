"""Adviser console: a second factor (TOTP) for each account, its recovery codes, and the
console-wide settings (an admin requires the second factor for every adviser).

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("console_users") as table:
        table.add_column(sa.Column("totp_secret", sa.String(200), nullable=True))
        table.add_column(sa.Column("totp_enabled_at", sa.DateTime(), nullable=True))
        table.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    op.create_table(
        "console_recovery_codes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(),
                  sa.ForeignKey("console_users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("code_hash", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_console_recovery_codes_user_id", "console_recovery_codes", ["user_id"])
    op.create_table(
        "console_settings",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("changed_by", sa.String(100), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("console_settings")
    op.drop_table("console_recovery_codes")
    with op.batch_alter_table("console_users") as table:
        table.drop_column("totp_last_step")
        table.drop_column("totp_enabled_at")
        table.drop_column("totp_secret")
