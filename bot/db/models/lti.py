"""What LTI 1.3 launches keep on the server (bot/lti)."""

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models.base import Base, UnixTime


class LtiStorage(Base):
    """What an LTI 1.3 launch needs between two requests, kept on the server (not only in
    cookies, which browsers often block inside a Moodle frame): the state and nonce of each
    login (used once), the launch data, and the tickets that open Bagou in a new window."""

    __tablename__ = "lti_storage"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[dict | list | str | bool | None] = mapped_column(JSON)
    expires_at: Mapped[UnixTime] = mapped_column(index=True)
