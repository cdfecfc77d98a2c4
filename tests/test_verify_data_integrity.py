"""The eddsa-rdfc-2022 glue (bot/verify/data_integrity.py): the W3C test vector of
vc-di-eddsa, credentials signed here, and contexts that are never fetched."""

import copy
import subprocess
import sys

import pytest

from bot.settings import PROJECT_ROOT
from bot.verify import data_integrity
from bot.verify.common import ed25519_from_multikey
from bot.verify.result import VerifyFailure
from tests.helpers import badges

# W3C vc-di-eddsa 1.0, test vectors (TestVectors/eddsa-rdfc-2022/signedDataInt.json and
# keyPair.json): an Alumni credential signed by the spec's key pair.
W3C_SIGNED = {
    "@context": ["https://www.w3.org/ns/credentials/v2",
                 "https://www.w3.org/ns/credentials/examples/v2"],
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
    "proof": {
        "type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
        "created": "2023-02-24T23:36:38Z",
        "verificationMethod": "https://vc.example/issuers/5678#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        "proofPurpose": "assertionMethod",
        "proofValue": "z21EVs3eXERqTn4acNHT9viboqgzUaQ3kTmhPT3eA8qrVPE7CrQq78WkzctnMX5W4CrzcKnHw8V6dvy5pgWYCU5e9",
    },
}
W3C_PUBLIC_KEY = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
# The examples context of VC 2.0 (https://www.w3.org/ns/credentials/examples/v2), given
# to the loader by this test only: Bagou itself ships no example context.
EXAMPLES = {"https://www.w3.org/ns/credentials/examples/v2":
            {"@context": {"@vocab": "https://www.w3.org/ns/credentials/examples#"}}}


def test_w3c_test_vector_verifies():
    key = ed25519_from_multikey(W3C_PUBLIC_KEY)
    loader = data_integrity.ContextLoader(EXAMPLES)
    data_integrity.verify(W3C_SIGNED, W3C_SIGNED["proof"], key, loader)


def test_w3c_test_vector_changed_fails():
    changed = copy.deepcopy(W3C_SIGNED)
    changed["credentialSubject"]["alumniOf"] = "Another School"
    key = ed25519_from_multikey(W3C_PUBLIC_KEY)
    with pytest.raises(VerifyFailure) as failure:
        data_integrity.verify(changed, changed["proof"], key,
                              data_integrity.ContextLoader(EXAMPLES))
    assert failure.value.reason == "preuve_fausse"


def test_contexts_are_never_fetched():
    # Without the examples context, Bagou refuses rather than fetching it.
    key = ed25519_from_multikey(W3C_PUBLIC_KEY)
    with pytest.raises(VerifyFailure) as failure:
        data_integrity.verify(W3C_SIGNED, W3C_SIGNED["proof"], key)
    assert (failure.value.status, failure.value.reason) == ("unverifiable", "contexte_inconnu")


def test_a_credential_signed_here_verifies_and_a_changed_proof_fails():
    private_key = badges.ed25519_key()
    signed = badges.ob3_signed(private_key)
    data_integrity.verify(signed, signed["proof"], private_key.public_key())
    for field, value in (("created", "2020-01-01T00:00:00Z"),
                         ("verificationMethod", "did:key:zAutre#zAutre")):
        proof = {**signed["proof"], field: value}
        with pytest.raises(VerifyFailure):
            data_integrity.verify(signed, proof, private_key.public_key())
    with pytest.raises(VerifyFailure):
        data_integrity.verify(signed, signed["proof"], badges.ed25519_key().public_key())


def test_shipped_contexts_load():
    loader = data_integrity.ContextLoader()
    for url in data_integrity.CONTEXT_FILES:
        assert "@context" in loader(url)["document"]



def test_importing_the_gateway_changes_nothing_in_pyld_until_a_document_is_canonicalised():
    # In a process of its own: this one has canonicalised documents already.
    script = """
from pyld import canon
original = canon.permutations
import bot.app
from bot.verify import data_integrity
assert canon.permutations is original, "pyld patched on import"
data_integrity.canonize({"@context": {"@vocab": "https://example.org/"}, "name": "x"},
                        data_integrity.ContextLoader())
assert canon.permutations is not original, "canonicalised without the work budget"
"""
    subprocess.run([sys.executable, "-c", script], check=True, cwd=PROJECT_ROOT)
