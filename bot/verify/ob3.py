"""Open Badges 3.0 credentials (imsglobal.org/spec/ob/v3p0): W3C Verifiable
Credentials with an embedded Data Integrity proof (eddsa-rdfc-2022, what Open Badge
Factory issues) or as a VC-JWT (compact JWS).

The key must be the issuer's; otherwise anyone could sign a badge "from" any structure
with their own key. The verification method (a proof's `verificationMethod`, a JWT's
`kid`) is the issuer's when:
- it is the issuer's own DID: `did:key:…` (Ed25519 `z6Mk…`, P-256 `zDn…`) or
  `did:jwk:…` (the key is in the identifier), or `did:web:…` whose DID document,
  read at the matching https address, lists it as an assertion method;
- or the issuer's id is a web address and the Profile published there lists it
  (`assertionMethod`, else `verificationMethod` or `publicKey`); the key itself is
  then given there in full, or read at its own address (a Multikey, a JWK, a JWK set)
  whose `controller`, when it says one, must be the issuer.
A key document that only says its controller is some issuer proves nothing: anyone can
write one. A VC-JWT that carries its own key in the `jwk` header proves that nobody
changed it, not who made it: that key must be the issuer's key found as above, and a
`jwk` that differs from it makes the badge not trustworthy.

Status (`credentialStatus`): the 1EdTech Revocation List (`1EdTechRevocationList`,
a list of revoked ids) and the W3C Bitstring Status List (`BitstringStatusListEntry`,
and its predecessor `StatusList2021Entry`: a bit at `statusListIndex` of the gzip
bitstring in the `statusListCredential`), for the purposes revocation and suspension.
"""

import asyncio
import functools
import zlib
from datetime import timedelta
from typing import cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bot.verify import data_integrity
from bot.verify.common import (Context, as_list, b64url_decode, did_base, did_jwk, did_key,
                               first, host_of, identity_matches, jws_parts, key_from_jwk,
                               key_from_multikey, key_from_pem, parse_date, parse_json,
                               same_key, text_of, verify_jws_signature, web_url)
from bot.verify.result import (EXPIRED, INVALID, REVOKED, UNVERIFIABLE, VALID, Verdict,
                               VerifyFailure)

OB3_TYPES = {"OpenBadgeCredential", "AchievementCredential"}
JWT_ALGORITHMS = ["EdDSA", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                  "ES256", "ES384", "ES512"]
CLOCK_SKEW = timedelta(minutes=5)
BITSTRING_TYPES = {"BitstringStatusListEntry", "StatusList2021Entry"}
# A status list is 16 KB of bits by default (131,072 badges); far more is not a list.
MAX_BITSTRING = 4_000_000
MAX_STATUS_ENTRIES = 4


def looks_like_ob3(document: dict) -> bool:
    types = {t for t in as_list(document.get("type")) if isinstance(t, str)}
    return bool(types & OB3_TYPES) or ("VerifiableCredential" in types
                                       and "credentialSubject" in document)


def issuer_id(credential: dict) -> str | None:
    issuer = credential.get("issuer")
    if isinstance(issuer, str):
        return issuer
    if isinstance(issuer, dict) and isinstance(issuer.get("id"), str):
        return issuer["id"]
    return None


# --- embedded proof ------------------------------------------------------------------

async def verify_document(ctx: Context, credential: dict, url: str | None = None) -> Verdict:
    if not looks_like_ob3(credential):
        raise VerifyFailure(INVALID, "pas_un_badge", "not an OpenBadgeCredential")
    proofs = [p for p in as_list(credential.get("proof")) if isinstance(p, dict)]
    if not proofs:
        raise VerifyFailure(UNVERIFIABLE, "preuve_absente", "no proof")
    proof = next((p for p in proofs if p.get("cryptosuite") == data_integrity.CRYPTOSUITE),
                 proofs[0])
    data_integrity.check_proof_options(proof)
    owner = issuer_id(credential)
    if not owner:
        raise VerifyFailure(INVALID, "parties_manquantes", "no issuer id")
    public_key = await issuer_key(ctx, proof.get("verificationMethod"), owner)
    if not isinstance(public_key, Ed25519PublicKey):
        raise VerifyFailure(UNVERIFIABLE, "cle_non_geree", "eddsa proof without Ed25519 key")
    # Canonicalisation is CPU work (tens of milliseconds): off the event loop, in a
    # thread that the check's deadline can stop waiting for.
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, functools.partial(
        data_integrity.verify, credential, proof, public_key))
    _check_credential_shape(credential)
    return await _finish(ctx, credential, url)


