"""Upgrades the gateway's database schema once, before the gateway replicas start.

    python /opt/bagou/migrate.py        (reads BAGOU_DATABASE_URL like the gateway)

The gateway runs the same Alembic upgrade at start-up (bot/db/engine.py). With several
replicas starting at once on PostgreSQL, those upgrades would race (two CREATE TABLE
of the same table). This step takes a PostgreSQL advisory lock first, so that only one
upgrade runs at a time, wherever it is started from (the one-off `migrate` service of
docker-compose.yml, the init container of each gateway pod). When it is done, the
gateways' own start-up upgrade finds the schema at head and does nothing.
"""

import sys
import time

from sqlalchemy import text

from bot.db.engine import make_engine, upgrade_schema
from bot.settings import Settings

LOCK_KEY = 0x6261676F  # "bago": one advisory lock key for Bagou's schema upgrades


def main() -> int:
    settings = Settings()
    engine = make_engine(settings.database_url)
    started = time.monotonic()
    try:
        if engine.dialect.name == "postgresql":
            with engine.connect() as lock:
                lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": LOCK_KEY})
                try:
                    upgrade_schema(engine)
                finally:
                    lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
        else:  # SQLite: one file, one writer; nothing to serialise across machines
            upgrade_schema(engine)
    finally:
        engine.dispose()
    print(f"Database schema is up to date ({time.monotonic() - started:.1f} s).", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
