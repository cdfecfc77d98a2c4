"""Deletes Rasa's tracker events older than the retention time.

    python /opt/bagou/purge_rasa_tracker.py [DAYS]

`bagou purge` applies BAGOU_RETENTION_DAYS to the gateway's database, where messages
are stored with e-mail addresses, phone numbers and names masked. Rasa's SQL tracker
store (BAGOU_RASA_TRACKER_URL) keeps its own copy of every conversation, as the person
typed it, unmasked, and never deletes it. This script deletes the events older than
DAYS (default: BAGOU_RASA_TRACKER_RETENTION_DAYS, else BAGOU_RETENTION_DAYS, else 90).

Rasa only reads the events of a conversation's current session (sessions end after 60
idle minutes, domain.yml), so a short retention here loses nothing; a day or a week is
enough. Runs in the gateway's image (SQLAlchemy 2, psycopg 3), daily, after
`bagou purge` (deploy/docker-compose.yml `purge`, deploy/k8s/purge-cronjob.yaml).
The table is Rasa 3.6's `events` (timestamp: seconds since the epoch); Rasa 3.6.21 is
the last open-source release, so its schema does not move.
"""

import os
import sys
import time

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def retention_days(argv: list[str]) -> float:
    value = (argv[0] if argv else os.environ.get("BAGOU_RASA_TRACKER_RETENTION_DAYS")
             or os.environ.get("BAGOU_RETENTION_DAYS") or "90")
    days = float(value)
    if days <= 0:
        raise SystemExit("the retention time must be more than 0 days")
    return days


def main(argv: list[str]) -> int:
    url = os.environ.get("BAGOU_RASA_TRACKER_URL", "")
    if not url:
        print("BAGOU_RASA_TRACKER_URL is not set: Rasa keeps no tracker on disk.")
        return 0
    days = retention_days(argv)
    database = make_url(url)
    if database.drivername in ("postgresql", "postgres"):  # Rasa's psycopg2 → our psycopg 3
        database = database.set(drivername="postgresql+psycopg")
    engine = create_engine(database)
    try:
        with engine.begin() as connection:
            deleted = connection.execute(
                text("DELETE FROM events WHERE timestamp < :cutoff"),
                {"cutoff": time.time() - days * 86400},
            ).rowcount
    finally:
        engine.dispose()
    print(f"Rasa tracker: {deleted} events older than {days:g} days deleted.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
