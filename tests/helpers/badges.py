"""Badges made by the tests themselves, for tests/test_verify*.py: keys generated here,
hosted JSON served on loopback by a small server, baked PNG and SVG images.

Nothing here comes from a real issuer: each test makes the badges it needs, valid or
broken on purpose.
"""

import base64
import gzip
import hashlib
import json
import struct
import threading
import time
import uuid
import zlib
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import base58
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from bot.verify import data_integrity

OB2_CONTEXT = "https://w3id.org/openbadges/v2"
OB3_CONTEXT = ["https://www.w3.org/ns/credentials/v2",
               "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
LEARNER = "lea.martin@example.org"
SALT = "sel-de-test"


def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def hashed(email: str, salt: str = SALT) -> str:
    return "sha256$" + hashlib.sha256((email + salt).encode()).hexdigest()


# --- a small web server on loopback ---------------------------------------------------

class BadgeServer:
    """Serves `routes` {path: (status, content type, body bytes, extra headers)} on
    127.0.0.1; counts the requests per path. `delays` {path: seconds} makes a path
    answer late; `drips` {path: seconds} sends its body one byte at a time, that long
    between bytes (a server that is slow but never silent)."""

    def __init__(self):
        self.routes: dict[str, tuple] = {}
        self.hits: dict[str, int] = {}
        self.delays: dict[str, float] = {}
        self.drips: dict[str, float] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                path = self.path.split("?")[0]
                server.hits[path] = server.hits.get(path, 0) + 1
                status, content_type, body, headers = server.routes.get(
                    path, (404, "text/plain", b"not found", {}))
                time.sleep(server.delays.get(path, 0))
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    if path in server.drips:
                        for i in range(len(body)):
                            self.wfile.write(body[i:i + 1])
                            self.wfile.flush()
                            time.sleep(server.drips[path])
                    else:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the checker gave up: what the test wants

            def log_message(self, *_args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        # shutdown() waits for the serving loop to look at its flag: every 20 ms, not
        # the default 0.5 s that each test paid at its end.
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True,
                                       kwargs={"poll_interval": 0.02})

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def json(self, path: str, document: dict, status: int = 200) -> str:
        self.routes[path] = (status, "application/ld+json", json.dumps(document).encode(), {})
        return self.url + path

    def raw(self, path: str, body: bytes, content_type: str, status: int = 200,
            headers: dict | None = None) -> str:
        self.routes[path] = (status, content_type, body, headers or {})
        return self.url + path

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        self.routes[path] = (status, "text/plain", b"", {"Location": location})
        return self.url + path


# --- Open Badges 2.0 -----------------------------------------------------------------

def ob2_hosted(server: BadgeServer, name: str = "a1", email: str = LEARNER, *,
               expires: datetime | None = None, revoked: bool = False,
               revocation_list: bool = False, issuer_id: str | None = None,
               badge_issuer: str | None = None) -> str:
    """A hosted assertion, its badge class and its issuer on `server`; returns its URL."""
    base = server.url
    issuer = {"@context": OB2_CONTEXT, "id": issuer_id or f"{base}/issuer", "type": "Issuer",
              "name": "Espace badges de Caen", "url": "https://badges.example.org",
              "email": "contact@example.org"}
    if revocation_list:
        issuer["revocationList"] = f"{base}/revocations"
        server.json("/revocations", {"@context": OB2_CONTEXT, "id": f"{base}/revocations",
                                     "type": "RevocationList",
                                     "revokedAssertions": [{"id": f"{base}/assertions/{name}",
                                                            "revocationReason": "erreur"}]})
    server.json("/issuer", issuer)
    server.json("/badge", {"@context": OB2_CONTEXT, "id": f"{base}/badge", "type": "BadgeClass",
                           "name": "Accueil du public", "description": "Accueillir le public.",
                           "image": f"{base}/badge.png",
                           "criteria": {"narrative": "Accueillir des visiteurs pendant 3 mois."},
                           "issuer": badge_issuer or f"{base}/issuer"})
    assertion = {
        "@context": OB2_CONTEXT, "id": f"{base}/assertions/{name}", "type": "Assertion",
        "recipient": {"type": "email", "hashed": True, "salt": SALT, "identity": hashed(email)},
        "badge": f"{base}/badge", "verification": {"type": "hosted"},
        "issuedOn": "2025-07-07T10:00:00Z",
    }
    if expires:
        assertion["expires"] = iso(expires)
    if revoked:
        assertion["revoked"] = True
    return server.json(f"/assertions/{name}", assertion)


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


def pem(private_key) -> str:
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def ob2_signed(server: BadgeServer, private_key, algorithm: str = "RS256", *,
               email: str = LEARNER, key_owner: str | None = None,
               tamper: bool = False, expires: datetime | None = None,
               listed: bool = True) -> str:
    """A signed assertion (JWS); the key, badge class and issuer on `server`. `listed`:
    whether the issuer's Profile lists the key in `publicKey`."""
    base = server.url
    server.json("/issuer", {"@context": OB2_CONTEXT, "id": f"{base}/issuer", "type": "Issuer",
                            "name": "Espace badges de Caen", "url": "https://badges.example.org",
                            "email": "contact@example.org",
                            **({"publicKey": f"{base}/key"} if listed else {})})
    server.json("/badge", {"@context": OB2_CONTEXT, "id": f"{base}/badge", "type": "BadgeClass",
                           "name": "Accueil du public", "description": "Accueillir le public.",
                           "image": f"{base}/badge.png", "criteria": f"{base}/criteres",
                           "issuer": f"{base}/issuer"})
    server.json("/key", {"@context": OB2_CONTEXT, "id": f"{base}/key", "type": "CryptographicKey",
                         "owner": key_owner or f"{base}/issuer", "publicKeyPem": pem(private_key)})
    assertion = {
        "@context": OB2_CONTEXT, "id": f"urn:uuid:{uuid.uuid4()}", "type": "Assertion",
        "recipient": {"type": "email", "hashed": True, "salt": SALT, "identity": hashed(email)},
        "badge": f"{base}/badge", "verification": {"type": "signed", "creator": f"{base}/key"},
        "issuedOn": "2025-07-07T10:00:00Z",
    }
    if expires:
        assertion["expires"] = iso(expires)
    token = jwt.PyJWS().encode(json.dumps(assertion).encode(), private_key, algorithm=algorithm)
    if tamper:
        header, _payload, signature = token.split(".")
        assertion["recipient"]["identity"] = hashed("quelqu.un@example.org")
        payload = base64.urlsafe_b64encode(json.dumps(assertion).encode()).rstrip(b"=").decode()
        token = f"{header}.{payload}.{signature}"
    return token


# --- Open Badges 3.0 -----------------------------------------------------------------

def ed25519_key():
    return ed25519.Ed25519PrivateKey.generate()


def did_key(private_key) -> str:
    raw = private_key.public_key().public_bytes(serialization.Encoding.Raw,
                                                serialization.PublicFormat.Raw)
    return "did:key:z" + base58.b58encode(b"\xed\x01" + raw).decode()


def ob3_credential(issuer: str, email: str = LEARNER, *, valid_until: datetime | None = None,
                   status_url: str | None = None, name: str = "Accueil du public",
                   status: dict | list | None = None) -> dict:
    credential = {
        "@context": list(OB3_CONTEXT),
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": name,
        "issuer": {"id": issuer, "type": ["Profile"], "name": "Lieux de la reconnaissance",
                   "url": "https://badges.example.org"},
        "validFrom": "2025-07-07T10:00:00Z",
        "awardedDate": "2025-07-07T10:00:00Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{"type": "IdentityObject", "identityType": "emailAddress",
                            "hashed": True, "salt": SALT, "identityHash": hashed(email)}],
            "achievement": {
                "id": "urn:uuid:5b6b3b3e-2a53-4b0b-9d0c-0b3f3f6f6f6f", "type": ["Achievement"],
                "name": name, "description": "Accueillir le public.",
                "criteria": {"narrative": "Accueillir des visiteurs pendant 3 mois."},
            },
        },
    }
    if valid_until:
        credential["validUntil"] = iso(valid_until)
    if status_url:
        credential["credentialStatus"] = {"id": status_url, "type": "1EdTechRevocationList"}
    if status is not None:
        credential["credentialStatus"] = status
    return credential