# --- whose key -----------------------------------------------------------------------

async def issuer_key(ctx: Context, method, owner: str):
    """The public key of verification method `method` if it is the issuer's (rules at
    the top of this file); VerifyFailure otherwise."""
    if not isinstance(method, str) or not method or len(method) > 4096:
        raise VerifyFailure(UNVERIFIABLE, "cle_illisible", "no verification method")
    if method.startswith("did:"):
        if did_base(method) != did_base(owner):
            if web_url(owner) and method.startswith(("did:key:", "did:jwk:")):
                # A web issuer may name a did:key as its key: its Profile must list it.
                await _listed_method(ctx, await _profile(ctx, owner), owner, method, owner,
                                     need_entry=False)
                return did_key(method) if method.startswith("did:key:") else did_jwk(method)
            raise VerifyFailure(INVALID, "cle_pas_a_l_emetteur",
                                f"{method[:60]} is not {owner[:60]}")
        if method.startswith("did:key:"):
            return did_key(method)
        if method.startswith("did:jwk:"):
            return did_jwk(method)
        if method.startswith("did:web:"):
            did = did_base(method)
            document = await ctx.get_json(_did_web_url(did), missing="cle_introuvable")
            if document.get("id") != did:
                raise VerifyFailure(INVALID, "parties_differentes", "DID document id")
            return _key_of(await _listed_method(ctx, document, did, method, owner))
        raise VerifyFailure(UNVERIFIABLE, "cle_non_geree", method[:60])
    if web_url(method):
        if not web_url(owner):
            raise VerifyFailure(INVALID, "cle_pas_a_l_emetteur", "a web key for a DID issuer")
        return _key_of(await _listed_method(ctx, await _profile(ctx, owner), owner, method, owner))
    raise VerifyFailure(UNVERIFIABLE, "cle_non_geree", method[:60])


async def _profile(ctx: Context, owner: str) -> dict:
    """The issuer's Profile, read at its own web id."""
    profile = await ctx.get_json(owner)
    if profile.get("id") not in (None, owner):
        raise VerifyFailure(INVALID, "parties_differentes", "issuer Profile id")
    return profile


def _resolve(reference: str, base: str) -> str:
    return base + reference if reference.startswith("#") else reference


async def _listed_method(ctx: Context, document: dict, base: str, method: str,
                         owner: str, need_entry: bool = True) -> dict:
    """The entry of `method` in the issuer's own document (Profile or DID document),
    which must list it; read at its address when the document only names it."""
    relations = ("assertionMethod",) if "assertionMethod" in document \
        else ("verificationMethod", "publicKey")
    listed = set()
    for relation in relations:
        for item in as_list(document.get(relation))[:50]:
            ref = item.get("id") if isinstance(item, dict) else item
            if isinstance(ref, str):
                listed.add(_resolve(ref, base))
    if method not in listed:
        raise VerifyFailure(INVALID, "cle_pas_publiee", f"{method[:80]} not listed")
    if not need_entry:
        return {}
    for relation in ("assertionMethod", "verificationMethod", "publicKey"):
        for item in as_list(document.get(relation))[:50]:
            if isinstance(item, dict) and isinstance(item.get("id"), str) \
                    and _resolve(item["id"], base) == method:
                return item
    if did_base(method) == base or not web_url(method):
        raise VerifyFailure(UNVERIFIABLE, "cle_introuvable", method[:80])
    # Listed by the issuer, published at its own address.
    found = await ctx.get_json(method.split("#", 1)[0], missing="cle_introuvable")
    entry = _entry_in(found, method)
    controller = entry.get("controller") or found.get("controller")
    if controller is not None and controller != owner:
        raise VerifyFailure(INVALID, "cle_pas_a_l_emetteur", f"controller {str(controller)[:80]}")
    return entry


def _entry_in(document: dict, method: str) -> dict:
    """A key at its address: the document itself, one key of a JWK set (by the `kid`
    in the fragment, or the only one), or the entry of a controller document."""
    if document.get("id") == method or ("kty" in document and "keys" not in document):
        return document
    fragment = method.split("#", 1)[1] if "#" in method else None
    if "keys" in document:
        keys = [k for k in as_list(document["keys"])[:50] if isinstance(k, dict)]
        chosen = next((k for k in keys if fragment and k.get("kid") == fragment), None)
        if chosen is None and len(keys) == 1:
            chosen = keys[0]
        if chosen is not None:
            return chosen
    base = method.split("#", 1)[0]
    for relation in ("verificationMethod", "assertionMethod", "publicKey"):
        for item in as_list(document.get(relation))[:50]:
            if isinstance(item, dict) and isinstance(item.get("id"), str) \
                    and _resolve(item["id"], base) == method:
                return item
    if fragment is None and any(k in document for k in ("publicKeyMultibase",
                                                          "publicKeyJwk", "publicKeyPem")):
        return document
    raise VerifyFailure(UNVERIFIABLE, "cle_introuvable", method[:80])


