"""Server-side console sessions.

The cookie holds 32 random bytes; the database keeps their SHA-256 only. A session
ends when its row goes: sign-out, BAGOU_CONSOLE_IDLE_MINUTES without a request,
BAGOU_CONSOLE_SESSION_HOURS after sign-in, or the account disabled.

Cookie: HttpOnly (no script reads it), Secure (only sent over https, and over
http://127.0.0.1 or localhost, which browsers treat as secure), SameSite=Lax (not sent
with another site's forms; a link from an e-mail still opens the console), Path
/conseiller (the rest of the gateway never sees it).
"""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot.db.models import ConsoleSession, ConsoleUser, utcnow

COOKIE = "bagou_conseiller"
# The sign-in form comes before any session: its CSRF token is also put in this
# cookie, and both must match (double submit).
SIGN_IN_COOKIE = "bagou_connexion"
COOKIE_PATH = "/conseiller"
# Refresh last_seen_at at most this often: a page view should not always write.
TOUCH_EVERY = timedelta(minutes=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def open_session(db: Session, user: ConsoleUser, hours: float,
                 now: datetime | None = None) -> str:
    """A new session for `user`; returns the token for the cookie."""
    now = now or utcnow()
    token = new_token()
    db.add(ConsoleSession(token_hash=token_hash(token), user_id=user.id,
                          csrf_token=secrets.token_urlsafe(32), created_at=now,
                          last_seen_at=now, expires_at=now + timedelta(hours=hours)))
    return token


def find_session(db: Session, token: str | None, idle_minutes: int,
                 now: datetime | None = None) -> ConsoleSession | None:
    """The live session of this cookie, or None (and an expired one is deleted)."""
    if not token or len(token) > 100:
        return None
    session = db.get(ConsoleSession, token_hash(token))
    if session is None:
        return None
    now = now or utcnow()
    idle_end = session.last_seen_at + timedelta(minutes=idle_minutes)
    if session.expires_at <= now or idle_end <= now or not session.user.active:
        db.delete(session)
        return None
    if now - session.last_seen_at >= TOUCH_EVERY:
        session.last_seen_at = now
    return session


def end_sessions(db: Session, user_id, keep: ConsoleSession | None = None) -> None:
    """Every session of an account ends (disabled, new password, second factor changed),
    except `keep`, the one making the change."""
    where = [ConsoleSession.user_id == user_id]
    if keep is not None:
        where.append(ConsoleSession.token_hash != keep.token_hash)
    db.execute(delete(ConsoleSession).where(*where))


def close_session(db: Session, token: str | None) -> None:
    if token:
        db.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == token_hash(token)))


def same_token(expected: str | None, given: str | None) -> bool:
    return bool(expected and given and hmac.compare_digest(expected, given))
