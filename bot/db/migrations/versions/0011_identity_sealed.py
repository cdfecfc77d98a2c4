"""The identity kept with a chat session, sealed (issue 24, item 4): the learner's
e-mail and name in one value encrypted with the server's key for that session, in a
new column (bot/chat/service.identity_columns). Nothing is rewritten: identity_email
and identity_name keep what sessions bound before held, read as before, until
`bagou purge` blanks them when their identity expires (within a day for a site token).

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chat_sessions") as table:
        table.add_column(sa.Column("identity_sealed", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chat_sessions") as table:
        table.drop_column("identity_sealed")
