"""Badge checks that cannot be fooled: keys that must be the issuer's, rules
read only from the issuer's published Profile, « revoked » read first, same origin by
host name, OB 3.0 keys (did:jwk, P-256 and Ed25519 did:key, https keys listed by the
issuer) and status lists (1EdTech Revocation List, W3C Bitstring Status List), one
deadline for a whole check, what the answer says, and which chat turns go to the checker.

Every badge, key, list and slow server is made here; « the attacker » is a second
loopback server with its own key."""

import asyncio
import base64
import json
import time

import jwt
import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.ops.supervisor import free_port
from bot.settings import Settings
from bot.verify import data_integrity
from bot.verify.answer import replies_for, texts
from bot.verify.fetch import FetchPolicy
from bot.verify.inputs import DOCUMENT, JWS, URL, Candidate, find_in_message
from bot.verify.service import Verifier, check_budget
from tests.helpers import badges
from tests.helpers.badges import LEARNER, OB2_CONTEXT, BadgeServer

LOOPBACK = FetchPolicy(timeout=3, max_bytes=200_000, allow_loopback=True)


@pytest.fixture
def server():
    with BadgeServer() as running:
        yield running


@pytest.fixture
def attacker():
    with BadgeServer() as running:
        yield running


def check(candidate: Candidate, email: str | None = LEARNER, policy: FetchPolicy = LOOPBACK):
    return asyncio.run(Verifier(policy).verify(candidate, email))


def link(url: str, **kwargs):
    return check(Candidate(URL, url, "lien"), **kwargs)


def pasted(value, **kwargs):
    return check(Candidate(DOCUMENT if isinstance(value, dict) else JWS, value, "texte"), **kwargs)


def outcome(verdict):
    return verdict.status, verdict.reason


def sign_ob2(assertion: dict, private_key, algorithm: str = "RS256") -> str:
    return jwt.PyJWS().encode(json.dumps(assertion).encode(), private_key, algorithm=algorithm)


def ob2_assertion(badge, creator: str | None, email: str = LEARNER) -> dict:
    assertion = {"@context": OB2_CONTEXT, "id": "urn:uuid:6a1d7c0e-3f4e-4d5b-9a8b-000000000001",
                 "type": "Assertion", "badge": badge, "issuedOn": "2025-07-07T10:00:00Z",
                 "recipient": {"type": "email", "hashed": True, "salt": badges.SALT,
                               "identity": badges.hashed(email)},
                 "verification": {"type": "signed"}}
    if creator:
        assertion["verification"]["creator"] = creator
    return assertion


# --- 1. OB 2.0 signed: the key must be listed by the issuer's published Profile --------

def test_a_badge_signed_with_anyones_key_in_the_name_of_a_real_issuer_is_not_trusted(
        server, attacker):
    badges.ob2_signed(server, badges.rsa_key())  # the real issuer, with its own key
    forger = badges.rsa_key()
    # The forger's key says its owner is the real issuer; so does the forger's badge class.
    attacker.json("/key", {"@context": OB2_CONTEXT, "id": f"{attacker.url}/key",
                           "type": "CryptographicKey", "owner": f"{server.url}/issuer",
                           "publicKeyPem": badges.pem(forger)})
    attacker.json("/badge", {"@context": OB2_CONTEXT, "id": f"{attacker.url}/badge",
                             "type": "BadgeClass", "name": "Licence", "issuer": f"{server.url}/issuer"})
    token = sign_ob2(ob2_assertion(f"{attacker.url}/badge", f"{attacker.url}/key"), forger)
    verdict = pasted(token)
    assert outcome(verdict) == ("invalid", "cle_pas_publiee")
    assert texts()["statuts"]["invalid"] in replies_for(verdict)[0].text


def test_a_profile_embedded_in_the_jws_never_counts(server, attacker):
    badges.ob2_signed(server, badges.rsa_key())
    forger = badges.rsa_key()
    attacker.json("/key", {"id": f"{attacker.url}/key", "type": "CryptographicKey",
                           "owner": f"{server.url}/issuer", "publicKeyPem": badges.pem(forger)})
    embedded = {"id": f"{attacker.url}/badge", "type": "BadgeClass", "name": "Licence",
                "issuer": {"id": f"{server.url}/issuer", "type": "Profile", "name": "Université",
                           "publicKey": [f"{attacker.url}/key"]}}
    token = sign_ob2(ob2_assertion(embedded, f"{attacker.url}/key"), forger)
    assert outcome(pasted(token)) == ("invalid", "cle_pas_publiee")
    # A Profile that lives only inside the badge (no web id to read it at): not trusted.
    embedded["issuer"] = {"id": "urn:uuid:0b5c", "type": "Profile", "name": "Université",
                          "publicKey": [{"id": f"{attacker.url}/key", "owner": "urn:uuid:0b5c",
                                         "publicKeyPem": badges.pem(forger)}]}
    token = sign_ob2(ob2_assertion(embedded, f"{attacker.url}/key"), forger)
    assert outcome(pasted(token)) == ("invalid", "emetteur_non_publie")


