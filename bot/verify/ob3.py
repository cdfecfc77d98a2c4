"""Open Badges 3.0 credentials (imsglobal.org/spec/ob/v3p0): W3C Verifiable
Credentials with an embedded Data Integrity proof (eddsa-rdfc-2022, what Open Badge
Factory issues) or as a VC-JWT (compact JWS).

The key must belong to the issuer; otherwise anyone could sign a badge "from" any
structure with their own key:
- `did:key:…` (OBF): the key is in the identifier; the DID must be the issuer's id;
- `did:web:…`: the DID document at the matching https address, the DID being the
  issuer's id;
- an https address: the document there (a Multikey, a JWK, or a controller document
  that lists it); its controller must be the issuer's id, or the address must sit
  under the issuer's id.
A VC-JWT that only carries its own key in the `jwk` header proves that nobody changed
it, not who made it: it is reported as not verifiable, unless that key is the issuer's
`did:key` or `did:jwk`.
"""

import json
from datetime import timedelta

import jwt
from starlette.concurrency import run_in_threadpool

from bot.verify import data_integrity
from bot.verify.common import (Context, as_list, b64url_decode, did_key_ed25519,
                               ed25519_from_multikey, first, identity_matches, jws_parts,
                               parse_date, same_origin, text_of)
from bot.verify.result import (EXPIRED, INVALID, REVOKED, UNVERIFIABLE, VALID, Verdict,
                               VerifyFailure)

OB3_TYPES = {"OpenBadgeCredential", "AchievementCredential"}
JWT_ALGORITHMS = ["EdDSA", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                  "ES256", "ES384", "ES512"]
CLOCK_SKEW = timedelta(minutes=5)


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
    public_key = await _ed25519_key(ctx, str(proof.get("verificationMethod", "")), owner)
    # Canonicalisation is CPU work (tens of milliseconds): off the event loop.
    await run_in_threadpool(data_integrity.verify, credential, proof, public_key)
    return await _finish(ctx, credential, url)


async def _ed25519_key(ctx: Context, method: str, owner: str):
    if method.startswith("did:key:"):
        if method.split("#", 1)[0] != owner:
            raise VerifyFailure(INVALID, "cle_pas_a_l_emetteur", f"{method} vs {owner}")
        return did_key_ed25519(method)
    entry = await _method_entry(ctx, method, owner)
    if isinstance(entry.get("publicKeyMultibase"), str):
        return ed25519_from_multikey(entry["publicKeyMultibase"])
    jwk = entry.get("publicKeyJwk")
    if isinstance(jwk, dict) and jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
        return jwt.PyJWK(jwk, algorithm="EdDSA").key
    raise VerifyFailure(UNVERIFIABLE, "cle_non_geree", method)


async def _method_entry(ctx: Context, method: str, owner: str) -> dict:
    """The verification method `method` (an https URL or did:web), bound to `owner`."""
    if method.startswith("did:web:"):
        if method.split("#", 1)[0] != owner:
            raise VerifyFailure(INVALID, "cle_pas_a_l_emetteur", f"{method} vs {owner}")
        document = await ctx.get_json(_did_web_url(method), missing="cle_introuvable")
    elif method.startswith("https://") or method.startswith("http://"):
        document = await ctx.get_json(method.split("#", 1)[0], missing="cle_introuvable")
    else:
        raise VerifyFailure(UNVERIFIABLE, "cle_non_geree", method[:60])
    entry = None
    if document.get("id") == method:
        entry = document
    else:
        for key in ("verificationMethod", "assertionMethod", "publicKey"):
            for item in as_list(document.get(key)):
                if isinstance(item, dict) and item.get("id") == method:
                    entry = item
    if entry is None:
        raise VerifyFailure(UNVERIFIABLE, "cle_introuvable", method)
    controller = entry.get("controller") or document.get("controller") or document.get("id")
    bound = controller == owner or method.split("#", 1)[0] == owner or (
        method.startswith("http") and owner.startswith("http") and same_origin(method, owner)
        and method.startswith(owner.rstrip("/") + "/"))
    if not bound:
        raise VerifyFailure(INVALID, "cle_pas_a_l_emetteur", f"{controller} vs {owner}")
    return entry