def _key_of(entry: dict):
    if isinstance(entry.get("publicKeyMultibase"), str):
        return key_from_multikey(entry["publicKeyMultibase"])
    if "publicKeyJwk" in entry:
        return key_from_jwk(entry["publicKeyJwk"])
    if "kty" in entry:
        return key_from_jwk(entry)
    if "publicKeyPem" in entry:
        return key_from_pem(entry["publicKeyPem"])
    raise VerifyFailure(UNVERIFIABLE, "cle_non_geree", "no key material")


def _did_web_host(did: str) -> str:
    return did_base(did).removeprefix("did:web:").split(":")[0].replace("%3A", ":").replace("%3a", ":")


def _did_web_url(did: str) -> str:
    path = "/".join(did_base(did).removeprefix("did:web:").split(":")[1:])
    host = _did_web_host(did)
    return f"https://{host}/{path}/did.json" if path else f"https://{host}/.well-known/did.json"


def _site_of(owner: str) -> str | None:
    """The site that a valid proof ties the badge to: the issuer's web id, or did:web."""
    if web_url(owner):
        return host_of(owner)
    if owner.startswith("did:web:"):
        return host_of(f"https://{_did_web_host(owner)}/")
    return None


# --- VC-JWT --------------------------------------------------------------------------

async def verify_jwt(ctx: Context, token: str) -> Verdict:
    header, payload = jws_parts(token)
    credential = cast(dict, payload.get("vc") if isinstance(payload.get("vc"), dict) else payload)
    if not looks_like_ob3(credential):
        raise VerifyFailure(INVALID, "pas_un_badge", "JWT without an OpenBadgeCredential")
    algorithm = header.get("alg")
    if algorithm not in JWT_ALGORITHMS:
        raise VerifyFailure(INVALID, "signature_non_geree", f"alg {str(algorithm)[:20]}")
    iss = payload.get("iss")
    owner = issuer_id(credential) or iss
    if not isinstance(owner, str) or not owner:
        raise VerifyFailure(INVALID, "parties_manquantes", "no issuer")
    if iss not in (None, owner):
        raise VerifyFailure(INVALID, "parties_differentes", "iss is not the issuer")
    kid, jwk = header.get("kid"), header.get("jwk")
    if isinstance(kid, str) and kid.startswith("#"):
        kid = did_base(owner) + kid  # relative to the issuer's identifier
    if kid is not None:
        key = await issuer_key(ctx, kid, owner)
    elif owner.startswith(("did:key:", "did:jwk:")):
        key = await issuer_key(ctx, owner, owner)  # the issuer's identifier is its key
    elif jwk is not None:
        raise VerifyFailure(UNVERIFIABLE, "cle_pas_liee", "only an embedded jwk")
    else:
        raise VerifyFailure(UNVERIFIABLE, "cle_introuvable", "no kid")
    if jwk is not None:
        try:
            header_key = key_from_jwk(jwk)
        except VerifyFailure as error:
            raise VerifyFailure(INVALID, "cle_pas_a_l_emetteur", "unreadable jwk") from error
        if not same_key(header_key, key):
            raise VerifyFailure(INVALID, "cle_pas_a_l_emetteur", "jwk is not the issuer's key")
    verify_jws_signature(token, key, algorithm)
    _check_credential_shape(credential)
    not_before = parse_date(payload.get("nbf"))
    expires = parse_date(payload.get("exp"))
    verdict = await _finish(ctx, credential, None)
    if not_before is not None and not_before > ctx.now + CLOCK_SKEW:
        raise VerifyFailure(INVALID, "pas_encore_valide", "nbf in the future")
    if expires is not None and (verdict.expires is None or expires < verdict.expires):
        verdict.expires = expires
        if expires <= ctx.now and verdict.status == VALID:
            verdict.status, verdict.reason = EXPIRED, "date_depassee"
    return verdict


# --- what every credential then goes through -----------------------------------------

