"""The declarative base and the column types that the tables of every domain share."""

from datetime import datetime, timezone
from typing import Annotated

from sqlalchemy import BigInteger, DateTime, Dialect
from sqlalchemy.orm import DeclarativeBase, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UtcDateTime(TypeDecorator[datetime]):
    """The one rule for times in the database: stored as naive UTC (`timestamp without
    time zone`, as SQLite keeps them; the PostgreSQL session works in UTC, bot/db/engine.py),
    given to the code as aware UTC. A naive value from the code is taken as UTC.
    The SQLAlchemy documentation's pattern; the columns' DDL is DateTime's, unchanged."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None,
                             dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    # Every `Mapped[datetime]` column of every domain is a UtcDateTime.
    type_annotation_map = {datetime: UtcDateTime}


# Times of the OBF sandbox and of LTI storage are unix seconds, as in every OBF answer, so
# no conversion is needed; BIGINT because PostgreSQL's INTEGER ends in 2038.
UnixTime = Annotated[int, mapped_column(BigInteger)]
