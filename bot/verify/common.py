"""What the 2.0 and 3.0 verifiers share: fetching JSON under one deadline, dates,
recipient hashes, keys (did:key, did:jwk, JWK) and limits on what a document may be."""

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TypeGuard
from urllib.parse import urlsplit

import base58
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from bot.privacy import normal_email
from bot.verify.fetch import Fetched, FetchError, FetchPolicy, fetch
from bot.verify.result import INVALID, UNVERIFIABLE, VerifyFailure

# A badge needs a handful of documents (assertion, badge class, issuer, key, revocation
# list): more than this is a loop or an abuse.
MAX_FETCHES = 8
# A badge is a small tree: an OB 3.0 credential with endorsements is about 10 levels
# deep and a few hundred values. Past these limits a document is refused before any
# other code (JSON-LD, recursion in our own checks) walks it.
MAX_DEPTH = 32
MAX_VALUES = 20_000
# Multicodec prefixes (varints) of the public keys that a did:key may hold.
ED25519_PUB = b"\xed\x01"
P256_PUB = b"\x80\x24"
P384_PUB = b"\x81\x24"


@dataclass
class Context:
    """One verification: how to fetch, when "now" is, who asks, and when it must end
    (`deadline`, on the monotonic clock: every fetch gets what is left of it)."""

    policy: FetchPolicy
    email: str | None = None  # the identified person's e-mail, lower case
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    deadline: float | None = None
    fetches: int = 0
    cache: dict[str, Fetched] = field(default_factory=dict)

    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    async def get(self, url: str) -> Fetched:
        if not isinstance(url, str):
            raise VerifyFailure(UNVERIFIABLE, "lien_invalide", "not a string")
        if url in self.cache:
            return self.cache[url]
        self.fetches += 1
        if self.fetches > MAX_FETCHES:
            raise VerifyFailure(UNVERIFIABLE, "trop_de_liens", url)
        remaining = self.remaining()
        if remaining is not None and remaining <= 0:
            raise VerifyFailure(UNVERIFIABLE, "verification_trop_longue", url)
        try:
            found = await fetch(url, self.policy, budget=remaining)
        except FetchError as error:
            raise VerifyFailure(UNVERIFIABLE, error.code, str(error)) from error
        self.cache[url] = found
        return found

    async def get_json(self, url: str, missing: str = "lien_injoignable") -> dict:
        found = await self.get(url)
        if found.status >= 400:
            raise VerifyFailure(UNVERIFIABLE, missing, f"{url}: HTTP {found.status}")
        return parse_json(found.body, url)


def parse_json(data: bytes | str, where: str = "") -> dict:
    """A JSON object, within the limits above; UNVERIFIABLE `document_illisible` else."""
    try:
        if isinstance(data, bytes):
            data = data.decode("utf-8-sig")
        document = json.loads(data)
    except (ValueError, RecursionError) as error:  # RecursionError: "[[[[…" very deep
        raise VerifyFailure(UNVERIFIABLE, "document_illisible", where) from error
    if not isinstance(document, dict):
        raise VerifyFailure(UNVERIFIABLE, "document_illisible", where)
    check_limits(document, where)
    return document


def check_limits(document, where: str = "") -> None:
    """Refuses a document deeper or bigger than a badge can be (walked without recursion)."""
    stack, values = [(document, 1)], 0
    while stack:
        value, depth = stack.pop()
        values += 1
        if depth > MAX_DEPTH or values > MAX_VALUES:
            raise VerifyFailure(UNVERIFIABLE, "document_trop_complexe", where)
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)


