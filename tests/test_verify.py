"""Badge verification (bot/verify) on badges made by the tests: Open Badges 2.0 hosted
and signed, 3.0 with a Data Integrity proof or as a VC-JWT, baked in PNG and SVG; valid,
tampered, expired, withdrawn, for someone else; and links that must not be followed."""

import asyncio
import json

import jwt
import pytest

from bot.verify.fetch import FetchError, FetchPolicy, address_allowed, fetch
from bot.verify.inputs import (DOCUMENT, JWS, URL, Candidate, InputError, find_in_message,
                               from_upload)
from bot.verify.service import Verifier
from tests.helpers import badges
from tests.helpers.badges import LEARNER, BadgeServer

LOOPBACK = FetchPolicy(timeout=3, max_bytes=200_000, allow_loopback=True)


@pytest.fixture
def server():
    with BadgeServer() as running:
        yield running


def check(candidate: Candidate, email: str | None = LEARNER, policy: FetchPolicy = LOOPBACK):
    return asyncio.run(Verifier(policy).verify(candidate, email))


def link(url: str, **kwargs):
    return check(Candidate(URL, url, "lien"), **kwargs)


def pasted(value, **kwargs):
    kind = DOCUMENT if isinstance(value, dict) else JWS
    return check(Candidate(kind, value, "texte"), **kwargs)


def uploaded(data: bytes, **kwargs):
    return check(from_upload(data), **kwargs)


# --- Open Badges 2.0, hosted -----------------------------------------------------------

def test_hosted_badge_is_valid_and_names_issuer_badge_and_recipient(server):
    verdict = link(badges.ob2_hosted(server))
    assert (verdict.status, verdict.reason, verdict.version) == ("valid", "preuve_ok", "2.0")
    assert verdict.issuer_name == "Espace badges de Caen"
    assert verdict.badge_name == "Accueil du public"
    assert verdict.criteria == "Accueillir des visiteurs pendant 3 mois."
    assert verdict.recipient_match is True
    assert verdict.issued_on.isoformat().startswith("2025-07-07")


def test_hosted_badge_for_someone_else_says_so(server):
    verdict = link(badges.ob2_hosted(server, email="autre.personne@example.org"))
    assert verdict.status == "valid" and verdict.recipient_match is False


def test_anonymous_visitor_gets_no_recipient_answer(server):
    verdict = link(badges.ob2_hosted(server), email=None)
    assert verdict.status == "valid" and verdict.recipient_match is None


def test_hosted_badge_expired(server):
    verdict = link(badges.ob2_hosted(server, expires=badges.past()))
    assert (verdict.status, verdict.reason) == ("expired", "date_depassee")
    assert verdict.issuer_name == "Espace badges de Caen"


@pytest.mark.parametrize("how, reason", [("gone", "retire_410"), ("flag", "retire"),
                                         ("list", "retire_liste")])
def test_hosted_badge_revoked(server, how, reason):
    url = badges.ob2_hosted(server, revoked=how == "flag", revocation_list=how == "list")
    if how == "gone":
        server.json("/assertions/a1", {"revoked": True}, status=410)
    verdict = link(url)
    assert (verdict.status, verdict.reason) == ("revoked", reason)


def test_hosted_badge_whose_parts_do_not_belong_together(server):
    # The badge class names another issuer than the one the assertion's site serves.
    url = badges.ob2_hosted(server, badge_issuer=f"{server.url}/autre-issuer")
    server.json("/autre-issuer", {"id": "https://ailleurs.example.org/issuer", "type": "Issuer",
                                  "name": "Faux"})
    assert (link(url).status, link(url).reason) == ("invalid", "parties_differentes")


def test_hosted_badge_outside_the_issuers_site_is_refused(server):
    url = badges.ob2_hosted(server)
    issuer = json.loads(server.routes["/issuer"][2])
    issuer["verification"] = {"startsWith": "https://badges.example.org/assertions/"}
    server.json("/issuer", issuer)
    verdict = link(url)
    assert (verdict.status, verdict.reason) == ("invalid", "pas_chez_l_emetteur")


def test_a_copy_of_a_hosted_badge_is_checked_against_the_original(server):
    url = badges.ob2_hosted(server)
    copy = json.loads(server.routes["/assertions/a1"][2])
    copy["issuedOn"] = "2020-01-01T00:00:00Z"  # changed by someone: the original counts
    verdict = pasted(copy)
    assert verdict.status == "valid"
    assert verdict.issued_on.year == 2025
    assert server.hits["/assertions/a1"] == 1
    assert url


