"""`bagou purge`: delete what is older than the retention time, and nothing else.

- chat messages older than BAGOU_RETENTION_DAYS (with the thumbs given on them), then
  the conversations with no message left that were not active within that time;
- the identity (e-mail, name) kept on a conversation once it has expired;
- console sessions that have ended, sign-in attempts older than 30 days;
- audit lines older than BAGOU_AUDIT_RETENTION_DAYS.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import CursorResult, Executable, delete, exists, select, update
from sqlalchemy.orm import Session

from bot.db.models import (ChatFeedback, ChatMessage, ChatSession, ConsoleAudit,
                        ConsoleSession, ConsoleSignInAttempt, utcnow)

ATTEMPTS_KEPT = timedelta(days=30)


@dataclass
class Purged:
    messages: int = 0
    feedback: int = 0
    conversations: int = 0
    identities: int = 0
    console_sessions: int = 0
    sign_in_attempts: int = 0
    audit_lines: int = 0


def _rowcount(db: Session, statement: Executable) -> int:
    """How many rows a DELETE or UPDATE touched."""
    return cast(CursorResult, db.execute(statement)).rowcount


def purge(db: Session, retention_days: int, audit_retention_days: int,
          now: datetime | None = None) -> Purged:
    now = now or utcnow()
    limit = now - timedelta(days=retention_days)
    done = Purged()
    old_messages = select(ChatMessage.id).where(ChatMessage.created_at < limit)
    done.feedback = _rowcount(db, delete(ChatFeedback).where(
        (ChatFeedback.message_id.in_(old_messages)) | (ChatFeedback.created_at < limit)
    ))
    done.messages = _rowcount(db, delete(ChatMessage).where(ChatMessage.created_at < limit))
    has_message = exists().where(ChatMessage.session_id == ChatSession.id)
    # A console session may point at the conversation: its column is set to NULL by the
    # foreign key (SQLite with foreign_keys=ON, PostgreSQL), and here explicitly too.
    empty_old = select(ChatSession.id).where(ChatSession.last_active_at < limit, ~has_message)
    db.execute(update(ConsoleSession).where(ConsoleSession.chat_session_id.in_(empty_old))
               .values(chat_session_id=None))
    done.conversations = _rowcount(db, delete(ChatSession).where(
        ChatSession.last_active_at < limit, ~has_message))
    done.identities = _rowcount(db, update(ChatSession).where(
        ChatSession.identity_expires_at < now,
        ChatSession.identity_email.is_not(None) | ChatSession.identity_sealed.is_not(None)
    ).values(identity_email=None, identity_name=None, identity_sealed=None))
    done.console_sessions = _rowcount(db, delete(ConsoleSession).where(
        ConsoleSession.expires_at < now))
    done.sign_in_attempts = _rowcount(db, delete(ConsoleSignInAttempt).where(
        ConsoleSignInAttempt.at < now - ATTEMPTS_KEPT))
    # A plain SQL delete: the ORM refuses to delete audit lines (bot.console.audit).
    done.audit_lines = _rowcount(db, delete(ConsoleAudit).where(
        ConsoleAudit.at < now - timedelta(days=audit_retention_days)))
    return done
