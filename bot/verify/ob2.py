"""Open Badges 2.0: hosted and signed assertions (imsglobal.org/spec/ob/v2p0).

Hosted: the issuer keeps the assertion at its `id`; the copy found there is the truth.
It is withdrawn when that address answers 410 Gone, says `revoked: true`, or is in the
issuer's revocation list. The assertion, its badge class and the issuer must belong
together: the assertion names the badge class, the badge class names the issuer, and
the assertion lives where the issuer allows (its `verification.allowedOrigins` or
`startsWith`, else the origin of the issuer's id).

Signed: the assertion is the payload of a JWS; `verification.creator` is the address of
the issuer's CryptographicKey, whose `owner` must be the issuer and whose
`publicKeyPem` must check the signature (RS256 recommended; RSA-PSS and ECDSA too).
"""

from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from bot.verify.common import (Context, as_list, first, identity_matches, jws_parts,
                               parse_date, same_origin, text_of)
from bot.verify.result import (EXPIRED, INVALID, REVOKED, UNVERIFIABLE, VALID, Verdict,
                               VerifyFailure)

OB2_CONTEXT = "https://w3id.org/openbadges/v2"
SIGNED_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                     "ES256", "ES384", "ES512"]
HOSTED = {"hosted", "hostedbadge"}
SIGNED = {"signed", "signedbadge"}


def looks_like_ob2(document: dict) -> bool:
    contexts = [c for c in as_list(document.get("@context")) if isinstance(c, str)]
    if any(c.rstrip("/").startswith("https://w3id.org/openbadges") for c in contexts):
        return True
    # 1.x and context-less assertions: the shape says it.
    return "badge" in document and "recipient" in document


def _kind(assertion: dict) -> str:
    verification = assertion.get("verification") or assertion.get("verify") or {}
    kind = str(verification.get("type", "") if isinstance(verification, dict) else "").lower()
    if kind in SIGNED:
        return "signed"
    return "hosted"


async def verify_document(ctx: Context, assertion: dict, fetched_from: str | None = None) -> Verdict:
    """An assertion found as JSON (a link, a baked image, pasted text)."""
    if _kind(assertion) == "signed":
        # The JSON alone carries no signature: the JWS is what proves a signed badge.
        raise VerifyFailure(UNVERIFIABLE, "signature_absente", "signed assertion without JWS")
    assertion_id = assertion.get("id") or (assertion.get("verify") or {}).get("url")
    if not isinstance(assertion_id, str) or not assertion_id.startswith(("http://", "https://")):
        raise VerifyFailure(UNVERIFIABLE, "adresse_absente", "hosted assertion without URL id")
    return await verify_hosted(ctx, assertion_id)


async def verify_hosted(ctx: Context, assertion_id: str) -> Verdict:
    found = await ctx.get(assertion_id)
    if found.status == 410:
        raise VerifyFailure(REVOKED, "retire_410", assertion_id)
    if found.status >= 400:
        raise VerifyFailure(UNVERIFIABLE, "lien_injoignable", f"HTTP {found.status}")
    try:
        assertion = found.json()
    except ValueError as error:
        raise VerifyFailure(UNVERIFIABLE, "document_illisible", assertion_id) from error
    if not isinstance(assertion, dict):
        raise VerifyFailure(UNVERIFIABLE, "document_illisible", assertion_id)
    if assertion.get("id") not in (None, assertion_id):
        raise VerifyFailure(INVALID, "parties_differentes", "hosted copy has another id")
    if _kind(assertion) != "hosted":
        raise VerifyFailure(UNVERIFIABLE, "signature_absente", "hosted copy says signed")
    badge, issuer = await _badge_and_issuer(ctx, assertion)
    _check_hosted_origin(assertion_id, issuer)
    return await _finish(ctx, assertion, badge, issuer, assertion_id, url=assertion_id)


async def verify_jws(ctx: Context, token: str) -> Verdict:
    header, assertion = jws_parts(token)
    algorithm = header.get("alg")
    if algorithm not in SIGNED_ALGORITHMS:
        raise VerifyFailure(INVALID, "signature_non_geree", f"alg {algorithm}")
    verification = assertion.get("verification") or {}
    creator = verification.get("creator") if isinstance(verification, dict) else None
    badge, issuer = await _badge_and_issuer(ctx, assertion)
    if not creator:
        creator = first(issuer.get("publicKey"))
        if isinstance(creator, dict):
            creator = creator.get("id")
    if not isinstance(creator, str) or not creator.startswith(("http://", "https://")):
        raise VerifyFailure(UNVERIFIABLE, "cle_introuvable", "no key URL")
    key = await ctx.get_json(creator, missing="cle_introuvable")
    if key.get("owner") != issuer.get("id"):
        raise VerifyFailure(INVALID, "cle_pas_a_l_emetteur", f"owner {key.get('owner')}")
    try:
        public_key = load_pem_public_key(str(key.get("publicKeyPem", "")).encode())
    except ValueError as error:
        raise VerifyFailure(UNVERIFIABLE, "cle_illisible", creator) from error
    try:
        jwt.PyJWS().decode(token, public_key, algorithms=[algorithm])
    except jwt.InvalidSignatureError as error:
        raise VerifyFailure(INVALID, "signature_fausse", "JWS signature") from error
    except jwt.PyJWTError as error:
        raise VerifyFailure(INVALID, "signature_fausse", str(error)) from error
    return await _finish(ctx, assertion, badge, issuer, assertion.get("id"), url=None)


