"""Tables of the OBF sandbox (bot/obf_sandbox): an Open Badge Factory–compatible API with
demo data, served by the gateway itself. Times are unix seconds, as in every OBF answer."""

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db.models.base import Base, UnixTime


class SandboxClient(Base):
    """An organisation (OBF "client"); its id is the OAuth2 client_id."""

    __tablename__ = "sandbox_clients"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # argon2id hash of the client secret (bot.obf_sandbox.credentials), never the secret.
    secret_hash: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    ctime: Mapped[UnixTime]
    mtime: Mapped[UnixTime]


class SandboxBadge(Base):
    __tablename__ = "sandbox_badges"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("sandbox_clients.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    criteria: Mapped[str] = mapped_column(Text, default="")
    # None: the sandbox serves a generated SVG picture for the badge.
    image: Mapped[str | None] = mapped_column(String(500))
    category: Mapped[list[str]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    expires_months: Mapped[int] = mapped_column(default=0)  # OBF `expires`; 0 = never
    draft: Mapped[bool] = mapped_column(default=False)
    ctime: Mapped[UnixTime]
    mtime: Mapped[UnixTime]


class SandboxEvent(Base):
    """One issuing of a badge to one or more recipients."""

    __tablename__ = "sandbox_events"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("sandbox_clients.id", ondelete="CASCADE"), index=True
    )
    badge_id: Mapped[str] = mapped_column(
        ForeignKey("sandbox_badges.id", ondelete="CASCADE"), index=True
    )
    issued_on: Mapped[UnixTime]
    expires_on: Mapped[UnixTime | None]
    api_consumer_id: Mapped[str | None] = mapped_column(String(64))
    log_entry: Mapped[dict | None] = mapped_column(JSON)
    ctime: Mapped[UnixTime] = mapped_column(index=True)
    mtime: Mapped[UnixTime]

    badge: Mapped["SandboxBadge"] = relationship(lazy="joined")
    recipients: Mapped[list["SandboxRecipient"]] = relationship(
        back_populates="event", lazy="selectin", order_by="SandboxRecipient.id"
    )


class SandboxRecipient(Base):
    __tablename__ = "sandbox_recipients"
    __table_args__ = (UniqueConstraint("event_id", "email", name="uq_sandbox_recipients_event_email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(
        ForeignKey("sandbox_events.id", ondelete="CASCADE"), index=True
    )
    # Lower-cased on the way in, so the case-insensitive filter can use the index.
    email: Mapped[str] = mapped_column(String(320), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    # Random, so that a public credential URL cannot be derived from an e-mail address.
    assertion_id: Mapped[str] = mapped_column(String(64), unique=True)
    receive_token: Mapped[str] = mapped_column(String(64), unique=True)
    received: Mapped[bool] = mapped_column(default=False)
    in_passport: Mapped[bool] = mapped_column(default=False)
    pdf_downloaded: Mapped[bool] = mapped_column(default=False)
    revoked_on: Mapped[UnixTime | None]

    event: Mapped["SandboxEvent"] = relationship(back_populates="recipients", lazy="joined")


class SandboxEarnableBadge(Base):
    """A badge that people can apply for (OBF "earnable badge")."""

    __tablename__ = "sandbox_earnable_badges"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("sandbox_clients.id", ondelete="CASCADE"), index=True
    )
    badge_id: Mapped[str] = mapped_column(
        ForeignKey("sandbox_badges.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    approval_method: Mapped[str] = mapped_column(String(16))  # review|instant|secret|peer
    visible: Mapped[bool] = mapped_column(default=True)
    ctime: Mapped[UnixTime]
    mtime: Mapped[UnixTime]


class SandboxToken(Base):
    """An OAuth2 access token. Kept in the database so that every gateway worker agrees.

    Stored in clear, unlike the client secret: the sandbox hands the same token out again
    when it is asked within 10 s (bot.obf_sandbox.credentials), so it must know it. Tokens
    live one hour, and whoever can read this table can read the sandbox data anyway.
    """

    __tablename__ = "sandbox_tokens"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("sandbox_clients.id", ondelete="CASCADE"), index=True
    )
    issued_at: Mapped[UnixTime]
    expires_at: Mapped[UnixTime] = mapped_column(index=True)
