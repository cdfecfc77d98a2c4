"""Identity bound to a chat session (bot.chat.identity).

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chat_sessions") as table:
        table.add_column(sa.Column("identity_kind", sa.String(16), nullable=False,
                                   server_default="anonymous"))
        table.add_column(sa.Column("identity_email", sa.String(320), nullable=True))
        table.add_column(sa.Column("identity_name", sa.String(200), nullable=True))
        table.add_column(sa.Column("identity_source", sa.String(200), nullable=True))
        table.add_column(sa.Column("identity_expires_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chat_sessions") as table:
        for column in ("identity_expires_at", "identity_source", "identity_name",
                       "identity_email", "identity_kind"):
            table.drop_column(column)