def test_a_key_that_the_profile_does_not_list(server):
    token = badges.ob2_signed(server, badges.rsa_key(), listed=False)
    assert outcome(pasted(token)) == ("invalid", "cle_pas_publiee")


def test_a_listed_key_whose_owner_is_someone_else(server):
    token = badges.ob2_signed(server, badges.rsa_key(), key_owner=f"{server.url}/autre")
    assert outcome(pasted(token)) == ("invalid", "cle_pas_a_l_emetteur")


def test_signed_badge_without_creator_uses_the_profiles_keys(server):
    key = badges.rsa_key()
    badges.ob2_signed(server, key)
    verdict = pasted(sign_ob2(ob2_assertion(f"{server.url}/badge", None), key))
    assert outcome(verdict) == ("valid", "preuve_ok")
    assert verdict.issuer_site == "127.0.0.1"
    # The answer names the site whose key signed the badge.
    assert replies_for(verdict)[0].text.startswith(
        texts()["raisons"]["signature_site_ok"].format(site="127.0.0.1"))


def test_a_key_given_in_full_by_the_profile(server):
    key = badges.rsa_key()
    badges.ob2_signed(server, key)
    issuer = json.loads(server.routes["/issuer"][2])
    issuer["publicKey"] = [{"id": f"{server.url}/cle-dans-le-profil", "type": "CryptographicKey",
                            "owner": f"{server.url}/issuer", "publicKeyPem": badges.pem(key)}]
    server.json("/issuer", issuer)
    token = sign_ob2(ob2_assertion(f"{server.url}/badge", f"{server.url}/cle-dans-le-profil"), key)
    assert pasted(token).status == "valid"
    assert server.hits.get("/cle-dans-le-profil") is None


@pytest.mark.parametrize("case", ["hs256", "none", "es256_with_rsa_key", "bad_pem", "ed25519_pem"])
def test_wrong_algorithms_and_keys_are_refused_without_a_crash(server, case):
    key = badges.rsa_key()
    token = badges.ob2_signed(server, key)
    header, payload, signature = token.split(".")
    if case in ("hs256", "none", "es256_with_rsa_key"):
        alg = {"hs256": "HS256", "none": "none", "es256_with_rsa_key": "ES256"}[case]
        header = base64.urlsafe_b64encode(json.dumps({"alg": alg}).encode()).rstrip(b"=").decode()
        verdict = pasted(f"{header}.{payload}.{signature}")
        assert verdict.status == "invalid"
        return
    document = json.loads(server.routes["/key"][2])
    document["publicKeyPem"] = ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"
                                if case == "bad_pem" else badges.pem(badges.ed25519_key()))
    server.json("/key", document)
    verdict = pasted(token)
    assert outcome(verdict) in {("unverifiable", "cle_illisible"), ("invalid", "signature_fausse")}


# --- 2. Revoked wins -------------------------------------------------------------------

def test_a_short_revoked_answer_withdraws_the_badge_before_its_parts_are_read(server):
    url = badges.ob2_hosted(server)
    server.json("/assertions/a1", {"id": url, "revoked": True, "revocationReason": "Erreur"})
    hits_before = dict(server.hits)
    assert outcome(link(url)) == ("revoked", "retire")
    assert server.hits.get("/badge", 0) == hits_before.get("/badge", 0)
    # The same badge pasted (its old copy), or baked in an image: its address says withdrawn.
    old_copy = {"@context": OB2_CONTEXT, "id": url, "type": "Assertion", "badge": f"{server.url}/badge",
                "recipient": {"type": "email", "identity": LEARNER}, "verification": {"type": "hosted"},
                "issuedOn": "2025-07-07T10:00:00Z"}
    assert outcome(pasted(old_copy)) == ("revoked", "retire")
    assert outcome(check(Candidate(URL, url, "png"))) == ("revoked", "retire")
    assert server.hits.get("/badge", 0) == hits_before.get("/badge", 0)


# --- 3. Same origin for hosted OB 2.0 ---------------------------------------------------