# --- Open Badges 2.0, signed -----------------------------------------------------------

@pytest.mark.parametrize("make_key, algorithm", [(badges.rsa_key, "RS256"),
                                                 (badges.ec_key, "ES256")])
def test_signed_badge_is_valid(server, make_key, algorithm):
    token = badges.ob2_signed(server, make_key(), algorithm)
    verdict = pasted(token)
    assert (verdict.status, verdict.version) == ("valid", "2.0")
    assert verdict.recipient_match is True
    assert verdict.criteria_url == f"{server.url}/criteres"


def test_signed_badge_tampered(server):
    verdict = pasted(badges.ob2_signed(server, badges.rsa_key(), tamper=True))
    assert (verdict.status, verdict.reason) == ("invalid", "signature_fausse")


def test_signed_badge_with_a_key_of_someone_else(server):
    token = badges.ob2_signed(server, badges.rsa_key(), key_owner="https://pirate.example/me")
    assert pasted(token).reason == "cle_pas_a_l_emetteur"


def test_signed_badge_signed_with_another_key(server):
    token = badges.ob2_signed(server, badges.rsa_key())
    badges.ob2_signed(server, badges.rsa_key())  # the issuer's published key changes
    assert (pasted(token).status, pasted(token).reason) == ("invalid", "signature_fausse")


def test_signed_badge_expired(server):
    verdict = pasted(badges.ob2_signed(server, badges.rsa_key(), expires=badges.past(2)))
    assert verdict.status == "expired"


# --- Open Badges 3.0, Data Integrity eddsa-rdfc-2022 ----------------------------------

def test_ob3_credential_with_proof_is_valid():
    verdict = pasted(badges.ob3_signed(badges.ed25519_key()))
    assert (verdict.status, verdict.version) == ("valid", "3.0")
    assert verdict.issuer_name == "Lieux de la reconnaissance"
    assert verdict.badge_name == "Accueil du public"
    assert verdict.recipient_match is True


@pytest.mark.parametrize("change", [
    lambda c: c["credentialSubject"]["achievement"].update(name="Pilote de ligne"),
    lambda c: c["issuer"].update(name="Université célèbre"),
    lambda c: c.update(validFrom="2024-01-01T00:00:00Z"),
    lambda c: c["credentialSubject"]["identifier"][0].update(identityHash=badges.hashed("x@y.z")),
])
def test_ob3_credential_tampered(change):
    credential = badges.ob3_signed(badges.ed25519_key())
    change(credential)
    verdict = pasted(credential)
    assert (verdict.status, verdict.reason) == ("invalid", "preuve_fausse")


def test_ob3_credential_signed_by_another_key_than_the_issuers():
    credential = badges.ob3_signed(badges.ed25519_key())
    other = badges.did_key(badges.ed25519_key())
    credential["issuer"]["id"] = other  # the issuer claims another identity
    assert pasted(credential).reason == "cle_pas_a_l_emetteur"


def test_ob3_credential_expired_and_for_someone_else():
    credential = badges.ob3_signed(badges.ed25519_key(), valid_until=badges.past(),
                                   email="autre@example.org")
    verdict = pasted(credential)
    assert verdict.status == "expired"
    assert verdict.recipient_match is False


def test_ob3_credential_revoked_in_the_issuers_list(server):
    status_url = f"{server.url}/revoked/liste"
    credential = badges.ob3_signed(badges.ed25519_key(), status_url=status_url)
    server.json("/revoked/liste", {"revokedCredentials": [{"id": credential["id"]}]})
    assert pasted(credential).status == "revoked"
    server.json("/revoked/liste", {"revokedCredentials": []})
    assert pasted(credential).status == "valid"


def test_ob3_credential_without_proof_cannot_be_verified():
    credential = badges.ob3_signed(badges.ed25519_key())
    del credential["proof"]
    assert (pasted(credential).status, pasted(credential).reason) == ("unverifiable",
                                                                      "preuve_absente")


def test_ob3_credential_hosted_by_link(server):
    credential = badges.ob3_signed(badges.ed25519_key())
    verdict = link(server.json("/obv3/credentials/abc.json", credential))
    assert verdict.status == "valid"
    assert verdict.url == f"{server.url}/obv3/credentials/abc.json"


def test_ob3_link_answering_410_is_withdrawn(server):
    url = server.json("/obv3/credentials/gone.json", {"error": "revoked"}, status=410)
    assert link(url).status == "revoked"