def did_key_p256(private_key) -> str:
    """did:key of a P-256 key: multicodec 0x1200 and the compressed point (`zDn…`)."""
    point = private_key.public_key().public_bytes(serialization.Encoding.X962,
                                                  serialization.PublicFormat.CompressedPoint)
    return "did:key:z" + base58.b58encode(b"\x80\x24" + point).decode()


def did_jwk(private_key) -> str:
    """did:jwk of a key: its public JWK, base64url (the key is named `#0`)."""
    public = private_key.public_key()
    if isinstance(public, ed25519.Ed25519PublicKey):
        jwk = jwt.algorithms.OKPAlgorithm.to_jwk(public)
    else:
        jwk = jwt.algorithms.ECAlgorithm.to_jwk(public)
    return "did:jwk:" + base64.urlsafe_b64encode(jwk.encode()).rstrip(b"=").decode()


def bitstring(revoked: set[int], size: int = 131_072, multibase: bool = True) -> str:
    """The encodedList of a W3C Bitstring Status List with `revoked` indexes set: the
    bits (index 0 = left-most bit of the first byte), gzip, base64url."""
    bits = bytearray(size // 8)
    for index in revoked:
        bits[index // 8] |= 0x80 >> (index % 8)
    encoded = base64.urlsafe_b64encode(gzip.compress(bytes(bits))).rstrip(b"=").decode()
    return ("u" + encoded) if multibase else encoded


def status_list_credential(url: str, issuer: str, encoded: str,
                           purpose: str = "revocation") -> dict:
    return {"@context": ["https://www.w3.org/ns/credentials/v2"], "id": url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": issuer, "validFrom": "2025-01-01T00:00:00Z",
            "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList",
                                  "statusPurpose": purpose, "encodedList": encoded}}


def ob3_signed(private_key, **kwargs) -> dict:
    """An OpenBadgeCredential with an eddsa-rdfc-2022 proof, issuer = the key's did:key."""
    did = did_key(private_key)
    credential = ob3_credential(did, **kwargs)
    return data_integrity.sign(credential, private_key, f"{did}#{did.removeprefix('did:key:')}",
                               iso(now()))


def ob3_jwt(private_key, algorithm: str = "EdDSA", *, kid: str | None = None,
            issuer: str | None = None, header_jwk: dict | None = None, **kwargs) -> str:
    issuer = issuer or did_key(private_key)
    credential = ob3_credential(issuer, **kwargs)
    headers = {"typ": "JWT"}
    if kid:
        headers["kid"] = kid
    elif header_jwk is None:
        headers["kid"] = f"{issuer}#{issuer.removeprefix('did:key:')}"
    if header_jwk:
        headers["jwk"] = header_jwk
    claims = {"vc": credential, "iss": issuer, "jti": credential["id"],
              "nbf": int(datetime(2025, 7, 7, tzinfo=timezone.utc).timestamp()),
              "sub": "urn:uuid:sujet"}
    return jwt.encode(claims, private_key, algorithm=algorithm, headers=headers)


def tamper_jwt(token: str, change) -> str:
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    change(data)
    payload = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{header}.{payload}.{signature}"


# --- baked images --------------------------------------------------------------------

def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png(text: str | None = None, keyword: bytes = b"openbadges", compressed: bool = False) -> bytes:
    """A 1 × 1 PNG, baked with `text` in an iTXt chunk when given."""
    header = _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    pixels = _chunk(b"IDAT", zlib.compress(b"\x00\xff\x80\x00"))
    chunks = [header]
    if text is not None:
        data = text.encode()
        if compressed:
            data = zlib.compress(data)
        chunks.append(_chunk(b"iTXt", keyword + b"\x00" + (b"\x01" if compressed else b"\x00")
                             + b"\x00" + b"\x00" + b"\x00" + data))
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks) + pixels + _chunk(b"IEND", b"")


def svg(content: str | None = None, verify: str | None = None, version: int = 2) -> bytes:
    """A small SVG baked as in the Open Badges 2.0 (assertion) or 3.0 (credential) spec."""
    namespace = "http://openbadges.org" if version == 2 else "https://purl.imsglobal.org/ob/v3p0"
    element = "assertion" if version == 2 else "credential"
    verify_attr = f' verify="{verify}"' if verify else ""
    body = f"<![CDATA[{content}]]>" if content else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="{namespace}" '
            f'viewBox="0 0 10 10">'
            f'<openbadges:{element}{verify_attr}>{body}</openbadges:{element}>'
            f'<circle cx="5" cy="5" r="4" fill="#1d4e89"/></svg>').encode()


def past(days: int = 30) -> datetime:
    return now() - timedelta(days=days)


def future(days: int = 365) -> datetime:
    return now() + timedelta(days=days)
