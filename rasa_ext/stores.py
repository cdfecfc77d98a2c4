"""Where Rasa keeps conversations (tracker store) and its per-conversation locks.

By default Rasa keeps both in memory, with the project's endpoints.yml as it is: fine
for one Rasa process. Several Rasa processes must share them, or a conversation whose
turns land on different processes loses its context and two turns of one conversation
may run at once. Then `bagou run` writes a generated endpoints file with Rasa's own
stores: the SQL tracker store on PostgreSQL (its events masked: tracker_store.py) and
the Redis lock store.

Passwords are never written to that file: it says `password: ${VAR}` and the launcher
puts the password in the Rasa processes' environment (Rasa substitutes ${VAR} when it
reads endpoints files). Nothing here logs a URL.

Only the standard library and PyYAML: a Rasa container (Python 3.10, no gateway
dependencies) can import this module to write the same file.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote, urlsplit

import yaml

if TYPE_CHECKING:
    from bot.settings import Settings

ENDPOINTS = Path(__file__).resolve().parent.parent / "endpoints.yml"
GENERATED_NAME = "rasa-endpoints.yml"
# Environment variables of the Rasa processes only, referenced by the generated file.
TRACKER_PASSWORD_VAR = "BAGOU_RASA_TRACKER_PASSWORD"
LOCK_PASSWORD_VAR = "BAGOU_RASA_LOCK_PASSWORD"
# Rasa's SQL tracker store, writing its events masked (no e-mail, phone or name of the
# person in clear: rasa_ext/tracker_store.py, which imports Rasa, hence the name here).
MASKING_SQL_STORE = "rasa_ext.tracker_store.MaskingSQLTrackerStore"

# Rasa's lock store (rasa/core/lock_store.py) reads its lock lifetime from this variable
# once, at import: each turn of a conversation takes a ticket that expires this many
# seconds after it was issued, whatever happens to the process that holds it.
LOCK_LIFETIME_VAR = "TICKET_LOCK_LIFETIME"
# What a resend needs once it has the lock: a turn on a warm Rasa, and Rasa's polling
# of the lock (once a second).
RESEND_BUDGET_S = 2


def lock_lifetime(rasa_timeout: float) -> int:
    """Seconds a Rasa process may keep a conversation's lock (Rasa's default is 60),
    from the gateway's Rasa timeout (BAGOU_RASA_TIMEOUT, 10 s → 8 s).

    Why: a Rasa process that dies in the middle of a turn keeps its ticket in Redis
    until the ticket expires, and every message of that conversation waits behind it,
    on any instance. With 60 s the person got « indisponible » again and again for a
    minute. The gateway gives up on a turn after its timeout anyway, and the widget
    sends a conversation's next message only after the answer (or the apology) came:
    a lock kept longer than the gateway waits only blocks the resend. Shorter than the
    timeout by RESEND_BUDGET_S, a message sent right after such a death is answered by
    another instance before the gateway gives up. The slowest legitimate turn (a badge
    action whose OBF request runs into OBF_TIMEOUT, 5 s) still fits in 8 s.
    Whole seconds: Rasa reads the variable with int()."""
    return max(1, math.ceil(rasa_timeout) - RESEND_BUDGET_S)


class StoreConfigError(ValueError):
    """A store URL that Rasa cannot use; the message never holds the URL itself."""


def tracker_store(url: str) -> tuple[dict, str]:
    """Rasa's SQL tracker store for postgresql://user:password@host:port/db?options,
    and the password to hand over through the environment."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise StoreConfigError("BAGOU_RASA_TRACKER_URL doit commencer par postgresql://.")
    database = parts.path.lstrip("/")
    if not parts.hostname or not database:
        raise StoreConfigError("BAGOU_RASA_TRACKER_URL doit donner un hôte et une base : "
                               "postgresql://utilisateur:mot-de-passe@hôte:5432/base.")
    config = {"type": MASKING_SQL_STORE, "dialect": "postgresql", "url": parts.hostname,
              "port": parts.port or 5432, "db": unquote(database)}
    if parts.username:
        config["username"] = unquote(parts.username)
    password = unquote(parts.password or "")
    if password:
        config["password"] = "${%s}" % TRACKER_PASSWORD_VAR
    if parts.query:  # e.g. sslmode=require, passed on to the driver
        config["query"] = dict(parse_qsl(parts.query))
    return config, password