def _did_web_url(did: str) -> str:
    parts = did.split("#", 1)[0].removeprefix("did:web:").split(":")
    host = parts[0].replace("%3A", ":")
    path = "/".join(parts[1:])
    return f"https://{host}/{path}/did.json" if path else f"https://{host}/.well-known/did.json"


# --- VC-JWT --------------------------------------------------------------------------

async def verify_jwt(ctx: Context, token: str) -> Verdict:
    header, payload = jws_parts(token)
    credential = payload.get("vc") if isinstance(payload.get("vc"), dict) else payload
    if not looks_like_ob3(credential):
        raise VerifyFailure(INVALID, "pas_un_badge", "JWT without an OpenBadgeCredential")
    algorithm = header.get("alg")
    if algorithm not in JWT_ALGORITHMS:
        raise VerifyFailure(INVALID, "signature_non_geree", f"alg {algorithm}")
    owner = issuer_id(credential) or payload.get("iss")
    if not isinstance(owner, str):
        raise VerifyFailure(INVALID, "parties_manquantes", "no issuer")
    if payload.get("iss") not in (None, owner):
        raise VerifyFailure(INVALID, "parties_differentes", "iss is not the issuer")
    key = await _jwt_key(ctx, header, owner, algorithm)
    try:
        jwt.PyJWS().decode(token, key, algorithms=[algorithm])
    except jwt.PyJWTError as error:
        raise VerifyFailure(INVALID, "signature_fausse", str(error)) from error
    verdict = await _finish(ctx, credential, None)
    not_before = parse_date(payload.get("nbf"))
    if not_before is not None and not_before > ctx.now + CLOCK_SKEW:
        raise VerifyFailure(INVALID, "pas_encore_valide", "nbf in the future")
    expires = parse_date(payload.get("exp"))
    if expires is not None and (verdict.expires is None or expires < verdict.expires):
        verdict.expires = expires
        if expires <= ctx.now and verdict.status == VALID:
            verdict.status, verdict.reason = EXPIRED, "date_depassee"
    return verdict


async def _jwt_key(ctx: Context, header: dict, owner: str, algorithm: str):
    kid = header.get("kid")
    if isinstance(kid, str) and kid.startswith("did:key:"):
        if kid.split("#", 1)[0] != owner:
            raise VerifyFailure(INVALID, "cle_pas_a_l_emetteur", f"{kid} vs {owner}")
        return did_key_ed25519(kid)
    jwk = header.get("jwk")
    if isinstance(jwk, dict):
        if owner.startswith("did:jwk:"):
            try:
                owner_jwk = json.loads(b64url_decode(owner.removeprefix("did:jwk:").split("#")[0]))
            except ValueError as error:
                raise VerifyFailure(INVALID, "cle_illisible", owner) from error
            if {k: owner_jwk.get(k) for k in ("kty", "crv", "x", "y", "n", "e")} != \
                    {k: jwk.get(k) for k in ("kty", "crv", "x", "y", "n", "e")}:
                raise VerifyFailure(INVALID, "cle_pas_a_l_emetteur", "jwk is not the did:jwk")
            return _jwk_key(jwk, algorithm)
        if owner.startswith("did:key:"):
            key = _jwk_key(jwk, algorithm)
            if key.public_bytes_raw() != did_key_ed25519(owner).public_bytes_raw():
                raise VerifyFailure(INVALID, "cle_pas_a_l_emetteur", "jwk is not the did:key")
            return key
        if not isinstance(kid, str):
            raise VerifyFailure(UNVERIFIABLE, "cle_pas_liee", "only an embedded jwk")
    if isinstance(kid, str) and (kid.startswith(("https://", "http://", "did:web:"))):
        entry = await _kid_entry(ctx, kid, owner)
        jwk = entry.get("publicKeyJwk") if "publicKeyJwk" in entry else entry
        if isinstance(jwk, dict) and "kty" in jwk:
            return _jwk_key(jwk, algorithm)
        if isinstance(entry.get("publicKeyMultibase"), str) and algorithm == "EdDSA":
            return ed25519_from_multikey(entry["publicKeyMultibase"])
        raise VerifyFailure(UNVERIFIABLE, "cle_non_geree", kid)
    raise VerifyFailure(UNVERIFIABLE, "cle_introuvable", "no usable kid")