def hosted_parts(issuer_at: BadgeServer, badge_at: BadgeServer, assertion_at: BadgeServer,
                 verification: dict | None = None, embedded_issuer: dict | None = None) -> str:
    issuer = {"@context": OB2_CONTEXT, "id": f"{issuer_at.url}/issuer", "type": "Issuer",
              "name": "Espace badges de Caen", "url": "https://badges.example.org"}
    if verification:
        issuer["verification"] = verification
    issuer_at.json("/issuer", issuer)
    badge_at.json("/badge", {"@context": OB2_CONTEXT, "id": f"{badge_at.url}/badge",
                             "type": "BadgeClass", "name": "Accueil du public",
                             "issuer": embedded_issuer or f"{issuer_at.url}/issuer"})
    return assertion_at.json("/assertions/x", {
        "@context": OB2_CONTEXT, "id": f"{assertion_at.url}/assertions/x", "type": "Assertion",
        "recipient": {"type": "email", "hashed": False, "identity": LEARNER},
        "badge": f"{badge_at.url}/badge", "verification": {"type": "hosted"},
        "issuedOn": "2025-07-07T10:00:00Z"})


def test_assertion_on_another_origin_than_the_issuer_is_refused(server, attacker):
    assert outcome(link(hosted_parts(server, server, attacker))) == ("invalid", "pas_chez_l_emetteur")


def test_badge_class_on_another_origin_than_the_issuer_is_refused(server, attacker):
    assert outcome(link(hosted_parts(server, attacker, server))) == ("invalid", "pas_chez_l_emetteur")


def test_allowed_origins_compare_host_names_not_ports(server, attacker):
    # Both servers are 127.0.0.1, on two ports: the host name is what allowedOrigins names.
    url = hosted_parts(server, attacker, attacker, verification={"allowedOrigins": ["127.0.0.1"]})
    assert link(url).status == "valid"
    url = hosted_parts(server, attacker, attacker,
                       verification={"allowedOrigins": ["badges.example.org"]})
    assert outcome(link(url)) == ("invalid", "pas_chez_l_emetteur")


def test_same_origin_by_default_counts_the_port(server, attacker):
    url = hosted_parts(server, server, server)
    assert link(url).status == "valid"
    assert outcome(link(hosted_parts(server, attacker, attacker))) == ("invalid", "pas_chez_l_emetteur")


def test_an_issuer_copy_in_the_badge_class_cannot_allow_other_sites(server, attacker):
    # The forger's badge class embeds « the issuer » with rules that allow the forger's site;
    # the Profile at the issuer's id says nothing of the kind.
    forged = {"id": f"{server.url}/issuer", "type": "Issuer", "name": "Espace badges de Caen",
              "verification": {"allowedOrigins": ["127.0.0.1"]}}
    url = hosted_parts(server, attacker, attacker, embedded_issuer=forged)
    assert outcome(link(url)) == ("invalid", "pas_chez_l_emetteur")


# --- 4. OB 3.0 keys ---------------------------------------------------------------------

def test_vc_jwt_with_kid_only_did_jwk():
    for key, algorithm in ((badges.ec_key(), "ES256"), (badges.ed25519_key(), "EdDSA")):
        did = badges.did_jwk(key)
        token = badges.ob3_jwt(key, algorithm, kid=f"{did}#0", issuer=did)
        assert "jwk" not in jwt.get_unverified_header(token)
        verdict = pasted(token)
        assert (verdict.status, verdict.version) == ("valid", "3.0")


def test_vc_jwt_with_p256_did_key_and_es256():
    key = badges.ec_key()
    did = badges.did_key_p256(key)
    assert did.startswith("did:key:zDn")
    token = badges.ob3_jwt(key, "ES256", kid=f"{did}#{did.removeprefix('did:key:')}", issuer=did)
    assert pasted(token).status == "valid"


def test_vc_jwt_with_ed25519_did_key_and_eddsa():
    assert pasted(badges.ob3_jwt(badges.ed25519_key(), "EdDSA")).status == "valid"


@pytest.mark.parametrize("header_jwk", [
    lambda: json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(badges.ed25519_key().public_key())),
    lambda: json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(badges.rsa_key().public_key())),
    lambda: json.loads(jwt.algorithms.ECAlgorithm.to_jwk(badges.ec_key().public_key())),
    lambda: {"kty": "OKP", "crv": "Ed25519", "x": 12},
    lambda: {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"},
    lambda: "pas un objet",
])
def test_a_header_key_that_is_not_the_issuers_key_is_not_trusted(header_jwk):
    key = badges.ed25519_key()
    did = badges.did_key(key)
    token = badges.ob3_jwt(key, kid=f"{did}#{did.removeprefix('did:key:')}", header_jwk=header_jwk())
    assert outcome(pasted(token)) == ("invalid", "cle_pas_a_l_emetteur")


def test_a_header_key_that_is_the_issuers_key_is_fine():
    key = badges.ed25519_key()
    did = badges.did_key(key)
    jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key.public_key()))
    token = badges.ob3_jwt(key, kid=f"{did}#{did.removeprefix('did:key:')}", header_jwk=jwk)
    assert pasted(token).status == "valid"


