"""What makes the tests' own set-up cheap, without changing what the code under test does
with it (conftest.py installs all three for the test process; the processes that the
tests start, `bagou run` and the servers, keep everything as it is):

- a migrated SQLite database made once (`make_template`), copied into each new, empty
  SQLite file that a test's engine opens (`copy_template_on_connect`): the gateway's
  start-up migration then finds the schema at its head and does nothing. Running the
  eleven migrations took about 40 ms of CPU per database, for hundreds of databases;
  the copy (SQLite's backup API) takes about 2 ms;
- argon2id at its cheapest (`cheap_hasher`): argon2-cffi's defaults, which Bagou keeps
  (bot/hashing.py), cost about 0.2 s of CPU per hash or check, and the tests make
  thousands (accounts, sign-ins, recovery codes, the sandbox's client secrets); the
  hashes are argon2id hashes all the same;
- one SSL context per set of options (`shared_ssl_contexts`): httpx reads certifi's CA
  bundle again for every client it makes (about 25 ms of CPU), and each app that a test
  makes has its clients (Rasa's, the key sets', the badge checks').
"""

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from argon2 import PasswordHasher, profiles


def cheap_hasher() -> PasswordHasher:
    return PasswordHasher.from_parameters(profiles.CHEAPEST)


def make_template(path: Path) -> Path:
    """A SQLite database at `path`, migrated to the head by the gateway's own upgrade."""
    from bot.db.engine import make_engine, upgrade_schema

    engine = make_engine(f"sqlite:///{path}")
    upgrade_schema(engine)
    engine.dispose()
    return path


def copy_template_on_connect(template: Path) -> Callable:
    """A listener of SQLAlchemy's "connect" event: a connection to a SQLite file that
    holds no table yet gets the template's tables and rows first (an in-memory database,
    or a file that holds anything, is left as it is)."""

    def copy(dbapi_connection, _record) -> None:
        if not isinstance(dbapi_connection, sqlite3.Connection):
            return
        files = [row[2] for row in dbapi_connection.execute("PRAGMA database_list")
                 if row[1] == "main"]
        if not files or not files[0] or Path(files[0]) == template:
            return
        (tables,) = dbapi_connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        if tables:
            return
        source = sqlite3.connect(template)
        try:
            source.backup(dbapi_connection)
        finally:
            source.close()

    return copy


def shared_ssl_contexts(monkeypatch) -> None:
    """httpx's transports make their SSL context with create_ssl_context (httpx 0.28):
    the default verification (certifi's bundle, or SSL_CERT_FILE / SSL_CERT_DIR) is made
    once per set of values; any other `verify` or a `cert` is made as before."""
    from httpx._transports import default

    original, made = default.create_ssl_context, {}

    def create_ssl_context(verify=True, cert=None, trust_env=True):
        if verify is not True or cert is not None:
            return original(verify=verify, cert=cert, trust_env=trust_env)
        key = (trust_env, os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
        if key not in made:
            made[key] = original(verify=True, cert=None, trust_env=trust_env)
        return made[key]

    monkeypatch.setattr(default, "create_ssl_context", create_ssl_context)
