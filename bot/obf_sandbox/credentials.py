"""Client secrets and OAuth2 access tokens of the sandbox.

Secrets are stored as argon2id hashes, as the console's passwords (bot/hashing.py): a
leaked table does not let anyone try secrets quickly, even a weak one that a person typed
into seed.yml. Its cost (about a tenth of a second) is paid once per token request, and
clients ask for a token about once an hour.

Sandboxes seeded before kept scrypt hashes; they are still checked, never rehashed: the
organisation's signing key is derived from the stored hash (signing.py), and a new hash
would make the credentials it signed unverifiable.
"""

import hashlib
import hmac
import secrets
import time

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.db.models import SandboxToken
from bot.hashing import hash_secret
from bot.hashing import verify_secret as verify_argon2

__all__ = ["clock", "hash_secret", "issue_token", "token_is_valid", "verify_secret"]

# Real OBF only says that tokens are short-lived; clients refresh on 403 anyway.
TOKEN_LIFETIME = 3600
# OBF allows one new token per client every ten seconds. Rather than answering an error
# inside that window, the sandbox hands back the token it has just made: a client that
# caches its token (as it should) never notices, and one that asks too often keeps
# working without filling the table.
TOKEN_REUSE_WINDOW = 10


def clock() -> int:
    """Unix seconds now; tests replace it to move time forward."""
    return int(time.time())


def verify_secret(secret: str, stored: str) -> bool:
    if not stored.startswith("scrypt$"):
        return verify_argon2(stored, secret)
    try:  # a sandbox seeded before argon2 (see above)
        _, n, r, p, salt, digest = stored.split("$")
        computed = hashlib.scrypt(secret.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n),
                                  r=int(r), p=int(p), maxmem=64 * 1024 * 1024, dklen=32)
    except ValueError:
        return False
    return hmac.compare_digest(computed, bytes.fromhex(digest))


def issue_token(session: Session, client_id: str) -> SandboxToken:
    """A valid token for the client: the one made less than 10 s ago, or a new one."""
    now = clock()
    latest = session.scalars(
        select(SandboxToken).where(SandboxToken.client_id == client_id)
        .order_by(SandboxToken.issued_at.desc()).limit(1)
    ).first()
    if latest and now - latest.issued_at < TOKEN_REUSE_WINDOW and latest.expires_at > now:
        return latest
    # Housekeeping: expired tokens of every client go when a new one is made.
    session.execute(delete(SandboxToken).where(SandboxToken.expires_at <= now))
    token = SandboxToken(token=secrets.token_urlsafe(32), client_id=client_id,
                         issued_at=now, expires_at=now + TOKEN_LIFETIME)
    session.add(token)
    session.commit()
    return token


def token_is_valid(session: Session, token: str, client_id: str) -> bool:
    row = session.get(SandboxToken, token)
    return row is not None and row.client_id == client_id and row.expires_at > clock()