def test_vc_jwt_whose_kid_is_another_did_or_whose_alg_does_not_fit_the_key():
    key, other = badges.ed25519_key(), badges.ed25519_key()
    issuer = badges.did_key(key)
    token = badges.ob3_jwt(other, kid=f"{badges.did_key(other)}#x", issuer=issuer)
    assert outcome(pasted(token)) == ("invalid", "cle_pas_a_l_emetteur")
    token = badges.ob3_jwt(key)
    header = base64.urlsafe_b64encode(json.dumps(
        {"alg": "ES256", "kid": f"{issuer}#0"}).encode()).rstrip(b"=").decode()
    assert outcome(pasted(header + token[token.index("."):])) == ("invalid", "signature_fausse")


def ob3_signed_by(private_key, issuer: str, method: str, **kwargs) -> dict:
    return data_integrity.sign(badges.ob3_credential(issuer, **kwargs), private_key, method,
                               badges.iso(badges.now()))


def multikey(private_key) -> str:
    return badges.did_key(private_key).removeprefix("did:key:")


def test_data_integrity_key_at_a_web_address_listed_by_the_issuers_profile(server, attacker):
    key = badges.ed25519_key()
    issuer, method = f"{server.url}/issuer", f"{server.url}/keys/k1"
    server.json("/keys/k1", {"id": method, "type": "Multikey", "controller": issuer,
                             "publicKeyMultibase": multikey(key)})
    server.json("/issuer", {"id": issuer, "type": ["Profile"], "assertionMethod": [method]})
    credential = ob3_signed_by(key, issuer, method)
    verdict = pasted(credential)
    assert (verdict.status, verdict.issuer_site) == ("valid", "127.0.0.1")
    # Not listed by the Profile: someone else's key, whatever the key document says.
    server.json("/issuer", {"id": issuer, "type": ["Profile"]})
    assert outcome(pasted(credential)) == ("invalid", "cle_pas_publiee")
    # A forger's key document that names the issuer as its controller proves nothing.
    forger = badges.ed25519_key()
    attacker.json("/k", {"id": f"{attacker.url}/k", "type": "Multikey", "controller": issuer,
                         "publicKeyMultibase": multikey(forger)})
    server.json("/issuer", {"id": issuer, "type": ["Profile"], "assertionMethod": [method]})
    assert outcome(pasted(ob3_signed_by(forger, issuer, f"{attacker.url}/k"))) == \
        ("invalid", "cle_pas_publiee")


def test_data_integrity_key_given_in_full_by_the_issuers_profile(server):
    key = badges.ed25519_key()
    issuer = f"{server.url}/issuer"
    server.json("/issuer", {"id": issuer, "type": ["Profile"], "assertionMethod": [
        {"id": "#cle-1", "type": "Multikey", "controller": issuer,
         "publicKeyMultibase": multikey(key)}]})
    assert pasted(ob3_signed_by(key, issuer, f"{issuer}#cle-1")).status == "valid"


def test_did_web_keys_must_be_assertion_methods_of_the_did_document(server, monkeypatch):
    # did:web resolves to https only; here its DID document is served on loopback.
    from bot.verify import ob3
    monkeypatch.setattr(ob3, "_did_web_url", lambda did: f"{server.url}/did.json")
    key, other = badges.ed25519_key(), badges.ed25519_key()
    did = "did:web:badges.example.org"
    document = {"id": did, "verificationMethod": [
        {"id": f"{did}#k1", "type": "Multikey", "controller": did, "publicKeyMultibase": multikey(key)},
        {"id": "#k2", "type": "Multikey", "controller": did, "publicKeyMultibase": multikey(other)}],
        "assertionMethod": [f"{did}#k1"]}
    server.json("/did.json", document)
    verdict = pasted(ob3_signed_by(key, did, f"{did}#k1"))
    assert (verdict.status, verdict.issuer_site) == ("valid", "badges.example.org")
    token = badges.ob3_jwt(key, kid="#k1", issuer=did)  # a kid relative to the issuer
    assert pasted(token).status == "valid"
    # k2 is in the document, but not as an assertion method.
    assert outcome(pasted(ob3_signed_by(other, did, f"{did}#k2"))) == ("invalid", "cle_pas_publiee")
    # Another DID than the issuer's.
    assert outcome(pasted(ob3_signed_by(key, did, "did:web:ailleurs.example.org#k1"))) == \
        ("invalid", "cle_pas_a_l_emetteur")


def test_a_web_issuer_whose_profile_names_a_did_key(server):
    key = badges.ed25519_key()
    issuer, method = f"{server.url}/issuer", f"{badges.did_key(key)}#{multikey(key)}"
    server.json("/issuer", {"id": issuer, "type": ["Profile"], "assertionMethod": [method]})
    assert pasted(ob3_signed_by(key, issuer, method)).status == "valid"
    server.json("/issuer", {"id": issuer, "type": ["Profile"]})
    assert outcome(pasted(ob3_signed_by(key, issuer, method))) == ("invalid", "cle_pas_publiee")


