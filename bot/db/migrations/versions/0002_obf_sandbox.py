"""OBF sandbox: organisations, badges, events and recipients, earnable badges, tokens.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _client_fk() -> sa.Column:
    return sa.Column("client_id", sa.String(64),
                     sa.ForeignKey("sandbox_clients.id", ondelete="CASCADE"), nullable=False)


def _badge_fk() -> sa.Column:
    return sa.Column("badge_id", sa.String(32),
                     sa.ForeignKey("sandbox_badges.id", ondelete="CASCADE"), nullable=False)


def _times() -> list[sa.Column]:
    return [sa.Column("ctime", sa.BigInteger(), nullable=False),
            sa.Column("mtime", sa.BigInteger(), nullable=False)]


def upgrade() -> None:
    op.create_table(
        "sandbox_clients",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("secret_hash", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        *_times(),
    )
    op.create_table(
        "sandbox_badges",
        sa.Column("id", sa.String(32), primary_key=True),
        _client_fk(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("criteria", sa.Text(), nullable=False),
        sa.Column("image", sa.String(500), nullable=True),
        sa.Column("category", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("expires_months", sa.Integer(), nullable=False),
        sa.Column("draft", sa.Boolean(), nullable=False),
        *_times(),
    )
    op.create_index("ix_sandbox_badges_client_id", "sandbox_badges", ["client_id"])
    op.create_table(
        "sandbox_events",
        sa.Column("id", sa.String(32), primary_key=True),
        _client_fk(),
        _badge_fk(),
        sa.Column("issued_on", sa.BigInteger(), nullable=False),
        sa.Column("expires_on", sa.BigInteger(), nullable=True),
        sa.Column("api_consumer_id", sa.String(64), nullable=True),
        sa.Column("log_entry", sa.JSON(), nullable=True),
        *_times(),
    )
    op.create_index("ix_sandbox_events_client_id", "sandbox_events", ["client_id"])
    op.create_index("ix_sandbox_events_badge_id", "sandbox_events", ["badge_id"])
    op.create_index("ix_sandbox_events_ctime", "sandbox_events", ["ctime"])
    op.create_table(
        "sandbox_recipients",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_id", sa.String(32),
                  sa.ForeignKey("sandbox_events.id", ondelete="CASCADE"), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("assertion_id", sa.String(64), nullable=False, unique=True),
        sa.Column("receive_token", sa.String(64), nullable=False, unique=True),
        sa.Column("received", sa.Boolean(), nullable=False),
        sa.Column("in_passport", sa.Boolean(), nullable=False),
        sa.Column("pdf_downloaded", sa.Boolean(), nullable=False),
        sa.Column("revoked_on", sa.BigInteger(), nullable=True),
        sa.UniqueConstraint("event_id", "email", name="uq_sandbox_recipients_event_email"),
    )
    op.create_index("ix_sandbox_recipients_event_id", "sandbox_recipients", ["event_id"])
    op.create_index("ix_sandbox_recipients_email", "sandbox_recipients", ["email"])
    op.create_table(
        "sandbox_earnable_badges",
        sa.Column("id", sa.String(32), primary_key=True),
        _client_fk(),
        _badge_fk(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("approval_method", sa.String(16), nullable=False),
        sa.Column("visible", sa.Boolean(), nullable=False),
        *_times(),
    )
    op.create_index("ix_sandbox_earnable_badges_client_id", "sandbox_earnable_badges",
                    ["client_id"])
    op.create_index("ix_sandbox_earnable_badges_badge_id", "sandbox_earnable_badges",
                    ["badge_id"])
    op.create_table(
        "sandbox_tokens",
        sa.Column("token", sa.String(64), primary_key=True),
        _client_fk(),
        sa.Column("issued_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_sandbox_tokens_client_id", "sandbox_tokens", ["client_id"])
    op.create_index("ix_sandbox_tokens_expires_at", "sandbox_tokens", ["expires_at"])


def downgrade() -> None:
    for table in ("sandbox_tokens", "sandbox_earnable_badges", "sandbox_recipients",
                  "sandbox_events", "sandbox_badges", "sandbox_clients"):
        op.drop_table(table)
