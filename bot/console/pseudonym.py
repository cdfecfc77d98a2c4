"""Keyed pseudonyms: HMAC-SHA256 with the server's key, so that the same learner gets
the same pseudonym in the audit log, but nobody without the key can test an e-mail
address against it (a plain hash of an e-mail is easy to reverse by guessing)."""

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from bot.privacy import normal_email
from bot.settings import Settings


def load_key(settings: Settings) -> bytes:
    """BAGOU_SECRET_KEY, else the key kept in BAGOU_SECRET_KEY_FILE (made once, 0600)."""
    if settings.secret_key:
        return settings.secret_key.encode()
    path: Path = settings.secret_key_file
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secrets.token_hex(32).encode())
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
    return path.read_bytes().strip()


def pseudonym(key: bytes, kind: str, value: str) -> str:
    """`kind` separates the uses (an address and a login never share a pseudonym)."""
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def learner_ref(key: bytes, email: str) -> str:
    return pseudonym(key, "learner", normal_email(email))
