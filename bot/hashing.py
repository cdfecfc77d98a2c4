"""The one way Bagou keeps a password, a recovery code or a client secret: an argon2id
hash with argon2-cffi's defaults (RFC 9106 « second recommended »: 64 MiB, t=3, p=4),
memory-hard, so that a leaked table does not let anyone try secrets quickly."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

HASHER = PasswordHasher()


def hash_secret(secret: str) -> str:
    return HASHER.hash(secret)


def verify_secret(stored: str, secret: str) -> bool:
    """Whether `secret` is the one `stored` was made from (in constant time); False for
    a wrong secret and for a value that is not an argon2 hash, never an error."""
    try:
        return HASHER.verify(stored, secret)
    except (VerificationError, InvalidHashError):
        return False
