"""Open Badges 2.0: hosted and signed assertions (imsglobal.org/spec/ob/v2p0).

Whatever the badge says about its issuer, the issuer's Profile is read at the issuer's
own `id` (fetched, never the copy embedded in the badge or in the JWS): that published
Profile alone says which keys are the issuer's and where its badges may live.

Hosted: the issuer keeps the assertion at its `id`; the copy found there is the truth.
It is withdrawn when that address answers 410 Gone, says `revoked: true` (the short
body `{"id", "revoked", "revocationReason"}` is enough, so it is read before anything
else), or is in the issuer's revocation list. The assertion and its badge class (when
it has its own address) must live on the origin of the issuer's id, unless the
Profile's `verification.allowedOrigins` (host names, whatever the port) says where; its
`startsWith` narrows where assertions may live.

Signed: the assertion is the payload of a JWS; the key `verification.creator` (or, when
there is none, the keys of the Profile) must be listed in the Profile's `publicKey`, and
the key document's `owner` must be the issuer; its `publicKeyPem` must check the
signature (RS256 recommended; RSA-PSS and ECDSA too).
"""

from typing import cast

from bot.verify.common import (Context, as_list, check_limits, host_of, identity_matches,
                               jws_parts, key_from_pem, parse_date, parse_json, same_origin,
                               text_of, verify_jws_signature, web_url)
from bot.verify.result import (EXPIRED, INVALID, REVOKED, UNVERIFIABLE, VALID, Verdict,
                               VerifyFailure)

OB2_CONTEXT = "https://w3id.org/openbadges/v2"
SIGNED_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                     "ES256", "ES384", "ES512"]
HOSTED = {"hosted", "hostedbadge"}
SIGNED = {"signed", "signedbadge"}
# Keys tried when a signed assertion names none (the Profile may list several).
MAX_KEYS = 3


def looks_like_ob2(document: dict) -> bool:
    contexts = [c for c in as_list(document.get("@context")) if isinstance(c, str)]
    if any(c.rstrip("/").startswith("https://w3id.org/openbadges") for c in contexts):
        return True
    # 1.x and context-less assertions: the shape says it.
    return "badge" in document and "recipient" in document


def says_revoked(document: dict) -> bool:
    revoked = document.get("revoked")
    return revoked is True or (isinstance(revoked, str) and revoked.strip().lower() == "true")


def _verification(assertion: dict) -> dict:
    verification = assertion.get("verification") or assertion.get("verify") or {}
    return verification if isinstance(verification, dict) else {}


def _kind(assertion: dict) -> str:
    kind = _verification(assertion).get("type", "")
    kind = kind.lower() if isinstance(kind, str) else ""
    if kind in SIGNED:
        return "signed"
    return "hosted"


async def verify_document(ctx: Context, assertion: dict, fetched_from: str | None = None) -> Verdict:
    """An assertion found as JSON (a link, a baked image, pasted text)."""
    if _kind(assertion) == "signed":
        # The JSON alone carries no signature: the JWS is what proves a signed badge.
        raise VerifyFailure(UNVERIFIABLE, "signature_absente", "signed assertion without JWS")
    assertion_id = assertion.get("id")
    if not web_url(assertion_id):
        assertion_id = _verification(assertion).get("url")  # Open Badges 1.0
    if not web_url(assertion_id):
        raise VerifyFailure(UNVERIFIABLE, "adresse_absente", "hosted assertion without URL id")
    return await verify_hosted(ctx, assertion_id)


async def verify_hosted(ctx: Context, assertion_id: str) -> Verdict:
    found = await ctx.get(assertion_id)
    if found.status == 410:
        raise VerifyFailure(REVOKED, "retire_410", assertion_id)
    if found.status >= 400:
        raise VerifyFailure(UNVERIFIABLE, "lien_injoignable", f"HTTP {found.status}")
    assertion = parse_json(found.body, assertion_id)
    # Withdrawn wins, and may come as a short body without the badge's other parts.
    if says_revoked(assertion):
        raise VerifyFailure(REVOKED, "retire", assertion_id)
    if assertion.get("id") not in (None, assertion_id):
        raise VerifyFailure(INVALID, "parties_differentes", "hosted copy has another id")
    if _kind(assertion) != "hosted":
        raise VerifyFailure(UNVERIFIABLE, "signature_absente", "hosted copy says signed")
    _check_assertion_shape(assertion)
    badge, badge_url = await _badge_class(ctx, assertion)
    issuer = await _published_issuer(ctx, badge)
    _check_hosted_origin(assertion_id, badge_url, issuer)
    return await _finish(ctx, assertion, badge, issuer, assertion_id, url=assertion_id)