# --- Open Badges 3.0, VC-JWT ---------------------------------------------------------

def test_vc_jwt_with_did_key_is_valid():
    verdict = pasted(badges.ob3_jwt(badges.ed25519_key()))
    assert (verdict.status, verdict.version) == ("valid", "3.0")


def test_vc_jwt_tampered():
    token = badges.ob3_jwt(badges.ed25519_key())
    forged = badges.tamper_jwt(token, lambda c: c["vc"]["issuer"].update(name="Faux"))
    assert (pasted(forged).status, pasted(forged).reason) == ("invalid", "signature_fausse")


def test_vc_jwt_with_key_published_by_the_issuer(server):
    key = badges.ec_key()
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    server.json("/keys/1", jwk)
    # The issuer's Profile, at the issuer's id, lists the key: it is the issuer's.
    server.json("/issuer", {"id": f"{server.url}/issuer", "type": ["Profile"],
                            "verificationMethod": [f"{server.url}/keys/1"]})
    token = badges.ob3_jwt(key, "ES256", kid=f"{server.url}/keys/1", issuer=f"{server.url}/issuer")
    assert pasted(token).status == "valid"


def test_vc_jwt_with_a_key_on_the_issuers_site_that_its_profile_does_not_list(server):
    key = badges.ec_key()
    server.json("/keys/1", json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key())))
    server.json("/issuer", {"id": f"{server.url}/issuer", "type": ["Profile"]})
    token = badges.ob3_jwt(key, "ES256", kid=f"{server.url}/keys/1", issuer=f"{server.url}/issuer")
    assert (pasted(token).status, pasted(token).reason) == ("invalid", "cle_pas_publiee")


def test_vc_jwt_with_only_its_own_key_proves_nothing_about_the_issuer():
    key = badges.ed25519_key()
    jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key.public_key()))
    token = badges.ob3_jwt(key, header_jwk=jwk, issuer="https://universite.example.org/issuer")
    assert (pasted(token).status, pasted(token).reason) == ("unverifiable", "cle_pas_liee")


def test_vc_jwt_expired():
    verdict = pasted(badges.ob3_jwt(badges.ed25519_key(), valid_until=badges.past()))
    assert verdict.status == "expired"


# --- baked images and uploads ---------------------------------------------------------

def test_baked_png_ob2_hosted(server):
    url = badges.ob2_hosted(server)
    assert uploaded(badges.png(url)).status == "valid"
    # The assertion itself baked in, compressed: its hosted original is what counts.
    assertion = server.routes["/assertions/a1"][2].decode()
    assert uploaded(badges.png(assertion, compressed=True)).status == "valid"


def test_baked_png_ob3(server):
    credential = badges.ob3_signed(badges.ed25519_key())
    data = badges.png(json.dumps(credential), keyword=b"openbadgecredential")
    assert uploaded(data).status == "valid"
    jwt_png = badges.png(badges.ob3_jwt(badges.ed25519_key()), keyword=b"openbadgecredential")
    assert uploaded(jwt_png).status == "valid"


def test_baked_png_tampered():
    credential = badges.ob3_signed(badges.ed25519_key())
    credential["name"] = "Autre chose"
    data = badges.png(json.dumps(credential), keyword=b"openbadgecredential")
    assert uploaded(data).status == "invalid"


def test_baked_svg_ob2_signed_and_hosted(server):
    token = badges.ob2_signed(server, badges.rsa_key())
    assert uploaded(badges.svg("{}", verify=token)).status == "valid"
    url = badges.ob2_hosted(server, expires=badges.past())
    assertion = server.routes["/assertions/a1"][2].decode()
    assert uploaded(badges.svg(assertion, verify=url)).status == "expired"


def test_baked_svg_ob3():
    credential = badges.ob3_signed(badges.ed25519_key())
    assert uploaded(badges.svg(json.dumps(credential), version=3)).status == "valid"


def test_image_without_badge_and_unknown_formats():
    with pytest.raises(InputError) as error:
        from_upload(badges.png())
    assert error.value.code == "image_sans_badge"
    for data in (b"GIF89a\x01\x00\x01\x00", b"%PDF-1.7\n", b"bonjour", b"\xff\xd8\xff\xe0JFIF"):
        with pytest.raises(InputError) as error:
            from_upload(data)
        assert error.value.code == "format_inconnu"