def test_data_integrity_with_a_did_key_that_is_not_the_issuer():
    key, issuer = badges.ed25519_key(), badges.did_key(badges.ed25519_key())
    credential = ob3_signed_by(key, issuer, f"{badges.did_key(key)}#{multikey(key)}")
    assert outcome(pasted(credential)) == ("invalid", "cle_pas_a_l_emetteur")


@pytest.mark.parametrize("change", [
    lambda c: c.update(fauxChamp="Diplôme d'État"),
    # Not a term of the 2.0 vocabulary: without safe mode it would be dropped from what
    # the signature covers, and read as the badge's end date.
    lambda c: c.update(expirationDate="2099-01-01T00:00:00Z"),
    lambda c: c["credentialSubject"]["achievement"].update(niveau="Expert"),
])
def test_a_field_that_no_context_defines_cannot_be_slipped_into_a_signed_badge(change):
    credential = badges.ob3_signed(badges.ed25519_key())
    change(credential)
    assert outcome(pasted(credential)) == ("invalid", "preuve_fausse")


# --- 4. OB 3.0 status lists, made by the tests -----------------------------------------

def bitstring_entry(url: str, index: int, purpose: str = "revocation",
                    kind: str = "BitstringStatusListEntry") -> dict:
    return {"id": f"{url}#{index}", "type": kind, "statusPurpose": purpose,
            "statusListIndex": str(index), "statusListCredential": url}


@pytest.mark.parametrize("kind, multibase", [("BitstringStatusListEntry", True),
                                             ("StatusList2021Entry", False)])
def test_bitstring_status_list(server, kind, multibase):
    key = badges.ed25519_key()
    did = badges.did_key(key)
    url = f"{server.url}/status/1"
    server.json("/status/1", badges.status_list_credential(
        url, did, badges.bitstring({7, 94_567}, multibase=multibase)))
    revoked = badges.ob3_jwt(key, status=bitstring_entry(url, 94_567, kind=kind))
    assert outcome(pasted(revoked)) == ("revoked", "retire_liste")
    for index in (0, 6, 8, 94_566, 131_071):  # neighbours of the bits that are set
        assert pasted(badges.ob3_jwt(key, status=bitstring_entry(url, index, kind=kind))).status == "valid"
    past_the_end = badges.ob3_jwt(key, status=bitstring_entry(url, 131_072, kind=kind))
    assert outcome(pasted(past_the_end)) == ("unverifiable", "statut_illisible")


def test_bitstring_suspension_and_a_list_given_as_a_vc_jwt(server):
    key = badges.ed25519_key()
    did = badges.did_key(key)
    url = f"{server.url}/status/pause"
    listing = badges.status_list_credential(url, did, badges.bitstring({3}), purpose="suspension")
    server.raw("/status/pause", jwt.encode({"vc": listing, "iss": did}, key, algorithm="EdDSA").encode(),
               "application/vc+jwt")
    verdict = pasted(badges.ob3_jwt(key, status=bitstring_entry(url, 3, "suspension")))
    assert outcome(verdict) == ("revoked", "suspendu")
    # A revocation entry pointing at a suspension list: the list cannot say.
    verdict = pasted(badges.ob3_jwt(key, status=bitstring_entry(url, 3, "revocation")))
    assert outcome(verdict) == ("unverifiable", "statut_illisible")


def test_bitstring_status_of_a_data_integrity_credential(server):
    key = badges.ed25519_key()
    did = badges.did_key(key)
    url = f"{server.url}/status/2"
    server.json("/status/2", badges.status_list_credential(url, did, badges.bitstring({42})))
    revoked = badges.ob3_signed(key, status=bitstring_entry(url, 42))
    assert outcome(pasted(revoked)) == ("revoked", "retire_liste")
    assert pasted(badges.ob3_signed(key, status=bitstring_entry(url, 41))).status == "valid"


def test_1edtech_revocation_list_of_a_vc_jwt(server):
    key = badges.ed25519_key()
    url = f"{server.url}/revoked/liste"
    token = badges.ob3_jwt(key, status_url=url)
    credential_id = jwt.decode(token, options={"verify_signature": False})["vc"]["id"]
    server.json("/revoked/liste", {"id": url, "revokedCredentials": [
        {"id": "urn:uuid:autre"}, {"id": credential_id, "revocationReason": "Erreur"}]})
    assert outcome(pasted(token)) == ("revoked", "retire_liste")
    server.json("/revoked/liste", {"id": url, "revokedCredentials": [{"id": "urn:uuid:autre"}]})
    assert pasted(token).status == "valid"