async def verify_jws(ctx: Context, token: str) -> Verdict:
    header, assertion = jws_parts(token)
    algorithm = header.get("alg")
    if algorithm not in SIGNED_ALGORITHMS:
        raise VerifyFailure(INVALID, "signature_non_geree", f"alg {str(algorithm)[:20]}")
    badge, _badge_url = await _badge_class(ctx, assertion)
    issuer = await _published_issuer(ctx, badge)
    listed = _listed_keys(issuer)
    creator = _verification(assertion).get("creator")
    if creator is not None:
        if not web_url(creator):
            raise VerifyFailure(UNVERIFIABLE, "cle_illisible", "creator is not a web address")
        if creator not in listed:
            # Anyone can publish a key that says its owner is some issuer: only the
            # issuer's own Profile can say that a key is its key.
            raise VerifyFailure(INVALID, "cle_pas_publiee", f"{creator} not in the Profile")
        candidates = [creator]
    else:
        candidates = list(listed)[:MAX_KEYS]
        if not candidates:
            raise VerifyFailure(UNVERIFIABLE, "cle_introuvable", "the Profile lists no key")
    failure: VerifyFailure | None = None
    for key_id in candidates:
        key = await _issuer_key(ctx, key_id, listed[key_id], issuer["id"])
        try:
            verify_jws_signature(token, key, algorithm)
        except VerifyFailure as error:
            failure = error
            continue
        break
    else:
        raise cast(VerifyFailure, failure)  # the loop ran: candidates is not empty
    _check_assertion_shape(assertion)
    return await _finish(ctx, assertion, badge, issuer, assertion.get("id"), url=None,
                         signed=True)


def _listed_keys(issuer: dict) -> dict[str, dict | None]:
    """The keys that the published Profile lists: id -> the key itself when the Profile
    gives it in full, else None (it is then read at its id)."""
    keys: dict[str, dict | None] = {}
    for item in as_list(issuer.get("publicKey"))[:20]:
        if web_url(item):
            keys.setdefault(item, None)
        elif isinstance(item, dict) and web_url(item.get("id")):
            keys[item["id"]] = item if "publicKeyPem" in item else keys.get(item["id"])
    return keys


async def _issuer_key(ctx: Context, key_id: str, inline: dict | None, issuer_id: str):
    document = inline if inline is not None else await ctx.get_json(key_id, missing="cle_introuvable")
    if document.get("id") not in (None, key_id):
        raise VerifyFailure(INVALID, "parties_differentes", "key id")
    if document.get("owner") != issuer_id:
        raise VerifyFailure(INVALID, "cle_pas_a_l_emetteur", f"owner {str(document.get('owner'))[:80]}")
    return key_from_pem(document.get("publicKeyPem"))


async def _badge_class(ctx: Context, assertion: dict) -> tuple[dict, str | None]:
    """The badge class: embedded in the assertion, or read at its address (which must
    then be its own id). Returns it and that address."""
    ref = assertion.get("badge")
    if isinstance(ref, dict):
        return ref, None
    if not web_url(ref):
        raise VerifyFailure(INVALID, "parties_manquantes", "no badge class")
    badge = await ctx.get_json(ref)
    if badge.get("id") not in (None, ref):
        raise VerifyFailure(INVALID, "parties_differentes", "badge class id")
    return badge, ref


async def _published_issuer(ctx: Context, badge: dict) -> dict:
    """The issuer's Profile as the issuer publishes it at its own id. A copy embedded in
    the badge (with its keys and its rules) is never what counts."""
    ref = badge.get("issuer")
    issuer_id = ref.get("id") if isinstance(ref, dict) else ref
    if not web_url(issuer_id):
        raise VerifyFailure(INVALID, "emetteur_non_publie", "issuer without a web id")
    issuer = await ctx.get_json(issuer_id)
    if issuer.get("id") not in (None, issuer_id):
        raise VerifyFailure(INVALID, "parties_differentes", "issuer id")
    issuer["id"] = issuer_id
    return issuer


def _allowed_hosts(policy: dict) -> set[str]:
    hosts = set()
    for origin in as_list(policy.get("allowedOrigins")):
        if isinstance(origin, str) and origin.strip():
            origin = origin.strip()
            host = host_of(origin if "://" in origin else f"https://{origin}")
            if host:
                hosts.add(host)
    return hosts


