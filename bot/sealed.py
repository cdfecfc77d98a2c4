"""Sealed values: a short text encrypted and authenticated (AES-256-GCM), for one purpose
and one context, so that only who holds the key can read it, and a value sealed for
one conversation cannot be passed off as another's.

- the key of each purpose is HMAC-SHA256(key, "bagou seal <purpose>"): one secret gives
  unrelated keys for unrelated uses;
- the context (a conversation id, a session id) is the associated data: it is not in
  the sealed text, and opening with another context fails;
- the form is "v1:" and the URL-safe base64 of the 12-byte random nonce and the cipher
  text with its 16-byte tag: the same value sealed twice looks different.

Used for the learner's identity on its way through Rasa (bot/identity_ref.py) and for
the identity that the gateway keeps with a chat session (bot/chat/service.py). Standard
library and `cryptography` only: the action server imports it too.
"""

import base64
import hashlib
import hmac
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "v1:"


class Unreadable(ValueError):
    """Not a sealed value, another key, another purpose or context, or altered."""


def purpose_key(key: bytes, purpose: str) -> bytes:
    return hmac.new(key, f"bagou seal {purpose}".encode(), hashlib.sha256).digest()


def seal(key: bytes, context: str, value: str) -> str:
    """`key`: a purpose_key()."""
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(key).encrypt(nonce, value.encode(), context.encode())
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


def unseal(key: bytes, context: str, sealed: str) -> str:
    if not isinstance(sealed, str) or not sealed.startswith(PREFIX):
        raise Unreadable("not a sealed value")
    data = sealed[len(PREFIX):]
    try:
        raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
        return AESGCM(key).decrypt(raw[:12], raw[12:], context.encode()).decode()
    except (InvalidTag, ValueError) as error:  # binascii.Error and UnicodeError too
        raise Unreadable("cannot be opened") from error


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)
