"""The Point Info Badge that the OBF sandbox issues, checked by Bagou's own checker
(issue 22, item 3): an Open Badges 3.0 credential whose eddsa-rdfc-2022 proof is made
by the organisation's key (bot/obf_sandbox/signing.py) and verified by
bot/verify/data_integrity.py, with the key read from the issuer's identifier only.

The sandbox runs in the gateway (TestClient); the credential is given to the checker
as a pasted document, as a person does with the JSON of their badge."""

import asyncio
import copy

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from bot.app import create_app
from bot.obf.settings import SANDBOX_POINT_INFO_BADGE_ID
from bot.obf_sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from bot.ops.supervisor import throwaway_settings
from bot.verify import data_integrity
from bot.verify.answer import replies_for
from bot.verify.fetch import FetchPolicy
from bot.verify.inputs import DOCUMENT, Candidate
from bot.verify.result import INVALID, VALID, VerifyFailure
from bot.verify.service import Verifier
from tests.helpers import badges
from tests.helpers.fuzz import FUZZ, assert_documented, mutate

BASE = "/obf-sandbox"
LEARNER = "nouvelle.apprenante@example.org"
LEA = "lea.martin@example.org"
# No fetch is needed for a did:key issuer: loopback stays refused, as in production.
POLICY = FetchPolicy(timeout=2, max_bytes=200_000)


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return throwaway_settings(tmp_path_factory.mktemp("verify-sandbox"))


@pytest.fixture(scope="module")
def gateway(settings):
    with TestClient(create_app(settings)) as client:
        yield client


def token(gateway) -> dict:
    response = gateway.post(f"{BASE}/v2/client/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET})
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def credential_of(gateway, email: str, badge_id: str | None = None) -> dict:
    """The credential of the learner's (newest) badge, read at its public address."""
    params = {"email": email, **({"badge_id": badge_id} if badge_id else {})}
    rows = gateway.get(f"{BASE}/v2/event/{DEMO_CLIENT_ID}/recipient", headers=token(gateway),
                       params=params).json()["result"]
    row = next(r for r in rows if not r["revoked"])
    response = gateway.get(row["assertion_json_url"])
    assert response.status_code == 200
    return response.json()


@pytest.fixture(scope="module")
def point_info(gateway) -> dict:
    """A Point Info Badge issued now, through the sandbox's OBF v2 issue route."""
    response = gateway.post(f"{BASE}/v2/event/{DEMO_CLIENT_ID}/{SANDBOX_POINT_INFO_BADGE_ID}/issue",
                            headers=token(gateway),
                            json={"recipient": [{"email": LEARNER, "name": "Nouvelle"}]})
    assert response.status_code == 201, response.text
    return credential_of(gateway, LEARNER, SANDBOX_POINT_INFO_BADGE_ID)


def check(document, email: str | None = LEARNER):
    verdict = asyncio.run(Verifier(POLICY).verify(Candidate(DOCUMENT, document, "texte"), email))
    assert_documented(verdict)
    return verdict


# --- valid ---------------------------------------------------------------------------

def test_the_point_info_badge_of_the_sandbox_is_valid(point_info):
    assert point_info["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    proof = point_info["proof"]
    assert (proof["type"], proof["cryptosuite"], proof["proofPurpose"]) == (
        "DataIntegrityProof", "eddsa-rdfc-2022", "assertionMethod")
    issuer = point_info["issuer"]["id"]
    assert issuer.startswith("did:key:z6Mk")
    assert proof["verificationMethod"].startswith(issuer + "#")

    verdict = check(point_info)
    assert (verdict.status, verdict.reason, verdict.version) == (VALID, "preuve_ok", "3.0")
    assert verdict.badge_name == "Point Info Badge"
    assert verdict.issuer_name == "Lieux de la reconnaissance — démo"
    assert "Je sais expliquer" in verdict.description and "endossement" in verdict.criteria
    assert verdict.recipient_match is True
    assert check(point_info, "quelqu.un@example.org").recipient_match is False
    assert replies_for(verdict)


def test_the_badges_of_the_demo_data_are_signed_too(gateway):
    verdict = check(credential_of(gateway, LEA), LEA)
    assert verdict.status == VALID and verdict.recipient_match is True


def test_the_same_badge_gives_the_same_credential_after_a_restart(gateway, settings,
                                                                  point_info):
    assert credential_of(gateway, LEARNER, SANDBOX_POINT_INFO_BADGE_ID) == point_info
    # The key comes from the database, not from the process: a new gateway on the
    # same database signs with the same key.
    with TestClient(create_app(settings)) as again:
        assert credential_of(again, LEARNER, SANDBOX_POINT_INFO_BADGE_ID) == point_info


# --- changed, or not the issuer's key ------------------------------------------------

def _set(document: dict, path: tuple, value) -> dict:
    changed = copy.deepcopy(document)
    parent = changed
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return changed


@pytest.mark.parametrize("path, value", [
    (("credentialSubject", "achievement", "name"), "Référent Badge"),
    (("credentialSubject", "identifier", 0, "identityHash"), badges.hashed("moi@example.org")),
    (("validFrom",), "2020-01-01T00:00:00Z"),
    (("issuer", "name"), "Une autre structure"),
    (("validUntil",), "2099-01-01T00:00:00Z"),
    (("proof", "created"), "2020-01-01T00:00:00Z"),
])
def test_one_changed_field_is_not_valid(point_info, path, value):
    verdict = check(_set(point_info, path, value))
    assert (verdict.status, verdict.reason) == (INVALID, "preuve_fausse")


def test_another_key_is_not_trusted(point_info):
    unsigned = {k: v for k, v in point_info.items() if k != "proof"}
    other = badges.ed25519_key()
    # Signed with another key, but naming the sandbox's: the signature does not hold.
    forged = data_integrity.sign(unsigned, other, point_info["proof"]["verificationMethod"],
                                 point_info["proof"]["created"])
    assert (check(forged).status, check(forged).reason) == (INVALID, "preuve_fausse")
    # Signed with another key, and naming it: that key is not the issuer's.
    did = badges.did_key(other)
    forged = data_integrity.sign(unsigned, other, f"{did}#{did.removeprefix('did:key:')}",
                                 point_info["proof"]["created"])
    verdict = check(forged)
    assert (verdict.status, verdict.reason) == (INVALID, "cle_pas_a_l_emetteur")


def test_a_proof_without_its_value_or_with_another_suite_is_not_valid(point_info):
    assert check(_set(point_info, ("proof", "proofValue"), "z" + "1" * 60)).status != VALID
    assert check(_set(point_info, ("proof", "cryptosuite"), "eddsa-2022")).status != VALID


# --- property: no change of meaning passes ------------------------------------------

@FUZZ
@given(data=st.data())
def test_a_changed_credential_is_valid_only_when_its_signed_meaning_is_the_same(
        point_info, data):
    """Any one change (a value, a removal, an addition, a list around a value): the
    verdict is documented, and `valid` only when the canonical form that the proof
    covers is exactly the original's (e.g. `"type": "Profile"` for `["Profile"]`)."""
    changed = mutate(data, point_info)
    verdict = check(changed)
    if verdict.status == VALID:
        original = data_integrity.hash_data(point_info, point_info["proof"])
        proof = changed["proof"]
        proof = next(p for p in proof if isinstance(p, dict)) if isinstance(proof, list) else proof
        try:
            assert data_integrity.hash_data(changed, proof) == original
        except VerifyFailure:  # pragma: no cover - a valid verdict canonicalised it
            pytest.fail("valid, but the changed credential cannot be canonicalised")

