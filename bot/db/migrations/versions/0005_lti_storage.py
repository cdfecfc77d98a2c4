"""Server-side storage of LTI 1.3 logins and launches (state, nonce, launch data).

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lti_storage",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_lti_storage_expires_at", "lti_storage", ["expires_at"])


def downgrade() -> None:
    op.drop_table("lti_storage")
