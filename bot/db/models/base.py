"""The declarative base and the column types that the tables of every domain share."""

from datetime import datetime, timezone
from typing import Annotated

from sqlalchemy import BigInteger
from sqlalchemy.orm import DeclarativeBase, mapped_column


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


# Times of the OBF sandbox and of LTI storage are unix seconds, as in every OBF answer, so
# no conversion is needed; BIGINT because PostgreSQL's INTEGER ends in 2038.
UnixTime = Annotated[int, mapped_column(BigInteger)]
