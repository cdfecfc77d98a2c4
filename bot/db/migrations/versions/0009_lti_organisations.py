"""The OBF organisations a Moodle's learners may see (issue 21, item 5): chosen per
registration, and kept with the identity of a chat session launched from Moodle.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lti_registrations") as table:
        table.add_column(sa.Column("organisations", sa.JSON(), nullable=True))
    with op.batch_alter_table("chat_sessions") as table:
        table.add_column(sa.Column("identity_organisations", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chat_sessions") as table:
        table.drop_column("identity_organisations")
    with op.batch_alter_table("lti_registrations") as table:
        table.drop_column("organisations")