def lock_store(url: str) -> tuple[dict, str]:
    """Rasa's Redis lock store for redis://[user:password@]host:port/db (rediss:// for
    TLS), and the password to hand over through the environment."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        raise StoreConfigError("BAGOU_RASA_LOCK_URL doit commencer par redis:// ou rediss://.")
    if not parts.hostname:
        raise StoreConfigError("BAGOU_RASA_LOCK_URL doit donner un hôte : redis://hôte:6379/0.")
    db = parts.path.lstrip("/") or "0"
    if not db.isdigit():
        raise StoreConfigError("BAGOU_RASA_LOCK_URL : la base Redis est un nombre (/0).")
    config = {"type": "redis", "url": parts.hostname, "port": parts.port or 6379,
              "db": int(db), "use_ssl": parts.scheme == "rediss",
              # Rasa's key prefix must be alphanumeric; several Bagou may share a Redis.
              "key_prefix": "bagou"}
    if parts.username:
        config["username"] = unquote(parts.username)
    password = unquote(parts.password or "")
    if password:
        config["password"] = "${%s}" % LOCK_PASSWORD_VAR
    return config, password


def topology_error(settings: Settings) -> str | None:
    """Why `bagou run` cannot start Rasa with these settings, in French for the person
    who starts it (names of variables, never a password); None when it can."""
    try:
        if settings.rasa_tracker_url:
            tracker_store(settings.rasa_tracker_url)
        if settings.rasa_lock_url:
            lock_store(settings.rasa_lock_url)
    except StoreConfigError as error:
        return str(error)
    if {settings.port, settings.actions_port} & set(settings.rasa_ports):
        return (f"Les ports de Rasa ({', '.join(map(str, settings.rasa_ports))}) croisent "
                "BAGOU_PORT ou BAGOU_ACTIONS_PORT. Choisissez un autre BAGOU_RASA_PORT.")
    if settings.rasa_instances > 1 and not (settings.rasa_tracker_url and settings.rasa_lock_url):
        return (f"BAGOU_RASA_INSTANCES={settings.rasa_instances} : plusieurs processus Rasa "
                "doivent partager les conversations et les verrous.\n"
                "Donnez BAGOU_RASA_TRACKER_URL (postgresql://…) et BAGOU_RASA_LOCK_URL "
                "(redis://…), ou gardez BAGOU_RASA_INSTANCES=1.")
    return None


def rasa_endpoints(settings: Settings, directory: Path) -> tuple[Path, dict[str, str]]:
    """The endpoints file for `bagou run`'s Rasa processes, and the variables it needs."""
    return endpoints_file(settings.rasa_tracker_url, settings.rasa_lock_url, directory)


def endpoints_file(tracker_url: str, lock_url: str, directory: Path,
                   base: Path = ENDPOINTS) -> tuple[Path, dict[str, str]]:
    """The endpoints file for Rasa, and the environment variables it needs.

    With no store URL, `base` as it is (in-memory stores). Otherwise a copy of `base`
    with the stores added, written to `directory`."""
    if not (tracker_url or lock_url):
        return base, {}
    endpoints = yaml.safe_load(base.read_text(encoding="utf-8")) or {}
    secrets = {}
    if tracker_url:
        endpoints["tracker_store"], secrets[TRACKER_PASSWORD_VAR] = tracker_store(tracker_url)
    if lock_url:
        endpoints["lock_store"], secrets[LOCK_PASSWORD_VAR] = lock_store(lock_url)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / GENERATED_NAME
    path.write_text("# Written from BAGOU_RASA_TRACKER_URL and BAGOU_RASA_LOCK_URL "
                    "(rasa_ext/stores.py); do not edit.\n"
                    + yaml.safe_dump(endpoints, sort_keys=False), encoding="utf-8")
    return path, {name: value for name, value in secrets.items() if value}
