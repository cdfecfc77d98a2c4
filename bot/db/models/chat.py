"""Tables of the chat: sessions, messages, feedback on an answer."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models.base import Base, utcnow


class ChatSession(Base):
    __tablename__ = "chat_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_active_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Who is talking (bot.chat.identity), decided by the gateway only. The e-mail is needed
    # to look up the learner's own badges; it is never logged nor sent to the browser.
    identity_kind: Mapped[str] = mapped_column(String(16), default="anonymous")
    identity_email: Mapped[str | None] = mapped_column(String(320))
    identity_name: Mapped[str | None] = mapped_column(String(200))
    # The e-mail and the name, sealed with the server's key for this session
    # (bot/chat/service.identity_columns); the two columns above hold only what sessions
    # bound before it kept, until `bagou purge` blanks them.
    identity_sealed: Mapped[str | None] = mapped_column(Text)
    identity_source: Mapped[str | None] = mapped_column(String(200))
    identity_expires_at: Mapped[datetime | None] = mapped_column()
    # The OBF organisations whose badges this person may see (Identity.organisations):
    # null for all, a list (maybe empty) for a person launched from Moodle.
    identity_organisations: Mapped[list | None] = mapped_column(JSON)


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