async def _badge_and_issuer(ctx: Context, assertion: dict) -> tuple[dict, dict]:
    badge = await _part(ctx, assertion.get("badge"), "badge class")
    issuer = await _part(ctx, badge.get("issuer"), "issuer")
    return badge, issuer


async def _part(ctx: Context, ref, what: str) -> dict:
    """A linked part of the badge (badge class, issuer): embedded, or fetched from its
    address, which must then be its own id."""
    if isinstance(ref, dict):
        return ref
    if not isinstance(ref, str):
        raise VerifyFailure(INVALID, "parties_manquantes", f"no {what}")
    part = await ctx.get_json(ref)
    if part.get("id") not in (None, ref):
        raise VerifyFailure(INVALID, "parties_differentes", f"{what} id")
    part.setdefault("id", ref)
    return part


def _check_hosted_origin(assertion_id: str, issuer: dict) -> None:
    """The assertion must live where the issuer says its badges live."""
    policy = issuer.get("verification") if isinstance(issuer.get("verification"), dict) else {}
    starts = [s for s in as_list(policy.get("startsWith")) if isinstance(s, str)]
    origins = [o for o in as_list(policy.get("allowedOrigins")) if isinstance(o, str)]
    host = urlsplit(assertion_id).netloc.lower()
    if starts:
        ok = any(assertion_id.startswith(s) for s in starts)
    elif origins:
        ok = host in {o.lower() for o in origins}
    else:
        issuer_id = issuer.get("id")
        ok = isinstance(issuer_id, str) and same_origin(issuer_id, assertion_id)
    if not ok:
        raise VerifyFailure(INVALID, "pas_chez_l_emetteur", f"{host} not allowed by issuer")


async def _finish(ctx: Context, assertion: dict, badge: dict, issuer: dict,
                  assertion_id: str | None, url: str | None) -> Verdict:
    criteria = badge.get("criteria")
    verdict = Verdict(
        status=VALID, reason="preuve_ok", version="2.0",
        issuer_name=text_of(issuer.get("name")),
        issuer_url=issuer.get("url") if isinstance(issuer.get("url"), str) else None,
        badge_name=text_of(badge.get("name")),
        description=text_of(badge.get("description")),
        criteria=text_of(criteria.get("narrative")) if isinstance(criteria, dict) else None,
        criteria_url=(criteria if isinstance(criteria, str)
                      else criteria.get("id") if isinstance(criteria, dict) else None),
        issued_on=parse_date(assertion.get("issuedOn") or assertion.get("issued_on")),
        expires=parse_date(assertion.get("expires")),
        url=url,
    )
    recipient = assertion.get("recipient")
    if ctx.email and isinstance(recipient, dict):
        if str(recipient.get("type", "email")).lower() == "email":
            verdict.recipient_match = identity_matches(
                ctx.email, str(recipient.get("identity", "")), bool(recipient.get("hashed")),
                recipient.get("salt"))
    # Withdrawn first: a withdrawn badge that has also expired is said withdrawn.
    if assertion.get("revoked") is True:
        verdict.status, verdict.reason = REVOKED, "retire"
    elif await _in_revocation_list(ctx, issuer, assertion_id, assertion.get("uid")):
        verdict.status, verdict.reason = REVOKED, "retire_liste"
    elif verdict.expires is not None and verdict.expires <= ctx.now:
        verdict.status, verdict.reason = EXPIRED, "date_depassee"
    return verdict


async def _in_revocation_list(ctx: Context, issuer: dict, assertion_id, uid) -> bool:
    url = issuer.get("revocationList")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return False
    revoked = await ctx.get_json(url)
    for entry in as_list(revoked.get("revokedAssertions")):
        ids = {entry} if isinstance(entry, str) else (
            {entry.get("id"), entry.get("uid")} if isinstance(entry, dict) else set())
        if (assertion_id and assertion_id in ids) or (uid and uid in ids):
            return True
    return False
