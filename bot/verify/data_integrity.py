"""Data Integrity proofs with the `eddsa-rdfc-2022` cryptosuite (W3C vc-di-eddsa 1.0),
the proof that Open Badge Factory puts in its Open Badges 3.0 credentials.

Written here because no maintained Python library verifies this cryptosuite; the glue
is small and follows the W3C algorithm step by step ("3.3 eddsa-rdfc-2022",
verify proof), on well-kept parts:

- pyld: JSON-LD to RDF and RDF Dataset Canonicalization (RDFC-1.0, the same algorithm
  as URDNA2015, which is its name in pyld);
- cryptography: Ed25519;
- base58: the multibase base58btc of keys and of `proofValue`.

The JSON-LD contexts come from bot/verify/contexts only (a document loader that
refuses every other address): a context changes what a signature covers, so it is
never fetched at run time. tests/test_verify_data_integrity.py checks this code on the
W3C test vector and on credentials signed by the tests.
"""

import copy
import hashlib
import json
import threading
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (Ed25519PrivateKey,
                                                               Ed25519PublicKey)
from pyld import canon, jsonld

from bot.verify.common import multibase_decode, parse_date
from bot.verify.result import INVALID, UNVERIFIABLE, VerifyFailure

import base58

CONTEXT_DIR = Path(__file__).with_name("contexts")
CONTEXT_FILES = {
    "https://www.w3.org/2018/credentials/v1": "credentials-v1.json",
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.json",
    "https://w3id.org/security/data-integrity/v1": "data-integrity-v1.json",
    "https://w3id.org/security/data-integrity/v2": "data-integrity-v2.json",
    "https://w3id.org/security/multikey/v1": "multikey-v1.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context.json": "ob-v3p0-context-3.0.0.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.0.json": "ob-v3p0-context-3.0.0.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json": "ob-v3p0-context-3.0.1.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json": "ob-v3p0-context-3.0.2.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-v3p0-context-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json": "ob-v3p0-extensions.json",
}
CRYPTOSUITE = "eddsa-rdfc-2022"


@lru_cache
def _context(url: str) -> dict:
    return json.loads((CONTEXT_DIR / CONTEXT_FILES[url]).read_text(encoding="utf-8"))


class ContextLoader:
    """pyld document loader over the shipped contexts (plus `extra`, for tests)."""

    def __init__(self, extra: dict[str, dict] | None = None):
        self.extra = extra or {}

    def __call__(self, url: str, _options=None) -> dict:
        key = url.split("#", 1)[0]
        if key in self.extra:
            document = self.extra[key]
        elif key in CONTEXT_FILES:
            document = _context(key)
        else:
            raise jsonld.JsonLdError(f"Context not shipped with Bagou: {url}",
                                     "jsonld.LoadDocumentError",
                                     code="loading remote context failed")
        return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(document)}


def known_context(url) -> bool:
    return isinstance(url, str) and url.split("#", 1)[0] in CONTEXT_FILES


# What canonicalisation may cost. RDFC-1.0 compares blank nodes that look alike by
# trying every order of them ("Hash N-Degree Quads"): a few identical objects nested in
# identical objects (eight of eight: 73 objects) took 100 s, and would go on burning a
# thread after the check's deadline. The algorithm's authors advise bounding that work
# (rdf-canonize has maxWorkFactor): here, at most MAX_PERMUTATIONS orders tried in all
# (under a second; a badge as issuers make it needs none). pyld also adds the values of
# one property one by one with a duplicate check (quadratic: 30,000 values, 10 min), so
# a list of a document that is canonicalised has at most MAX_LD_LIST items.
MAX_PERMUTATIONS = 10_000
MAX_LD_LIST = 256
MAX_LD_VALUES = 5_000


class _TooMuchWork(Exception):
    pass


_work = threading.local()
_permutations = canon.permutations


def _counted_permutations(elements):
    """pyld's permutations, counted against the budget of this thread's canonicalisation
    (no budget: as pyld does). pyld looks the function up in its module at each call."""
    for permutation in _permutations(elements):
        left = getattr(_work, "left", None)
        if left is not None:
            if left <= 0:
                raise _TooMuchWork()
            _work.left = left - 1
        yield permutation


def _bound_pyld() -> None:
    """pyld has no setting for a work limit: canonicalising puts the counted
    permutations in pyld's module, once per process (idempotent), at the one place that
    needs them, so that every path to canonize (the badge check, the sandbox's
    signatures, the tests) has the limit. Importing this module changes nothing in pyld;
    without a budget the counted version does what pyld's does."""
    if canon.permutations is not _counted_permutations:
        canon.permutations = _counted_permutations


def _check_ld_limits(document) -> None:
    stack, values = [document], 0
    while stack:
        value = stack.pop()
        values += 1
        if values > MAX_LD_VALUES:
            raise VerifyFailure(UNVERIFIABLE, "document_trop_complexe", "values")
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            if len(value) > MAX_LD_LIST:
                raise VerifyFailure(UNVERIFIABLE, "document_trop_complexe", "list")
            stack.extend(value)


