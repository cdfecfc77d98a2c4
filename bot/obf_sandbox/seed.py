"""Loads the demo data of seed.yml into the sandbox tables.

Idempotent: an organisation already in the database is left alone, so the gateway can
call `seed_database` at every start and several workers can start at once.
"""

import base64
import calendar
import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import cast

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.db.models import (SandboxBadge, SandboxClient, SandboxEarnableBadge, SandboxEvent,
                        SandboxRecipient, SandboxToken)
from bot.obf_sandbox.credentials import hash_secret
from bot.privacy import normal_email
from bot.yaml_files import read_yaml

SEED_FILE = Path(__file__).with_name("seed.yml")
TABLES = (SandboxToken, SandboxRecipient, SandboxEvent, SandboxEarnableBadge, SandboxBadge,
          SandboxClient)  # children first, for deletion

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Counts:
    clients: int
    badges: int
    events: int
    recipients: int
    earnable_badges: int


def load_seed(path: Path = SEED_FILE) -> dict:
    return read_yaml(path)


def seed(session: Session, data: dict | None = None) -> int:
    """Adds the organisations of the seed data that are missing; returns how many."""
    data = load_seed() if data is None else data
    added = 0
    for organisation in data.get("organisations") or []:
        if session.get(SandboxClient, organisation["id"]) is None:
            _add_organisation(session, organisation)
            added += 1
    session.commit()
    return added


def seed_database(engine: Engine) -> None:
    """Start-up seeding. Another worker may seed at the same moment: then our inserts
    clash with its rows, and a second try finds the organisations there and adds nothing
    (a real error in the data fails the second try too, and is raised)."""
    with Session(engine) as session:
        try:
            added = seed(session)
        except IntegrityError:
            session.rollback()
            added = seed(session)
    if added:
        log.info("OBF sandbox: %d demo organisation(s) loaded from %s", added, SEED_FILE.name)


def reset(session: Session, data: dict | None = None) -> int:
    """Deletes every sandbox row (tokens included), then loads the seed data again."""
    for table in TABLES:
        session.execute(delete(table))
    return seed(session, data)


def counts(session: Session) -> Counts:
    def count(model) -> int:
        return cast(int, session.scalar(select(func.count()).select_from(model)))

    return Counts(count(SandboxClient), count(SandboxBadge), count(SandboxEvent),
                  count(SandboxRecipient), count(SandboxEarnableBadge))


def stable_id(*parts: str) -> str:
    """An OBF-looking id (13 letters and digits) that depends only on `parts`, so that
    every fresh database gets the same badge and event ids. seed.yml may also give an
    `id` (to mirror a real organisation's badges)."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return base64.b32encode(digest).decode("ascii")[:13]


def unix(value) -> int | None:
    """A YAML date (midnight UTC), datetime, ISO string or number → unix seconds."""
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return int(value.timestamp())
    if isinstance(value, date):
        return calendar.timegm(value.timetuple())
    raise ValueError(f"not a date: {value!r}")


def _add_organisation(session: Session, org: dict) -> None:
    client_id = org["id"]
    created = cast(int, unix(org.get("created")) or unix(date.today()))
    session.add(SandboxClient(
        id=client_id, secret_hash=hash_secret(str(org["secret"])), name=org["name"],
        email=org.get("email", ""), url=org.get("url", ""),
        description=org.get("description", ""), ctime=created, mtime=created,
    ))
    session.flush()  # the tables have no ORM relationship to order the inserts
    badges = {}
    for item in org.get("badges") or []:
        if item["name"] in badges:
            raise ValueError(f"seed: badge {item['name']!r} appears twice")
        badge = SandboxBadge(
            id=item.get("id") or stable_id(client_id, "badge", item["name"]),
            client_id=client_id,
            name=item["name"], description=item.get("description", ""),
            criteria=item.get("criteria", ""), image=item.get("image"),
            category=list(item.get("category") or []), tags=list(item.get("tags") or []),
            expires_months=int(item.get("expires_months") or 0),
            draft=bool(item.get("draft", False)), ctime=created, mtime=created,
        )
        badges[badge.name] = badge
        session.add(badge)
        if item.get("earnable") is not None:
            session.add(_earnable(client_id, badge, item["earnable"], created))
    session.flush()
    for item in org.get("events") or []:
        _add_event(session, client_id, badges, item)
    session.flush()


def _earnable(client_id: str, badge: SandboxBadge, spec: dict, created: int):
    return SandboxEarnableBadge(
        id=spec.get("id") or stable_id(client_id, "earnable", badge.name),
        client_id=client_id,
        badge_id=badge.id, name=spec.get("name", badge.name),
        description=spec.get("description", badge.description),
        approval_method=spec.get("approval_method", "review"),
        visible=bool(spec.get("visible", True)), ctime=created, mtime=created,
    )


def _add_event(session: Session, client_id: str, badges: dict, item: dict) -> None:
    badge = badges.get(item["badge"])
    if badge is None:
        raise ValueError(f"seed: event for unknown badge {item['badge']!r}")
    issued_on = unix(item["issued_on"])
    emails = [normal_email(r["email"]) for r in item["recipients"]]
    event = SandboxEvent(
        id=item.get("id") or stable_id(client_id, "event", badge.name, str(issued_on), *emails),
        client_id=client_id, badge_id=badge.id, issued_on=issued_on,
        expires_on=unix(item.get("expires_on")), api_consumer_id=item.get("api_consumer_id"),
        log_entry=item.get("log_entry"),
        # Events are made when the badge is issued, so `begin`/`end` (which filter on
        # ctime) and issued_on tell the same story.
        ctime=issued_on, mtime=issued_on,
    )
    session.add(event)
    for email, recipient in zip(emails, item["recipients"]):
        session.add(SandboxRecipient(
            event_id=event.id, email=email, name=recipient.get("name", ""),
            assertion_id=secrets.token_hex(16), receive_token=secrets.token_urlsafe(24),
            received=bool(recipient.get("received", False)),
            in_passport=bool(recipient.get("in_passport", False)),
            pdf_downloaded=bool(recipient.get("pdf_downloaded", False)),
            revoked_on=unix(recipient.get("revoked_on")),
        ))
