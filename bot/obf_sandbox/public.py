"""Public URLs that the API answers point to, so that every link works in the demo.

No token: like OBF, they are reached through ids that are hard to guess (the assertion
id and receive token are random). They show a badge name, a first name and a date,
never an e-mail address: the credential carries only a salted hash of it, and is
signed by the organisation's key (signing.py).
"""

import hashlib
from datetime import datetime, timezone
from pathlib import Path
from typing import cast

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import select

from bot.db.models import SandboxBadge, SandboxClient, SandboxEarnableBadge, SandboxRecipient
from bot.obf_sandbox import signing
from bot.obf_sandbox.deps import DbSession
from bot.obf_sandbox.errors import SandboxRoute, not_found
from bot.obf_sandbox.shapes import Links
from bot.templates import environment
from bot.texts import french_date

router = APIRouter(route_class=SandboxRoute, tags=["obf-sandbox"])

# The pages and pictures run nothing and load nothing from elsewhere.
LOCKED = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'",
          "X-Content-Type-Options": "nosniff"}
OB3_CONTEXT = ["https://www.w3.org/ns/credentials/v2",
               "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
PAGES = environment(Path(__file__).with_name("templates"))
COLOURS = ["#1d4e89", "#00736a", "#7a3e9d", "#a23b2a", "#2f6b2f", "#8a5a00"]


def _recipient(session, assertion_id: str) -> SandboxRecipient:
    recipient = session.scalar(select(SandboxRecipient)
                               .where(SandboxRecipient.assertion_id == assertion_id))
    if recipient is None:
        raise not_found("assertion")
    return recipient


@router.get("/obv3/credentials/{assertion_id}.json", name="obf_sandbox_credential")
def credential(assertion_id: str, session: DbSession, request: Request):
    """The learner's Open Badges 3.0 credential (OpenBadgeCredential), signed as Open
    Badge Factory signs its own: issuer = the organisation's did:key, an
    eddsa-rdfc-2022 Data Integrity proof by that key (bot/obf_sandbox/signing.py).
    A revoked badge answers 410 Gone, as a hosted Open Badge does."""
    recipient = _recipient(session, assertion_id)
    if recipient.revoked_on is not None:
        return JSONResponse({"error": "revoked", "revoked_on": recipient.revoked_on},
                            status_code=410)
    client = cast(SandboxClient, session.get(SandboxClient, recipient.event.client_id))
    body = signing.sign(credential_document(recipient, client, Links(request)), client,
                        _iso(recipient.event.issued_on))
    return JSONResponse(body, media_type="application/ld+json")


def credential_document(recipient: SandboxRecipient, client: SandboxClient,
                        links: Links) -> dict:
    """The credential without its proof. Every term is one that its contexts define:
    the proof covers only those (data_integrity.canonize refuses the others)."""
    event, badge = recipient.event, recipient.event.badge
    salt = assertion_salt(recipient.assertion_id)
    issuer = {"id": signing.issuer_did(client), "type": ["Profile"], "name": client.name,
              "otherIdentifier": [{"type": "IdentifierEntry", "identifier": client.id,
                                   "identifierType": "systemId"}]}
    if client.url:
        issuer["url"] = client.url
    if client.email:
        issuer["email"] = client.email
    achievement = {
        "id": f"urn:bagou:obf-sandbox:badge:{badge.id}", "type": ["Achievement"],
        "name": badge.name, "description": badge.description,
        "criteria": {"narrative": badge.criteria},
        "image": {"id": links.badge_image(badge), "type": "Image"},
    }
    body = {
        "@context": list(OB3_CONTEXT),
        "id": links.credential(recipient),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": badge.name,
        "issuer": issuer,
        "validFrom": _iso(event.issued_on),
        "awardedDate": _iso(event.issued_on),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{
                "type": "IdentityObject", "identityType": "emailAddress", "hashed": True,
                "salt": salt,
                "identityHash": "sha256$" + hashlib.sha256(
                    (recipient.email + salt).encode("utf-8")).hexdigest(),
            }],
            "achievement": achievement,
        },
    }
    if event.expires_on is not None:
        body["validUntil"] = _iso(event.expires_on)
    return body


def assertion_salt(assertion_id: str) -> str:
    """The salt of the hashed address: from the random assertion id, but not a part of
    it (the id is in the credential's URL)."""
    return hashlib.sha256(f"salt:{assertion_id}".encode()).hexdigest()[:16]


@router.get("/obv3/images/badge/{badge_id}.svg", name="obf_sandbox_badge_image")
def badge_image(badge_id: str, session: DbSession):
    badge = session.get(SandboxBadge, badge_id)
    if badge is None:
        raise not_found("badge")
    initials = "".join(w[0] for w in badge.name.replace("'", " ").split() if w[0].isupper())
    colour = COLOURS[int(hashlib.sha256(badge.id.encode()).hexdigest(), 16) % len(COLOURS)]
    svg = PAGES.get_template("badge.svg").render(name=badge.name, colour=colour,
                                                  initials=initials[:3] or "B")
    return Response(svg, media_type="image/svg+xml", headers=LOCKED)


@router.get("/c/receive", name="obf_sandbox_receive")
def receive_page(session: DbSession, tk: str = ""):
    recipient = session.scalar(select(SandboxRecipient)
                               .where(SandboxRecipient.receive_token == tk)) if tk else None
    if recipient is None:
        raise not_found("badge")
    return _page(recipient.event.badge.name, [
        "Voici votre badge.",
        "C'est une page de démonstration.",
        "Sur un vrai site, vous gardez ici votre badge.",
    ])


@router.get("/c/assertion/{assertion_id}", name="obf_sandbox_certificate")
def certificate_page(assertion_id: str, session: DbSession):
    """Where the `pdf` link of a v1 assertion leads: the sandbox makes no PDF files."""
    recipient = _recipient(session, assertion_id)
    event = recipient.event
    client = cast(SandboxClient, session.get(SandboxClient, event.client_id))
    issued = datetime.fromtimestamp(event.issued_on, timezone.utc)
    lines = [f"Badge donné à {recipient.name or 'une personne'}.",
             f"Date : {french_date(issued, weekday=True)}.",
             f"Donné par : {client.name}."]
    if recipient.revoked_on is not None:
        lines.append("La structure a retiré ce badge.")
    lines.append("C'est un document de démonstration.")
    return _page(event.badge.name, lines)


@router.get("/c/earnablebadge/{earnable_id}", name="obf_sandbox_earnable_page")
def earnable_page(earnable_id: str, session: DbSession):
    earnable = session.get(SandboxEarnableBadge, earnable_id)
    if earnable is None:
        raise not_found("earnable badge")
    return _page(f"Demander le badge {earnable.name}", [
        *earnable.description.splitlines(),
        "C'est une page de démonstration.",
        "Sur un vrai site, vous faites ici votre demande.",
    ])


def _page(title: str, lines: list[str]) -> HTMLResponse:
    page = PAGES.get_template("page.html").render(title=title, lines=lines)
    return HTMLResponse(page, headers=LOCKED)


def _iso(stamp: int) -> str:
    return datetime.fromtimestamp(stamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