def parse_date(value) -> datetime | None:
    """An ISO 8601 date-time (or a Unix time in seconds), in UTC. None when absent; a
    date that is there but cannot be read (wrong type, out of range) stops the check:
    a badge whose end date cannot be read cannot be said valid."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, timezone.utc)
        if isinstance(value, str) and len(value) <= 64:
            text = value.strip()
            if text.isascii() and text.isdigit():
                return datetime.fromtimestamp(int(text), timezone.utc)
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=timezone.utc)
            return parsed.astimezone(timezone.utc)
    except (ValueError, OverflowError, OSError) as error:
        raise VerifyFailure(UNVERIFIABLE, "date_illisible", repr(value)[:40]) from error
    raise VerifyFailure(UNVERIFIABLE, "date_illisible", type(value).__name__)


def identity_matches(email: str, identity: str, hashed: bool, salt: str | None) -> bool:
    """Whether an Open Badges identity (plain, or `sha256$hex` / `md5$hex` of
    identity + salt) is this e-mail address. Addresses compare in lower case."""
    email = normal_email(email)
    identity = identity.strip() if isinstance(identity, str) else ""
    salt = salt if isinstance(salt, str) else ""
    if not hashed:
        return normal_email(identity).removeprefix("mailto:") == email
    algorithm, _, digest = identity.partition("$")
    if not digest:  # some issuers leave the algorithm out
        algorithm, digest = "sha256", identity
    algorithm = algorithm.lower()
    if algorithm not in ("sha256", "md5"):
        return False
    computed = hashlib.new(algorithm, (email + salt).encode("utf-8", "replace")).hexdigest()
    return hmac.compare_digest(computed.encode(), digest.lower().encode("utf-8", "replace"))


def b64url_decode(part: str) -> bytes:
    if not isinstance(part, str) or not part.isascii():
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def jws_parts(token: str) -> tuple[dict, dict]:
    """Header and payload of a compact JWS, unverified (to find the key)."""
    try:
        header_part, payload_part, _signature = token.split(".")
        header = json.loads(b64url_decode(header_part))
        payload = json.loads(b64url_decode(payload_part))
    except (ValueError, UnicodeDecodeError, RecursionError, AttributeError) as error:
        raise VerifyFailure(UNVERIFIABLE, "signature_illisible", "not a compact JWS") from error
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise VerifyFailure(UNVERIFIABLE, "signature_illisible", "JWS parts are not objects")
    check_limits(header, "JWS header")
    check_limits(payload, "JWS payload")
    return header, payload


def multibase_decode(value: object) -> bytes:
    """base58btc multibase (`z…`), the only base that Multikey and eddsa proofs use."""
    if not isinstance(value, str) or not value.startswith("z") or len(value) > 4096:
        raise VerifyFailure(UNVERIFIABLE, "cle_illisible", "not base58btc multibase")
    try:
        return base58.b58decode(value[1:])
    except ValueError as error:
        raise VerifyFailure(UNVERIFIABLE, "cle_illisible", "bad base58") from error


def key_from_multikey(value: str):
    """The public key of a Multikey value (`z6Mk…` Ed25519, `zDn…` P-256, `z82…` P-384)."""
    raw = multibase_decode(value)
    try:
        if raw.startswith(ED25519_PUB) and len(raw) == 34:
            return ed25519.Ed25519PublicKey.from_public_bytes(raw[2:])
        if raw.startswith(P256_PUB) and len(raw) == 35:
            return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw[2:])
        if raw.startswith(P384_PUB) and len(raw) == 51:
            return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP384R1(), raw[2:])
    except ValueError as error:  # not a point of the curve
        raise VerifyFailure(UNVERIFIABLE, "cle_illisible", "bad Multikey point") from error
    raise VerifyFailure(UNVERIFIABLE, "cle_non_geree", "Multikey of another kind")


def ed25519_from_multikey(value: str) -> ed25519.Ed25519PublicKey:
    key = key_from_multikey(value)
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise VerifyFailure(UNVERIFIABLE, "cle_non_geree", "not an Ed25519 Multikey")
    return key


def did_base(did: str) -> str:
    return did.split("#", 1)[0]


def did_key(did: str):
    """The key of a `did:key:z…` (Ed25519 or P-256/P-384), with or without a `#fragment`."""
    return key_from_multikey(did_base(did).removeprefix("did:key:"))


def did_key_ed25519(did: str) -> ed25519.Ed25519PublicKey:
    return ed25519_from_multikey(did_base(did).removeprefix("did:key:"))


def did_jwk(did: str):
    """The key of a `did:jwk:<base64url JWK>` (the `#0` fragment names it)."""
    try:
        jwk = json.loads(b64url_decode(did_base(did).removeprefix("did:jwk:")))
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise VerifyFailure(UNVERIFIABLE, "cle_illisible", "did:jwk") from error
    if not isinstance(jwk, dict):
        raise VerifyFailure(UNVERIFIABLE, "cle_illisible", "did:jwk is not a JWK")
    return key_from_jwk(jwk)


PUBLIC_JWK_MEMBERS = ("kty", "crv", "x", "y", "n", "e")


def key_from_jwk(jwk) -> object:
    """The public key of a JWK (its private members, if any, are left out)."""
    if not isinstance(jwk, dict) or not isinstance(jwk.get("kty"), str):
        raise VerifyFailure(UNVERIFIABLE, "cle_illisible", "not a JWK")
    public = {k: jwk[k] for k in PUBLIC_JWK_MEMBERS if k in jwk}
    if any(not isinstance(v, str) or len(v) > 2048 for v in public.values()):
        raise VerifyFailure(UNVERIFIABLE, "cle_illisible", "JWK members")
    try:
        key = jwt.PyJWK(public).key
    except Exception as error:  # PyJWT raises several kinds on a bad JWK
        raise VerifyFailure(UNVERIFIABLE, "cle_illisible", type(error).__name__) from error
    return _usable(key)


def _usable(key):
    """Only the kinds of public keys that badges use, of sizes that cost little to use."""
    if not isinstance(key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey,
                            ed25519.Ed25519PublicKey)):
        raise VerifyFailure(UNVERIFIABLE, "cle_non_geree", type(key).__name__)
    if isinstance(key, rsa.RSAPublicKey) and (key.key_size > 8192
                                              or key.public_numbers().e > 2 ** 32):
        raise VerifyFailure(UNVERIFIABLE, "cle_non_geree", "RSA key too big")
    return key


def key_from_pem(pem) -> object:
    if not isinstance(pem, str) or len(pem) > 20_000:
        raise VerifyFailure(UNVERIFIABLE, "cle_illisible", "no PEM")
    try:
        key = serialization.load_pem_public_key(pem.encode("utf-8", "replace"))
    except Exception as error:  # ValueError, TypeError, UnsupportedAlgorithm …
        raise VerifyFailure(UNVERIFIABLE, "cle_illisible", type(error).__name__) from error
    return _usable(key)


def same_key(a, b) -> bool:
    def spki(key) -> bytes:
        return key.public_bytes(serialization.Encoding.DER,
                                serialization.PublicFormat.SubjectPublicKeyInfo)
    return spki(a) == spki(b)


# Which key each JWS algorithm needs: another kind of key is not the signer's.
ALGORITHM_CURVES = {"ES256": "secp256r1", "ES384": "secp384r1", "ES512": "secp521r1"}


def check_algorithm(key, algorithm: str) -> None:
    if algorithm == "EdDSA":
        ok = isinstance(key, ed25519.Ed25519PublicKey)
    elif algorithm in ALGORITHM_CURVES:
        ok = isinstance(key, ec.EllipticCurvePublicKey) \
            and key.curve.name == ALGORITHM_CURVES[algorithm]
    elif algorithm[:2] in ("RS", "PS"):
        ok = isinstance(key, rsa.RSAPublicKey)
    else:
        ok = False
    if not ok:
        raise VerifyFailure(INVALID, "signature_fausse", f"{algorithm} with {type(key).__name__}")


SIGNATURE_BYTES = {"EdDSA": 64, "ES256": 64, "ES384": 96, "ES512": 132}


def verify_jws_signature(token: str, key, algorithm: str) -> None:
    """The signature of a compact JWS by `key`; INVALID `signature_fausse` when it fails,
    UNVERIFIABLE `signature_illisible` when it is not even a signature of the right size
    (a JWS cut short)."""
    check_algorithm(key, algorithm)
    try:
        signature = b64url_decode(token.rsplit(".", 1)[1])
    except (ValueError, IndexError) as error:
        raise VerifyFailure(UNVERIFIABLE, "signature_illisible", "signature part") from error
    expected = SIGNATURE_BYTES.get(algorithm) or (key.key_size + 7) // 8
    if len(signature) != expected:
        raise VerifyFailure(UNVERIFIABLE, "signature_illisible", f"{len(signature)} bytes")
    try:
        jwt.PyJWS().decode(token, key, algorithms=[algorithm])
    except jwt.PyJWTError as error:
        raise VerifyFailure(INVALID, "signature_fausse", str(error)[:80]) from error
    except (ValueError, TypeError) as error:
        raise VerifyFailure(INVALID, "signature_fausse", type(error).__name__) from error


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


def web_url(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


def _split(url: str):
    try:
        parts = urlsplit(url)
        return parts.scheme, (parts.hostname or "").lower(), parts.port
    except ValueError:  # a bad port, brackets …
        return None


def same_origin(a: str, b: str) -> bool:
    """Scheme, host and port: the web's origin."""
    left, right = _split(a) if isinstance(a, str) else None, _split(b) if isinstance(b, str) else None
    if left is None or right is None or left[0] not in ("http", "https") or not left[1]:
        return False
    default = {"http": 80, "https": 443}
    return (left[0], left[1], left[2] or default[left[0]]) == \
        (right[0], right[1], right[2] or default.get(right[0]))


def host_of(url) -> str | None:
    """The host name of a web address, without its port, in lower case."""
    parts = _split(url) if isinstance(url, str) else None
    return parts[1] if parts and parts[1] else None
