"""What the 2.0 and 3.0 verifiers share: fetching JSON, dates, recipient hashes, keys."""

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

import base58
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bot.verify.fetch import Fetched, FetchError, FetchPolicy, fetch
from bot.verify.result import INVALID, UNVERIFIABLE, VerifyFailure

# A badge needs a handful of documents (assertion, badge class, issuer, key, revocation
# list): more than this is a loop or an abuse.
MAX_FETCHES = 8
# Multicodec prefix of an Ed25519 public key (varint 0xed).
ED25519_PUB = b"\xed\x01"


@dataclass
class Context:
    """One verification: how to fetch, when "now" is, and who asks."""

    policy: FetchPolicy
    email: str | None = None  # the identified person's e-mail, lower case
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    fetches: int = 0
    cache: dict[str, Fetched] = field(default_factory=dict)

    async def get(self, url: str) -> Fetched:
        if url in self.cache:
            return self.cache[url]
        self.fetches += 1
        if self.fetches > MAX_FETCHES:
            raise VerifyFailure(UNVERIFIABLE, "trop_de_liens", url)
        try:
            found = await fetch(url, self.policy)
        except FetchError as error:
            status = INVALID if error.code == "lien_invalide" else UNVERIFIABLE
            raise VerifyFailure(status, error.code, str(error)) from error
        self.cache[url] = found
        return found

    async def get_json(self, url: str, missing: str = "lien_injoignable") -> dict:
        found = await self.get(url)
        if found.status >= 400:
            raise VerifyFailure(UNVERIFIABLE, missing, f"{url}: HTTP {found.status}")
        try:
            document = found.json()
        except ValueError as error:
            raise VerifyFailure(UNVERIFIABLE, "document_illisible", url) from error
        if not isinstance(document, dict):
            raise VerifyFailure(UNVERIFIABLE, "document_illisible", url)
        return document


def parse_date(value) -> datetime | None:
    """An ISO 8601 date-time (or a Unix time in seconds), always timezone-aware."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, timezone.utc)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text), timezone.utc)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def identity_matches(email: str, identity: str, hashed: bool, salt: str | None) -> bool:
    """Whether an Open Badges identity (plain, or `sha256$hex` / `md5$hex` of
    identity + salt) is this e-mail address. Addresses compare in lower case."""
    email = email.strip().lower()
    identity = (identity or "").strip()
    if not hashed:
        return identity.lower().removeprefix("mailto:") == email
    algorithm, _, digest = identity.partition("$")
    if not digest:  # some issuers leave the algorithm out
        algorithm, digest = "sha256", identity
    algorithm = algorithm.lower()
    if algorithm not in ("sha256", "md5"):
        return False
    computed = hashlib.new(algorithm, (email + (salt or "")).encode("utf-8")).hexdigest()
    return hmac.compare_digest(computed, digest.lower())


def b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def jws_parts(token: str) -> tuple[dict, dict]:
    """Header and payload of a compact JWS, unverified (to find the key)."""
    try:
        header_part, payload_part, _signature = token.split(".")
        header = json.loads(b64url_decode(header_part))
        payload = json.loads(b64url_decode(payload_part))
    except (ValueError, UnicodeDecodeError) as error:
        raise VerifyFailure(INVALID, "signature_illisible", "not a compact JWS") from error
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise VerifyFailure(INVALID, "signature_illisible", "JWS parts are not objects")
    return header, payload


def multibase_decode(value: str) -> bytes:
    """base58btc multibase (`z…`), the only base that Multikey and eddsa proofs use."""
    if not isinstance(value, str) or not value.startswith("z"):
        raise VerifyFailure(INVALID, "cle_illisible", "not base58btc multibase")
    try:
        return base58.b58decode(value[1:])
    except ValueError as error:
        raise VerifyFailure(INVALID, "cle_illisible", "bad base58") from error


def ed25519_from_multikey(value: str) -> Ed25519PublicKey:
    raw = multibase_decode(value)
    if not raw.startswith(ED25519_PUB) or len(raw) != 34:
        raise VerifyFailure(UNVERIFIABLE, "cle_non_geree", "not an Ed25519 Multikey")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def did_key_ed25519(did: str) -> Ed25519PublicKey:
    """The key of a `did:key:z6Mk…` (Ed25519), with or without a `#fragment`."""
    method_specific = did.split("#", 1)[0].removeprefix("did:key:")
    return ed25519_from_multikey(method_specific)


def first(value):
    """The first item of a JSON-LD value that may be a list."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def text_of(value) -> str | None:
    """A short text: plain, or a language map / value object (first value)."""
    value = first(value)
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        for key in ("@value", "fr", "en"):
            if isinstance(value.get(key), str):
                return value[key].strip() or None
        for item in value.values():
            if isinstance(item, str):
                return item.strip() or None
    return None


def same_origin(a: str, b: str) -> bool:
    from urllib.parse import urlsplit
    try:
        left, right = urlsplit(a), urlsplit(b)
    except ValueError:
        return False
    return (left.scheme, left.hostname, left.port) == (right.scheme, right.hostname, right.port) \
        and left.scheme in ("http", "https")