async def _kid_entry(ctx: Context, kid: str, owner: str) -> dict:
    if kid.startswith("did:web:"):
        return await _method_entry(ctx, kid, owner)
    document = await ctx.get_json(kid.split("#", 1)[0], missing="cle_introuvable")
    # A bare JWK or a JWK set at the address: bound by its place, under the issuer.
    if "kty" in document or "keys" in document:
        if not (owner.startswith("http") and same_origin(kid, owner)):
            raise VerifyFailure(INVALID, "cle_pas_a_l_emetteur", f"{kid} vs {owner}")
        if "keys" in document:
            fragment = kid.split("#", 1)[1] if "#" in kid else None
            keys = [k for k in as_list(document["keys"]) if isinstance(k, dict)]
            chosen = next((k for k in keys if fragment and k.get("kid") == fragment), None)
            if chosen is None and len(keys) == 1:
                chosen = keys[0]
            if chosen is None:
                raise VerifyFailure(UNVERIFIABLE, "cle_introuvable", kid)
            return chosen
        return document
    return await _method_entry(ctx, kid, owner)


def _jwk_key(jwk: dict, algorithm: str):
    try:
        return jwt.PyJWK(jwk, algorithm=algorithm).key
    except jwt.PyJWTError as error:
        raise VerifyFailure(UNVERIFIABLE, "cle_illisible", str(error)) from error


# --- what every credential then goes through -----------------------------------------

async def _finish(ctx: Context, credential: dict, url: str | None) -> Verdict:
    issuer = credential.get("issuer") if isinstance(credential.get("issuer"), dict) else {}
    subject = first(credential.get("credentialSubject"))
    subject = subject if isinstance(subject, dict) else {}
    achievement = subject.get("achievement") if isinstance(subject.get("achievement"), dict) else {}
    criteria = achievement.get("criteria") if isinstance(achievement.get("criteria"), dict) else {}
    verdict = Verdict(
        status=VALID, reason="preuve_ok", version="3.0",
        issuer_name=text_of(issuer.get("name")),
        issuer_url=issuer.get("url") if isinstance(issuer.get("url"), str) else None,
        badge_name=text_of(achievement.get("name")) or text_of(credential.get("name")),
        description=text_of(achievement.get("description")) or text_of(credential.get("description")),
        criteria=text_of(criteria.get("narrative")),
        criteria_url=criteria.get("id") if isinstance(criteria.get("id"), str) else None,
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
    if await _revoked(ctx, credential):
        verdict.status, verdict.reason = REVOKED, "retire_liste"
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
        matched = identity_matches(email, str(item.get("identityHash", "")),
                                   bool(item.get("hashed")), item.get("salt"))
        if matched:
            return True
        said = False
    return said


def _public_name(subject: dict) -> str | None:
    for item in as_list(subject.get("identifier")):
        if isinstance(item, dict) and str(item.get("identityType", "")).lower() == "name" \
                and not item.get("hashed"):
            return text_of(item.get("identityHash"))
    return text_of(subject.get("name"))


async def _revoked(ctx: Context, credential: dict) -> bool:
    """The 1EdTech revocation list of the credential, when it has one. Other status
    methods (bit strings) are not read: the proof still says who gave the badge."""
    for status in as_list(credential.get("credentialStatus")):
        if not isinstance(status, dict) or status.get("type") != "1EdTechRevocationList":
            continue
        url = status.get("id")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            continue
        listing = await ctx.get_json(url)
        revoked = as_list(listing.get("revokedCredentials")) + as_list(
            (listing.get("credentialSubject") or {}).get("revokedCredentials")
            if isinstance(listing.get("credentialSubject"), dict) else None)
        for entry in revoked:
            revoked_id = entry if isinstance(entry, str) else (
                entry.get("id") if isinstance(entry, dict) else None)
            if revoked_id and revoked_id == credential.get("id"):
                return True
    return False