def canonize(document: dict, loader: ContextLoader) -> str:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document, in "safe mode" (VC Data
    Integrity): a property that no context defines would be dropped from what the
    signature covers, so anyone could add it to a signed badge (a `validUntil` in a
    credential of the 1.1 vocabulary, which does not define it, would hide an end date).
    Such a document is refused instead. Its cost is bounded (above)."""
    _bound_pyld()
    _check_ld_limits(document)
    dropped: list = []
    processor = jsonld.JsonLdProcessor(on_property_dropped=dropped.append)
    _work.left = MAX_PERMUTATIONS
    try:
        dataset = processor.to_rdf(document, {"documentLoader": loader,
                                              "produceGeneralizedRdf": False})
        if dropped:
            raise VerifyFailure(INVALID, "preuve_fausse", f"undefined term {str(dropped[0])[:60]}")
        canonical = canon.URDNA2015().main(dataset, {"algorithm": "URDNA2015",
                                                     "format": "application/n-quads"})
    except VerifyFailure:
        raise
    except _TooMuchWork as error:
        raise VerifyFailure(UNVERIFIABLE, "document_trop_complexe", "canonicalisation") from error
    except jsonld.JsonLdError as error:
        detail = str(error)
        cause = error
        while cause is not None:  # pyld wraps the loader's error several times
            if "not shipped" in str(cause):
                raise VerifyFailure(UNVERIFIABLE, "contexte_inconnu", str(cause)[:200]) from error
            cause = cause.__cause__
        raise VerifyFailure(UNVERIFIABLE, "preuve_illisible", detail[:200]) from error
    except Exception as error:  # pyld on values of unexpected types (TypeError, KeyError …)
        raise VerifyFailure(UNVERIFIABLE, "preuve_illisible", type(error).__name__) from error
    finally:
        _work.left = None
    return canonical


def hash_data(document: dict, proof: dict, loader: ContextLoader | None = None) -> bytes:
    """What the Ed25519 key signs: SHA-256 of the canonical proof options (without
    proofValue, with the document's @context) then SHA-256 of the canonical document
    (without its proof)."""
    loader = loader or ContextLoader()
    _refuse_blank_node_ids(document)
    _refuse_blank_node_ids(proof)
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in options:
        # The document's @context must start with the proof's, in the same order.
        expected = options["@context"] if isinstance(options["@context"], list) else [options["@context"]]
        found = unsecured.get("@context")
        found = found if isinstance(found, list) else [found]
        if found[:len(expected)] != expected:
            raise VerifyFailure(INVALID, "preuve_fausse", "proof @context mismatch")
        unsecured["@context"] = options["@context"]
    options["@context"] = unsecured.get("@context")
    canonical_options = canonize(options, loader)
    canonical_document = canonize(unsecured, loader)
    try:
        return (hashlib.sha256(canonical_options.encode("utf-8")).digest()
                + hashlib.sha256(canonical_document.encode("utf-8")).digest())
    except UnicodeEncodeError as error:
        # A lone surrogate (JSON's « \ud800 »): no signer could have hashed it.
        raise VerifyFailure(UNVERIFIABLE, "badge_mal_forme", "text not in UTF-8") from error


def _refuse_blank_node_ids(document) -> None:
    """Blank nodes named in the document (`"_:b0"`) can tie a graph in knots that make
    canonicalisation take exponential time (RDFC-1.0 "poison graphs"). A badge has no
    use for them: without them, its blank nodes form a tree, which canonicalises fast."""
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if value.startswith("_:"):
                raise VerifyFailure(UNVERIFIABLE, "preuve_non_geree", "named blank node")
        elif isinstance(value, dict):
            stack.extend(value.values())
            stack.extend(value.keys())
        elif isinstance(value, list):
            stack.extend(value)


def check_proof_options(proof: dict) -> None:
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != CRYPTOSUITE:
        raise VerifyFailure(UNVERIFIABLE, "preuve_non_geree",
                            f"{str(proof.get('type'))[:40]}/{str(proof.get('cryptosuite'))[:40]}")
    if proof.get("proofPurpose") != "assertionMethod":
        raise VerifyFailure(INVALID, "preuve_fausse", f"purpose {str(proof.get('proofPurpose'))[:40]}")
    if "created" in proof:
        if parse_date(proof["created"]) is None:  # an unreadable date stops the check
            raise VerifyFailure(UNVERIFIABLE, "date_illisible", "empty created")


def verify(document: dict, proof: dict, public_key: Ed25519PublicKey,
           loader: ContextLoader | None = None) -> None:
    """Raises VerifyFailure unless `proof` is a valid eddsa-rdfc-2022 proof of
    `document` by `public_key`."""
    check_proof_options(proof)
    try:
        signature = multibase_decode(proof.get("proofValue"))
    except VerifyFailure as error:
        raise VerifyFailure(UNVERIFIABLE, "preuve_illisible", "proofValue") from error
    if len(signature) != 64:
        raise VerifyFailure(INVALID, "preuve_fausse", "signature length")
    data = hash_data(document, proof, loader)
    try:
        public_key.verify(signature, data)
    except InvalidSignature as error:
        raise VerifyFailure(INVALID, "preuve_fausse", "Ed25519 signature") from error


def sign(document: dict, private_key: Ed25519PrivateKey, verification_method: str,
         created: str, loader: ContextLoader | None = None) -> dict:
    """The document with an eddsa-rdfc-2022 proof added: for tests and for the demo
    sandbox, never used to verify."""
    proof = {"type": "DataIntegrityProof", "cryptosuite": CRYPTOSUITE, "created": created,
             "verificationMethod": verification_method, "proofPurpose": "assertionMethod"}
    signature = private_key.sign(hash_data(document, proof, loader))
    signed = copy.deepcopy(document)
    signed["proof"] = {**proof, "proofValue": "z" + base58.b58encode(signature).decode()}
    return signed
