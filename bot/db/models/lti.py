"""What LTI 1.3 launches keep on the server, and the platforms that registered Bagou
(bot/lti)."""

from sqlalchemy import JSON, String, UniqueConstraint
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


class LtiRegistration(Base):
    """A platform that registered Bagou itself (LTI Dynamic Registration, bot/lti/
    registrations.py). Its launches are accepted only once an administrator of Bagou
    approved it in the console; « refused » keeps it refused (and known)."""

    __tablename__ = "lti_registrations"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    deployment_ids: Mapped[list] = mapped_column(JSON)
    auth_login_url: Mapped[str] = mapped_column(String(1000))
    auth_token_url: Mapped[str] = mapped_column(String(1000))
    key_set_url: Mapped[str] = mapped_column(String(1000))
    # What the platform says of itself (openid configuration): product, version, name.
    platform: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[UnixTime]
    # Changed at every decision: the registry reads the table again when it changes.
    updated_at: Mapped[UnixTime]
    decided_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # The OBF organisations (client ids, or "sandbox") whose badges the learners of this
    # Moodle may see, chosen by the administrator who accepts it; null or []: none.
    organisations: Mapped[list | None] = mapped_column(JSON, nullable=True)
