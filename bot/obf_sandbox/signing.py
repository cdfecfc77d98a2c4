"""The sandbox signs its Open Badges 3.0 credentials, as Open Badge Factory does: an
embedded Data Integrity proof, cryptosuite `eddsa-rdfc-2022`, made with an Ed25519 key
of the organisation whose identifier is that key (`did:key:z6Mk…`, the issuer's `id`
in the credential). A verifier reads the key from the issuer's identifier itself and
needs nothing else: Bagou's checker (bot/verify) then says the badge is valid.

Each organisation's key is derived from its stored secret hash (HMAC-SHA256 with a
label of our own): nothing more to keep, the same key after every restart, another key
in every database (the hash's salt is random) and after `--reset`. DEMO ONLY: whoever
can read the sandbox tables can sign badges in the name of the sandbox, which is no
one's name but the demo's.
"""

import hashlib
import hmac
from functools import lru_cache

import base58
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bot.db.models import SandboxClient
from bot.verify import data_integrity

KEY_LABEL = b"bagou obf-sandbox issuer key ed25519 v1"
ED25519_MULTICODEC = b"\xed\x01"


@lru_cache(maxsize=64)
def _key(secret_hash: str) -> Ed25519PrivateKey:
    seed = hmac.new(secret_hash.encode("utf-8"), KEY_LABEL, hashlib.sha256).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def private_key(client: SandboxClient) -> Ed25519PrivateKey:
    return _key(client.secret_hash)


def issuer_did(client: SandboxClient) -> str:
    """`did:key:z6Mk…`: multibase base58btc of the Ed25519 multicodec and public key."""
    raw = private_key(client).public_key().public_bytes(serialization.Encoding.Raw,
                                                        serialization.PublicFormat.Raw)
    return "did:key:z" + base58.b58encode(ED25519_MULTICODEC + raw).decode("ascii")


def verification_method(client: SandboxClient) -> str:
    """The did:key's one key, named as did:key names it: `did:key:z…#z…`."""
    did = issuer_did(client)
    return f"{did}#{did.removeprefix('did:key:')}"


def sign(credential: dict, client: SandboxClient, created: str) -> dict:
    """The credential with its proof. `created` is the issue time, so that the same
    badge gives the same bytes at every request (Ed25519 signatures are deterministic)."""
    return data_integrity.sign(credential, private_key(client), verification_method(client),
                               created)
