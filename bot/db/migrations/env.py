"""Alembic environment: runs on the connection that bot.db.engine.upgrade_schema gives."""

from alembic import context

from bot.db.engine import make_engine
from bot.db.models import Base
from bot.settings import get_settings

connection = context.config.attributes.get("connection")
if connection is None:  # `alembic` used from the command line
    connection = make_engine(get_settings().database_url).connect()

context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