@pytest.mark.parametrize("listing", [
    {"credentialSubject": {"encodedList": "u!!!"}},
    {"credentialSubject": {"encodedList": "uH4sIAAAA"}},
    {"credentialSubject": {"encodedList": 12}},
    {"credentialSubject": []},
])
def test_broken_status_lists_cannot_be_read(server, listing):
    key = badges.ed25519_key()
    server.json("/status/3", listing)
    token = badges.ob3_jwt(key, status=bitstring_entry(f"{server.url}/status/3", 5))
    assert outcome(pasted(token)) == ("unverifiable", "statut_illisible")


# --- 5. No input gives a 500: a few by name (tests/test_verify_fuzz.py tries many) --------

@pytest.fixture
def client(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'b.db'}", rasa_port=free_port(),
                        actions_port=free_port(), rasa_token="t", rasa_timeout=2,
                        verify_allow_loopback=True)
    with TestClient(create_app(settings), raise_server_exceptions=False) as running:
        yield running


def answer(response) -> str:
    assert response.status_code == 200, response.text
    return response.json()["replies"][0]["text"]


def cannot_verify(reason: str) -> str:
    return f"{texts()['statuts']['unverifiable']}\n{texts()['raisons'][reason]}"


@pytest.mark.parametrize("change, reason", [
    (lambda a: a.update(issuedOn="99999999999999"), "date_illisible"),
    (lambda a: a.update(issuedOn=99999999999999), "date_illisible"),
    (lambda a: a.update(expires="9999-12-31T23:59:59-23:59"), "date_illisible"),
    (lambda a: a.update(expires=True), "date_illisible"),
    (lambda a: a["recipient"].update(salt=12), "badge_mal_forme"),
    (lambda a: a["recipient"].update(identity=["sha256$abc"]), "badge_mal_forme"),
    (lambda a: a["recipient"].update(hashed="oui"), "badge_mal_forme"),
    (lambda a: a.update(recipient="lea.martin@example.org"), "badge_mal_forme"),
    (lambda a: a.update(evidence=list(range(30_000))), "document_trop_complexe"),
])
def test_malformed_badges_cannot_be_verified_and_say_why(client, server, change, reason):
    url = badges.ob2_hosted(server)
    assertion = json.loads(server.routes["/assertions/a1"][2])
    change(assertion)
    server.json("/assertions/a1", assertion)
    said = answer(client.post("/api/verify", json={"url": url, "site_token": None}))
    assert said == cannot_verify(reason)


def test_malformed_credentials_and_odd_unicode_through_the_api(client, server):
    token = badges.ob3_jwt(badges.ed25519_key())
    header, payload, _signature = token.split(".")
    for truncated in (token[:-10], f"{header}.{payload}", f"{header}.{payload[:40]}.{_signature}",
                      token[:30]):
        said = answer(client.post("/api/verify", json={"credential": truncated}))
        assert said == cannot_verify("signature_illisible"), truncated
    said = answer(client.post("/api/verify", json={"credential": "[" * 100_000}))
    assert texts()["statuts"]["not_a_badge"] in said
    nested = {"@context": badges.OB2_CONTEXT, "badge": "x", "recipient": {}}
    for _ in range(60):
        nested = {"a": nested}
    said = answer(client.post("/api/verify", json={"credential": {**nested, "@context": "x"}}))
    assert said  # refused by the document limits, not by an error
    # Lone surrogates, direction marks, zero-width and control signs in the badge's texts.
    url = badges.ob2_hosted(server)
    raw = server.routes["/badge"][2].decode().replace(
        "Accueil du public", "Accueil \\ud800 du \\u202epublic\\u200b \\u0007\\udfff")
    server.raw("/badge", raw.encode(), "application/ld+json")
    response = client.post("/api/verify", json={"url": url})
    assert response.status_code == 200
    details = response.json()["replies"][1]["text"]
    assert "Accueil" in details and "\ud800" not in details and "\x07" not in details
    history = client.get(f"/api/chat/{response.json()['session_id']}/history")
    assert history.status_code == 200


def _identical_tree(width: int, depth: int) -> dict:
    node = {"type": ["Alignment"], "targetName": "x", "targetUrl": "https://x.org"}
    if depth:
        node["alignment"] = [_identical_tree(width, depth - 1) for _ in range(width)]
    return node


@pytest.mark.parametrize("change", [
    # 73 identical objects: canonicalisation tried orders of them for 100 s before.
    lambda c: c["credentialSubject"]["achievement"].update(alignment=[_identical_tree(8, 2)]),
    # One long list: pyld's duplicate checks took 10 minutes on 30,000 values.
    lambda c: c["credentialSubject"]["achievement"].update(tag=[str(i) for i in range(5000)]),
])
def test_credentials_that_would_take_minutes_to_canonicalise_are_refused_at_once(change):
    credential = badges.ob3_signed(badges.ed25519_key())
    change(credential)
    started = time.monotonic()
    verdict = pasted(credential)
    assert outcome(verdict) == ("unverifiable", "document_trop_complexe")
    assert time.monotonic() - started < check_budget(LOOPBACK)


