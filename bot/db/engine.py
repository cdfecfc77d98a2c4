"""Database engine, sessions and schema upgrades (Alembic, run at start-up)."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    parsed, connect_args = make_url(url), {}
    if parsed.get_backend_name() == "postgresql":
        # The driver the app environment ships (psycopg 3), also for a plain postgresql://.
        parsed = parsed.set(drivername="postgresql+psycopg")
        # Our times are UTC; the columns are `timestamp without time zone` (as on SQLite).
        # PostgreSQL turns an aware time into the session's time zone when it stores it,
        # so the session works in UTC whatever the server's TimeZone is.
        connect_args["options"] = "-c timezone=UTC"
    # A server database may restart under us: each checked-out connection is tested
    # first (recovery without a restart). A SQLite file needs no such round trip.
    # The pool holds as many connections as requests may use at once (Starlette's thread
    # pool has 40 threads): with the default 5, every connection beyond them was opened,
    # set up and closed again at each turn under load.
    engine = create_engine(parsed, pool_pre_ping=parsed.get_backend_name() != "sqlite",
                           pool_size=20, max_overflow=20, connect_args=connect_args)
    if engine.dialect.name == "sqlite":
        # WAL lets readers (health, history) go on while a chat turn writes. With WAL,
        # synchronous=NORMAL stays safe from corruption and saves an fsync per turn.
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    return engine


def upgrade_schema(engine: Engine) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def make_sessionmaker(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)


def database_answers(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