def test_svg_with_entities_is_refused_without_reading_them(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("mot de passe")
    xxe = (f'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file://{secret}">]>'
           '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
           '<openbadges:assertion verify="&x;"/></svg>').encode()
    with pytest.raises(InputError) as error:
        from_upload(xxe)
    assert error.value.code == "image_abimee"


def test_json_that_is_not_a_badge():
    verdict = uploaded(json.dumps({"@context": "https://schema.org", "name": "x"}).encode())
    assert (verdict.status, verdict.reason) == ("not_a_badge", "pas_un_badge")


# --- what a chat message holds ----------------------------------------------------------

def test_links_and_credentials_are_found_in_messages():
    assert find_in_message("Est-ce que ce badge est vrai ? https://ex.org/b/1.") .value == \
        "https://ex.org/b/1"
    assert find_in_message("C'est quoi un badge ?") is None
    token = badges.ob3_jwt(badges.ed25519_key())
    assert find_in_message(f"voici : {token}").kind == JWS
    assert find_in_message(json.dumps({"@context": "x", "id": "y"})).kind == DOCUMENT


# --- the fetcher: private addresses, redirects, size, time ------------------------------

@pytest.mark.parametrize("address", [
    "10.0.0.1", "172.16.5.4", "192.168.1.10", "169.254.169.254", "100.64.0.1", "0.0.0.0",
    "127.0.0.1", "::1", "fe80::1", "fc00::1", "::ffff:10.0.0.1", "::ffff:127.0.0.1",
    "224.0.0.1", "240.0.0.1", "198.18.0.1",
])
def test_private_and_reserved_addresses_are_refused(address):
    assert not address_allowed(address)


def test_public_addresses_are_allowed_and_loopback_only_when_told():
    assert address_allowed("93.184.215.14") and address_allowed("2606:4700::1111")
    assert address_allowed("127.0.0.1", allow_loopback=True)
    assert not address_allowed("10.0.0.1", allow_loopback=True)


@pytest.mark.parametrize("url", [
    "http://10.0.0.1/badge.json", "http://192.168.0.1/", "http://169.254.169.254/latest/",
    "http://[fd00::1]/badge", "http://localhost:1/badge", "http://127.0.0.1:1/badge",
])
def test_private_address_links_are_not_fetched(url):
    # Refused before any connection: nothing is sent to these addresses.
    verdict = link(url, policy=FetchPolicy(timeout=2))
    assert (verdict.status, verdict.reason) == ("unverifiable", "lien_interdit")


def test_a_redirect_to_a_private_address_is_refused(server):
    url = server.redirect("/saut", "http://10.20.30.40/badge.json")
    assert link(url).reason == "lien_interdit"


def test_at_most_three_redirects(server):
    target = badges.ob2_hosted(server)
    server.redirect("/r3", target)
    server.redirect("/r2", f"{server.url}/r3")
    server.redirect("/r1", f"{server.url}/r2")
    assert link(f"{server.url}/r1").status == "valid"  # 3 redirects
    server.redirect("/r0", f"{server.url}/r1")
    assert link(f"{server.url}/r0").reason == "lien_trop_de_redirections"


def test_size_limit_while_streaming(server):
    url = server.raw("/gros.json", b"{" + b" " * 300_000 + b"}", "application/json")
    assert link(url).reason == "lien_trop_gros"


def test_only_web_links():
    with pytest.raises(FetchError) as error:
        asyncio.run(fetch("file:///etc/passwd", LOOPBACK))
    assert error.value.code == "lien_invalide"
    with pytest.raises(FetchError):
        asyncio.run(fetch("http://user:pw@127.0.0.1:1/", LOOPBACK))


def test_unknown_host_and_pages_without_badge(server):
    assert link("http://nom-qui-n-existe-pas.invalid/badge").reason == "lien_introuvable"
    url = server.raw("/page", b"<!doctype html><title>x</title>", "text/html")
    assert (link(url).status, link(url).reason) == ("not_a_badge", "page_sans_badge")


def test_obf_assertion_page_leads_to_its_json(server):
    badges.ob2_hosted(server, name="X1")
    server.raw("/v1/assertion/X1", b"<html>page</html>", "text/html")
    assertion = json.loads(server.routes["/assertions/X1"][2])
    assertion["id"] = f"{server.url}/v1/assertion/X1.json"
    server.json("/v1/assertion/X1.json", assertion)
    verdict = link(f"{server.url}/v1/assertion/X1")
    assert verdict.status == "valid"
    assert server.hits.get("/v1/assertion/X1") is None