def _check_hosted_origin(assertion_id: str, badge_url: str | None, issuer: dict) -> None:
    """The assertion, and its badge class, must live where the issuer says its badges
    live: the hosts of `allowedOrigins` (names only, any port), else the origin of the
    issuer's id; and, for the assertion, under one of `startsWith` when it is given."""
    policy = cast(dict, issuer.get("verification")
                  if isinstance(issuer.get("verification"), dict) else {})
    hosts = _allowed_hosts(policy)
    for what, url in (("assertion", assertion_id), ("badge class", badge_url)):
        if url is None:
            continue
        ok = host_of(url) in hosts if hosts else same_origin(issuer["id"], url)
        if not ok:
            raise VerifyFailure(INVALID, "pas_chez_l_emetteur", f"{what} {host_of(url)}")
    starts = [s for s in as_list(policy.get("startsWith")) if isinstance(s, str) and s]
    if starts and not any(assertion_id.startswith(s) for s in starts):
        raise VerifyFailure(INVALID, "pas_chez_l_emetteur", "not under startsWith")


def _check_assertion_shape(assertion: dict) -> None:
    """The parts that the answer reads must have the types of the spec; a badge that has
    another shape is said to be badly written, not guessed at."""
    recipient = assertion.get("recipient")
    if not isinstance(recipient, dict):
        raise VerifyFailure(UNVERIFIABLE, "badge_mal_forme", "recipient")
    for name, kinds in (("identity", (str,)), ("type", (str,)), ("salt", (str, type(None))),
                        ("hashed", (bool,))):
        if name in recipient and not isinstance(recipient[name], kinds):
            raise VerifyFailure(UNVERIFIABLE, "badge_mal_forme", f"recipient.{name}")
    if not isinstance(recipient.get("identity"), str):
        raise VerifyFailure(UNVERIFIABLE, "badge_mal_forme", "recipient.identity")
    parse_date(assertion.get("issuedOn") or assertion.get("issued_on"))
    parse_date(assertion.get("expires"))


async def _finish(ctx: Context, assertion: dict, badge: dict, issuer: dict,
                  assertion_id: str | None, url: str | None, signed: bool = False) -> Verdict:
    check_limits(badge, "badge class")
    criteria = badge.get("criteria")
    criteria_url = criteria if isinstance(criteria, str) else (
        criteria.get("id") if isinstance(criteria, dict) else None)
    verdict = Verdict(
        status=VALID, reason="preuve_ok", version="2.0",
        origin="signature_site_ok" if signed else "heberge_ok",
        issuer_name=text_of(issuer.get("name")),
        issuer_url=issuer.get("url") if web_url(issuer.get("url")) else None,
        issuer_site=host_of(issuer["id"]),
        badge_name=text_of(badge.get("name")),
        description=text_of(badge.get("description")),
        criteria=text_of(criteria.get("narrative")) if isinstance(criteria, dict) else None,
        criteria_url=criteria_url if web_url(criteria_url) else None,
        issued_on=parse_date(assertion.get("issuedOn") or assertion.get("issued_on")),
        expires=parse_date(assertion.get("expires")),
        url=url,
    )
    recipient = assertion["recipient"]
    if ctx.email and str(recipient.get("type", "email")).lower() == "email":
        verdict.recipient_match = identity_matches(
            ctx.email, recipient.get("identity", ""), recipient.get("hashed") is True,
            recipient.get("salt"))
    # Withdrawn first: a withdrawn badge that has also expired is said withdrawn.
    if says_revoked(assertion):
        verdict.status, verdict.reason = REVOKED, "retire"
    elif await _in_revocation_list(ctx, issuer, assertion_id, assertion.get("uid")):
        verdict.status, verdict.reason = REVOKED, "retire_liste"
    elif verdict.expires is not None and verdict.expires <= ctx.now:
        verdict.status, verdict.reason = EXPIRED, "date_depassee"
    return verdict


async def _in_revocation_list(ctx: Context, issuer: dict, assertion_id, uid) -> bool:
    url = issuer.get("revocationList")
    if not web_url(url):
        return False
    revoked = await ctx.get_json(url)
    for entry in as_list(revoked.get("revokedAssertions")):
        ids = [entry] if isinstance(entry, str) else (
            [entry.get("id"), entry.get("uid")] if isinstance(entry, dict) else [])
        strings = {i for i in ids if isinstance(i, str)}
        if (isinstance(assertion_id, str) and assertion_id in strings) or \
                (isinstance(uid, str) and uid in strings):
            return True
    return False