DATES = ("validFrom", "validUntil", "awardedDate", "issuanceDate", "expirationDate")


def _check_credential_shape(credential: dict) -> None:
    """The parts that the answer reads must have the types of the spec."""
    subjects = as_list(credential.get("credentialSubject"))
    if not subjects or not all(isinstance(s, dict) for s in subjects):
        raise VerifyFailure(UNVERIFIABLE, "badge_mal_forme", "credentialSubject")
    subject = subjects[0]
    if "achievement" in subject and not isinstance(subject["achievement"], dict):
        raise VerifyFailure(UNVERIFIABLE, "badge_mal_forme", "achievement")
    for item in as_list(subject.get("identifier")):
        if not isinstance(item, dict):
            raise VerifyFailure(UNVERIFIABLE, "badge_mal_forme", "identifier")
        for name, kinds in (("identityHash", (str,)), ("identityType", (str,)),
                            ("salt", (str, type(None))), ("hashed", (bool,))):
            if name in item and not isinstance(item[name], kinds):
                raise VerifyFailure(UNVERIFIABLE, "badge_mal_forme", f"identifier.{name}")
    issuer = credential.get("issuer")
    if not isinstance(issuer, (str, dict)):
        raise VerifyFailure(UNVERIFIABLE, "badge_mal_forme", "issuer")
    for name in DATES:
        parse_date(credential.get(name))


async def _finish(ctx: Context, credential: dict, url: str | None) -> Verdict:
    issuer = cast(dict, credential.get("issuer") if isinstance(credential.get("issuer"), dict) else {})
    subject = first(credential.get("credentialSubject"))
    subject = subject if isinstance(subject, dict) else {}
    achievement = cast(dict, subject.get("achievement")
                       if isinstance(subject.get("achievement"), dict) else {})
    criteria = cast(dict, achievement.get("criteria")
                    if isinstance(achievement.get("criteria"), dict) else {})
    owner = issuer_id(credential) or ""
    verdict = Verdict(
        status=VALID, reason="preuve_ok", version="3.0",
        origin="signature_site_ok" if _site_of(owner) else "preuve_ok",
        issuer_name=text_of(issuer.get("name")),
        issuer_url=issuer.get("url") if web_url(issuer.get("url")) else None,
        issuer_site=_site_of(owner),
        badge_name=text_of(achievement.get("name")) or text_of(credential.get("name")),
        description=text_of(achievement.get("description")) or text_of(credential.get("description")),
        criteria=text_of(criteria.get("narrative")),
        criteria_url=criteria.get("id") if web_url(criteria.get("id")) else None,
        issued_on=parse_date(credential.get("awardedDate") or credential.get("validFrom")
                             or credential.get("issuanceDate")),
        expires=parse_date(credential.get("validUntil") or credential.get("expirationDate")),
        url=url,
    )
    verdict.recipient_public_name = _public_name(subject)
    if ctx.email:
        verdict.recipient_match = _recipient_match(ctx.email, subject)
    starts = parse_date(credential.get("validFrom") or credential.get("issuanceDate"))
    if starts is not None and starts > ctx.now + CLOCK_SKEW:
        raise VerifyFailure(INVALID, "pas_encore_valide", "validFrom in the future")
    status = await _status(ctx, credential)
    if status is not None:
        verdict.status, verdict.reason = REVOKED, status
    elif verdict.expires is not None and verdict.expires <= ctx.now:
        verdict.status, verdict.reason = EXPIRED, "date_depassee"
    return verdict


def _recipient_match(email: str, subject: dict) -> bool | None:
    said = None
    subject_id = subject.get("id")
    if isinstance(subject_id, str) and subject_id.lower().startswith("mailto:"):
        said = identity_matches(email, subject_id, False, None)
        if said:
            return True
    for item in as_list(subject.get("identifier")):
        if not isinstance(item, dict):
            continue
        if str(item.get("identityType", "")).lower() not in ("emailaddress", "email"):
            continue
        matched = identity_matches(email, item.get("identityHash", ""),
                                   item.get("hashed") is True, item.get("salt"))
        if matched:
            return True
        said = False
    return said


def _public_name(subject: dict) -> str | None:
    for item in as_list(subject.get("identifier")):
        if isinstance(item, dict) and str(item.get("identityType", "")).lower() == "name" \
                and item.get("hashed") is not True:
            return text_of(item.get("identityHash"))
    return text_of(subject.get("name"))


# --- status: revocation lists --------------------------------------------------------

