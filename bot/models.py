"""Database tables of the gateway (SQLAlchemy 2). Alembic migrations follow these."""

from datetime import datetime, timezone
from typing import Annotated

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


class ChatSession(Base):
    __tablename__ = "chat_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_active_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Who is talking (bot.identity), decided by the gateway only. The e-mail is needed
    # to look up the learner's own badges; it is never logged nor sent to the browser.
    identity_kind: Mapped[str] = mapped_column(String(16), default="anonymous")
    identity_email: Mapped[str | None] = mapped_column(String(320))
    identity_name: Mapped[str | None] = mapped_column(String(200))
    identity_source: Mapped[str | None] = mapped_column(String(200))
    identity_expires_at: Mapped[datetime | None] = mapped_column()


class ChatMessage(Base):
    __tablename__ = "chat_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("chat_sessions.id", ondelete="CASCADE"), index=True
    )
    sender: Mapped[str] = mapped_column(String(8))  # "user" or "bot"
    # Stored with e-mail addresses and phone numbers masked (bot.privacy).
    text: Mapped[str] = mapped_column(Text)
    topic: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # What a bot message offered, so that the widget can show the conversation again
    # after a reload (GET /api/chat/{id}/history): [{title, payload}], [{title, url}].
    buttons: Mapped[list[dict] | None] = mapped_column(JSON)
    links: Mapped[list[dict] | None] = mapped_column(JSON)


class ChatFeedback(Base):
    """A thumb up or down on one answer of the assistant, with the topic it answered."""

    __tablename__ = "chat_feedback"
    # One opinion per answer: a person who changes their mind replaces it.
    __table_args__ = (UniqueConstraint("message_id", name="uq_chat_feedback_message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("chat_sessions.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[int] = mapped_column(
        ForeignKey("chat_messages.id", ondelete="CASCADE")
    )
    value: Mapped[str] = mapped_column(String(4))  # "up" or "down"
    topic: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# --- OBF sandbox (bot/obf_sandbox) ----------------------------------------------------
# An Open Badge Factory–compatible API with demo data, served by the gateway itself.
# Times are unix seconds, as in every OBF answer, so no conversion is needed; BIGINT
# because PostgreSQL's INTEGER ends in 2038.
UnixTime = Annotated[int, mapped_column(BigInteger)]


class SandboxClient(Base):
    """An organisation (OBF "client"); its id is the OAuth2 client_id."""

    __tablename__ = "sandbox_clients"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # scrypt hash of the client secret (bot.obf_sandbox.credentials), never the secret.
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


# --- LTI 1.3 (bot/lti) -----------------------------------------------------------------


class LtiStorage(Base):
    """What an LTI 1.3 launch needs between two requests, kept on the server (not only in
    cookies, which browsers often block inside a Moodle frame): the state and nonce of each
    login (used once), the launch data, and the tickets that open Bagou in a new window."""

    __tablename__ = "lti_storage"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[dict | list | str | bool | None] = mapped_column(JSON)
    expires_at: Mapped[UnixTime] = mapped_column(index=True)


# --- Adviser console (bot/console) ----------------------------------------------------


class ConsoleUser(Base):
    """A person who signs in at /conseiller: an adviser, an editor or an admin."""

    __tablename__ = "console_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(100), unique=True)  # lower-cased
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # adviser | editor | admin
    # argon2id hash (argon2-cffi's PHC string), never the password.
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column()


class ConsoleSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is kept
    here, so that a copy of the database does not open anybody's session. Deleting the
    row ends the session (sign-out, expiry, account disabled)."""

    __tablename__ = "console_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("console_users.id", ondelete="CASCADE"), index=True)
    # Synchronizer token for the forms of this session (CSRF).
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)  # absolute end
    # The chat of the current interview, bound to the adviser (identity kind adviser).
    chat_session_id: Mapped[str | None] = mapped_column(
        ForeignKey("chat_sessions.id", ondelete="SET NULL"))

    user: Mapped["ConsoleUser"] = relationship(lazy="joined")


class ConsoleSignInAttempt(Base):
    """One sign-in attempt, for the lockouts. The login and the address are kept as
    keyed hashes (bot.console.pseudonym): what matters is counting, not reading them."""

    __tablename__ = "console_sign_in_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    login_ref: Mapped[str] = mapped_column(String(64), index=True)
    address_ref: Mapped[str] = mapped_column(String(64), index=True)
    success: Mapped[bool] = mapped_column(default=False)


class ConsoleAudit(Base):
    """Who looked up whose badges, and when. Append-only: the application only adds
    rows (bot.console.audit refuses updates and deletes through the ORM); only
    `bagou purge` removes lines older than BAGOU_AUDIT_RETENTION_DAYS."""

    __tablename__ = "console_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # The login is copied: the line must stay readable if the account is removed.
    user_login: Mapped[str] = mapped_column(String(100), index=True)
    user_role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))  # e.g. "badges_lookup"
    # HMAC-SHA256 of the normalised e-mail with the server's key: never the e-mail.
    learner_ref: Mapped[str] = mapped_column(String(64), index=True)
    consent: Mapped[bool] = mapped_column()
    outcome: Mapped[str] = mapped_column(String(32))  # "ok", "partial", an OBF error kind
    badge_count: Mapped[int | None] = mapped_column()
