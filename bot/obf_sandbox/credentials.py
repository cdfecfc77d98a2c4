"""Client secrets and OAuth2 access tokens of the sandbox.

Secrets are stored as scrypt hashes. argon2 is not installed and we keep to the
standard library; scrypt is memory-hard, so a leaked table does not let anyone try
secrets quickly, even a weak one that a person typed into seed.yml. Its cost (16 MiB,
a few tens of milliseconds) is paid once per token request, and clients ask for a token
about once an hour.
"""

import hashlib
import hmac
import secrets
import time

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.db.models import SandboxToken

# Interactive-login parameters recommended for scrypt (n = 2^14, r = 8, p = 1).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
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


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = _scrypt(secret, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_secret(secret: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        computed = _scrypt(secret, bytes.fromhex(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    # Constant-time comparison: the answer time says nothing about how close a guess is.
    return hmac.compare_digest(computed, bytes.fromhex(digest))


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(secret.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=64 * 1024 * 1024, dklen=32)


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