async def _status(ctx: Context, credential: dict) -> str | None:
    """The reason code when the issuer withdrew (or suspended) the badge, else None."""
    for entry in as_list(credential.get("credentialStatus"))[:MAX_STATUS_ENTRIES]:
        if not isinstance(entry, dict):
            continue
        kinds = {t for t in as_list(entry.get("type")) if isinstance(t, str)}
        if "1EdTechRevocationList" in kinds:
            if await _in_revocation_list(ctx, entry, credential.get("id")):
                return "retire_liste"
        elif kinds & BITSTRING_TYPES:
            found = await _bitstring_status(ctx, entry)
            if found:
                return found
    return None


async def _in_revocation_list(ctx: Context, entry: dict, credential_id) -> bool:
    url = entry.get("id")
    if not web_url(url):
        return False
    listing = await _status_document(ctx, url)
    subject = first(listing.get("credentialSubject"))
    revoked = as_list(listing.get("revokedCredentials")) + (
        as_list(subject.get("revokedCredentials")) if isinstance(subject, dict) else [])
    for item in revoked:
        revoked_id = item if isinstance(item, str) else (
            item.get("id") if isinstance(item, dict) else None)
        if isinstance(revoked_id, str) and revoked_id == credential_id:
            return True
    return False


async def _bitstring_status(ctx: Context, entry: dict) -> str | None:
    purpose = entry.get("statusPurpose", "revocation")
    if purpose not in ("revocation", "suspension"):
        return None  # a "message" or other purpose does not withdraw a badge
    index, url = entry.get("statusListIndex"), entry.get("statusListCredential")
    if isinstance(index, str) and index.isascii() and index.isdigit() and len(index) <= 12:
        index = int(index)
    if not isinstance(index, int) or isinstance(index, bool) or index < 0 or not web_url(url):
        raise VerifyFailure(UNVERIFIABLE, "statut_illisible", "status entry")
    size = entry.get("statusSize", 1)
    if size not in (1, "1"):
        raise VerifyFailure(UNVERIFIABLE, "statut_illisible", "statusSize")
    listing = await _status_document(ctx, url)
    subject = first(listing.get("credentialSubject"))
    if not isinstance(subject, dict) or not isinstance(subject.get("encodedList"), str):
        raise VerifyFailure(UNVERIFIABLE, "statut_illisible", "no encodedList")
    list_purposes = [p for p in as_list(subject.get("statusPurpose")) if isinstance(p, str)]
    if list_purposes and purpose not in list_purposes:
        raise VerifyFailure(UNVERIFIABLE, "statut_illisible", "another purpose")
    bits = _bitstring(subject["encodedList"])
    if index >= len(bits) * 8:
        raise VerifyFailure(UNVERIFIABLE, "statut_illisible", "index past the list")
    # Index 0 is the left-most bit: the most significant bit of the first byte.
    if (bits[index // 8] >> (7 - index % 8)) & 1:
        return "retire_liste" if purpose == "revocation" else "suspendu"
    return None


def _bitstring(encoded: str) -> bytes:
    """Multibase base64url (`u…`, Bitstring Status List) or plain base64 (Status List
    2021) of a gzip stream, decompressed up to MAX_BITSTRING bytes."""
    text = encoded[1:] if encoded.startswith("u") else encoded
    text = text.replace("+", "-").replace("/", "_").rstrip("=")
    try:
        compressed = b64url_decode(text)
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        bits = inflater.decompress(compressed, MAX_BITSTRING + 1)
    except (ValueError, zlib.error) as error:
        raise VerifyFailure(UNVERIFIABLE, "statut_illisible", "encodedList") from error
    if len(bits) > MAX_BITSTRING or not bits:
        raise VerifyFailure(UNVERIFIABLE, "statut_illisible", "bitstring size")
    return bits


async def _status_document(ctx: Context, url: str) -> dict:
    """A status list: JSON (a credential or a plain list), or a VC-JWT whose payload
    holds it (its signature is not what says the badge's status: the badge names it)."""
    found = await ctx.get(url)
    if found.status >= 400:
        raise VerifyFailure(UNVERIFIABLE, "statut_illisible", f"{url}: HTTP {found.status}")
    body = found.body.strip()
    if body[:1] != b"{" and body.count(b".") == 2 and len(body) < 1_000_000:
        _header, payload = jws_parts(body.decode("ascii", "replace"))
        return cast(dict, payload.get("vc") if isinstance(payload.get("vc"), dict) else payload)
    return parse_json(found.body, url)