def test_texts_and_pages_made_to_slow_down_pattern_matching(server):
    # Open patterns backtracked from every « eyJ » of a message (14 s) and from every
    # « <link » of a page (over a minute), on the event loop: now read in linear time.
    started = time.monotonic()
    assert find_in_message("eyJ" * 33_000) is None
    assert find_in_message("eyJa" * 25_000 + ".") is None
    assert time.monotonic() - started < 2
    url = server.raw("/page.html", b"<html>" + b"<link " * 20_000, "text/html")
    verdict, elapsed = timed(Candidate(URL, url, "lien"), policy=LOOPBACK)
    assert outcome(verdict) == ("not_a_badge", "page_sans_badge")
    assert elapsed < check_budget(LOOPBACK)


def test_a_baked_image_with_a_malformed_badge_through_the_upload(client, server):
    url = badges.ob2_hosted(server)
    assertion = json.loads(server.routes["/assertions/a1"][2])
    assertion["issuedOn"] = "99999999999999"
    server.json("/assertions/a1", assertion)  # the hosted original is what counts
    image = badges.png(json.dumps(assertion))
    response = client.post("/api/verify/upload", files={"file": ("b.png", image, "image/png")})
    assert answer(response) == cannot_verify("date_illisible")
    broken = badges.png("x" * 100)[:-20]
    assert client.post("/api/verify/upload", files={"file": ("b.png", broken, "image/png")}).status_code == 200
    assert url


# --- 6. One deadline for the whole check ------------------------------------------------

FAST = FetchPolicy(timeout=0.5, max_bytes=200_000, allow_loopback=True)
# A generous bound derived from the setting: the whole budget, plus room for a loaded
# machine (thread start-up, the loop waking up).
BOUND = check_budget(FAST) + 1.0


def timed(candidate: Candidate, policy: FetchPolicy = FAST):
    started = time.monotonic()
    verdict = check(candidate, policy=policy)
    return verdict, time.monotonic() - started


def test_a_slow_chain_of_documents_ends_within_the_deadline(server):
    url = badges.ob2_hosted(server, revocation_list=True)
    # Each of the 4 documents answers within the timeout of one address (0.5 s), but
    # all 4 together take longer than the whole check may (2 × 0.5 s).
    for path in ("/assertions/a1", "/badge", "/issuer", "/revocations"):
        server.delays[path] = 0.35
    verdict, elapsed = timed(Candidate(URL, url, "lien"))
    print(f"slow chain of 4 documents, timeout 0.5 s: {elapsed:.2f} s, {outcome(verdict)}")
    assert verdict.status == "unverifiable"
    assert verdict.reason in ("verification_trop_longue", "lien_lent")
    assert elapsed < BOUND


def test_the_same_chain_when_fast_enough_is_checked(server):
    url = badges.ob2_hosted(server, revocation_list=True)
    for path in ("/assertions/a1", "/badge", "/issuer", "/revocations"):
        server.delays[path] = 0.05
    assert timed(Candidate(URL, url, "lien"))[0].status == "revoked"


def test_slow_redirects_and_a_body_that_drips_in_end_within_the_deadline(server):
    target = badges.ob2_hosted(server)
    server.redirect("/r3", target)
    server.redirect("/r2", f"{server.url}/r3")
    server.redirect("/r1", f"{server.url}/r2")
    for path in ("/r1", "/r2", "/r3"):
        server.delays[path] = 0.4
    verdict, elapsed = timed(Candidate(URL, f"{server.url}/r1", "lien"))
    assert verdict.status == "unverifiable" and elapsed < BOUND
    # Never silent long enough for a read timeout, but far too slow as a whole.
    server.raw("/goutte.json", json.dumps({"id": "x", "padding": "x" * 400}).encode(),
               "application/json")
    server.drips["/goutte.json"] = 0.02
    verdict, elapsed = timed(Candidate(URL, f"{server.url}/goutte.json", "lien"))
    print(f"dripping body, timeout 0.5 s: {elapsed:.2f} s, {outcome(verdict)}")
    assert verdict.status == "unverifiable" and elapsed < BOUND


