"""Tables of the adviser console (bot/console): users, sessions, sign-in attempts, audit."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db.models.base import Base, utcnow


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
    # Second factor (bot/console/totp.py): the TOTP secret sealed with the server's key
    # (AES-GCM; a copy of the database alone does not give it), on from totp_enabled_at
    # (set while the person has not yet typed a first code: being set up); the time
    # step of the last code accepted, so that a code is never accepted twice.
    totp_secret: Mapped[str | None] = mapped_column(String(200))
    totp_enabled_at: Mapped[datetime | None] = mapped_column()
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)


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


class ConsoleRecoveryCode(Base):
    """A recovery code of the second factor (used once, when the phone is lost): only
    its argon2id hash, as for passwords."""

    __tablename__ = "console_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("console_users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column()


class ConsoleSetting(Base):
    """A console-wide choice of the admins, by name (e.g. "totp_required": "yes")."""

    __tablename__ = "console_settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by: Mapped[str | None] = mapped_column(String(100))