def test_the_deadline_holds_through_the_api(tmp_path, server):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'b.db'}", rasa_port=free_port(),
                        actions_port=free_port(), rasa_token="t", rasa_timeout=2,
                        verify_allow_loopback=True, verify_timeout=0.5)
    url = badges.ob2_hosted(server, revocation_list=True)
    for path in ("/assertions/a1", "/badge", "/issuer", "/revocations"):
        server.delays[path] = 0.35
    with TestClient(create_app(settings)) as client:
        started = time.monotonic()
        response = client.post("/api/verify", json={"url": url})
        elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert texts()["statuts"]["unverifiable"] in response.json()["replies"][0]["text"]
    assert elapsed < settings.verify_timeout * 2 + 1.0


# --- 7. What the answer says ------------------------------------------------------------

def all_text(verdict) -> str:
    replies = replies_for(verdict)
    return "\n".join([r.text for r in replies] + [l.url for r in replies for l in r.links])


def test_the_answer_says_what_a_check_proves_and_no_more(server):
    verdict = link(badges.ob2_hosted(server))
    said = all_text(verdict)
    assert "vrai" not in said.lower()
    assert said.startswith(f"Ce badge vient bien du site 127.0.0.1.\n{texts()['statuts']['valid']}")
    assert texts()["details"]["conseil"] in said  # look at who gave it
    expired = pasted(badges.ob3_signed(badges.ed25519_key(), valid_until=badges.past()))
    said = all_text(expired)
    assert texts()["statuts"]["expired"] in said and texts()["details"]["conseil"] in said
    for section in ("statuts", "raisons", "details"):
        assert not any("est vrai" in text for text in texts()[section].values())


def test_no_answer_shows_an_email_address(server):
    url = badges.ob2_hosted(server)
    badge = json.loads(server.routes["/badge"][2])
    badge["name"] = "Écrivez à jean.dupont@example.org"
    badge["criteria"] = {"narrative": "Contact : marie@example.org.", "id": "https://x.org/?m=a@b.fr"}
    server.json("/badge", badge)
    issuer = json.loads(server.routes["/issuer"][2])
    issuer["name"] = "contact@example.org"
    server.json("/issuer", issuer)
    said = all_text(link(url, email=None))
    assert "@" not in said
    credential = badges.ob3_credential(badges.did_key(key := badges.ed25519_key()))
    credential["credentialSubject"]["identifier"] = [
        {"type": "IdentityObject", "identityType": "name", "hashed": False,
         "identityHash": "lea.martin@example.org"}]
    signed = data_integrity.sign(credential, key, f"{badges.did_key(key)}#{multikey(key)}",
                                 badges.iso(badges.now()))
    assert "@" not in all_text(pasted(signed, email=None))


# --- 8. Which chat turns go to the checker ---------------------------------------------

@pytest.mark.parametrize("message", [
    "Comment je partage mon badge sur https://www.linkedin.com ?",
    "partager sur https://www.linkedin.com",
    "C'est quoi https://openbadgepassport.com ?",
    "Je me connecte où ? https://openbadgefactory.com",
    "Est-ce que je peux mettre mon badge sur https://www.linkedin.com/in/moi",
])
def test_a_link_in_a_question_is_not_a_badge_to_check(message):
    assert find_in_message(message) is None


@pytest.mark.parametrize("message", [
    "https://badges.example.org/assertions/1",
    "Voici mon badge : https://badges.example.org/assertions/1",
    "Bonjour, le lien de mon badge https://badges.example.org/b/1 merci",
    "Est-ce que ce badge est vrai ? https://badges.example.org/b/1",
    "Vous pouvez vérifier https://badges.example.org/b/1 ?",
    "Je peux faire confiance à ce badge ? https://badges.example.org/b/1",
    "Ce badge est-il valide https://badges.example.org/b/1 ?",
])
def test_a_badge_link_or_a_request_to_check_goes_to_the_checker(message):
    found = find_in_message(message)
    assert found is not None and found.kind == URL
    assert found.value.startswith("https://badges.example.org/")


def test_a_credential_in_a_message_goes_to_the_checker():
    token = badges.ob3_jwt(badges.ed25519_key())
    assert find_in_message(f"Comment je partage ça sur LinkedIn ? {token}").kind == JWS


def test_the_gateway_routes_a_question_with_a_link_to_rasa(tmp_path, server):
    # No Rasa runs behind this gateway: a turn sent to Rasa gets 503, one sent to the
    # checker gets its answer.
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'b.db'}", rasa_port=free_port(),
                        actions_port=free_port(), rasa_token="t", rasa_timeout=2,
                        verify_allow_loopback=True)
    with TestClient(create_app(settings)) as client:
        question = client.post("/api/chat", json={
            "text": "Comment je partage mon badge sur https://www.linkedin.com ?"})
        assert question.status_code == 503
        assert question.json()["error"] == "assistant_indisponible"
        given = client.post("/api/chat", json={"text": f"Voici mon badge : {badges.ob2_hosted(server)}"})
        assert given.status_code == 200 and given.json()["topic"] == "verifier_badge"
