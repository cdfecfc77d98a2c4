"""Dynamic registration: Moodle registers Bagou from one URL (1EdTech LTI Advantage
Dynamic Registration 1.0, which Moodle supports since 3.10).

1. An administrator of Bagou makes a one-time registration URL in the console
   (`create_invitation`, bot/console/moodle.py): /lti/inscription/<token>, valid
   INVITATION_DAYS days, used once.
2. Moodle's administrator pastes it in « Gérer les outils » (« URL de l'outil » then
   « Ajouter LTI Advantage »). Moodle opens it with `openid_configuration` (its address
   of /mod/lti/openid-configuration.php) and `registration_token`.
3. Bagou reads that configuration (same origin as the issuer, a short timeout, a size
   limit), posts its own registration to the `registration_endpoint` with the token
   (redirect URI, login URL, JWKS URL, the claims it needs, the messages it supports),
   and keeps what Moodle answers (client_id, deployment_id) as a *pending* registration.
4. The page tells Moodle the registration is over (postMessage « org.imsglobal.lti.close »).
5. Launches from that Moodle are refused (« waiting for approval ») until an administrator
   of Bagou approves the registration in the console, choosing the OBF organisations
   whose badges its learners may see (bot/lti/organisations.py).

The JSON file of BAGOU_LTI_CONFIG still works beside these (bot/lti/registry.py).
"""

import hashlib
import json
import logging
import secrets
import time
from dataclasses import dataclass
from typing import TypeGuard, cast
from ipaddress import ip_address
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from bot.db.models import LtiRegistration
from bot.lti.adapter import DbStorage
from bot.lti.organisations import KEY as ORGANISATIONS
from bot.texts import text

log = logging.getLogger(__name__)

PENDING, APPROVED, REFUSED = "pending", "approved", "refused"
INVITATION_DAYS = 7
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
# What Bagou needs of the person: who (name) and the e-mail that finds the badges.
CLAIMS = ["iss", "sub", "name", "given_name", "family_name", "email"]
MAX_ANSWER_BYTES = 256 * 1024


class RegistrationFailed(Exception):
    """The platform's side of the exchange went wrong (the reason is for the log)."""


# --- one-time registration URLs --------------------------------------------------------------


def _invitation_key(token: str) -> str:
    # Only a hash is kept: the table alone never gives a usable URL.
    return "invitation-" + hashlib.sha256(token.encode()).hexdigest()


def create_invitation(storage: DbStorage, by: str, now: float | None = None) -> str:
    """A new one-time registration token; the URL is <public URL>/lti/inscription/<token>."""
    token = secrets.token_urlsafe(32)
    expires = int(now or time.time()) + INVITATION_DAYS * 86400
    storage.set_value(_invitation_key(token), {"by": by, "expires": expires},
                      exp=INVITATION_DAYS * 86400)
    log.info("LTI: registration URL made by %s", by)
    return token


def take_invitation(storage: DbStorage, token: str) -> dict | None:
    return storage.take(_invitation_key(token)) if token else None


def give_back_invitation(storage: DbStorage, token: str, invitation: dict) -> None:
    """After a failed exchange, the URL works again (until its end)."""
    left = int(invitation.get("expires", 0) - time.time())
    if left > 0:
        storage.set_value(_invitation_key(token), invitation, exp=left)


# --- the exchange with the platform ------------------------------------------------------------


def allowed_url(url: object) -> TypeGuard[str]:
    """https, or http on this machine (a Moodle of one's own for trying)."""
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


async def _json(client: httpx.AsyncClient, method: str, url: str, **kwargs) -> dict:
    async with client.stream(method, url, **kwargs) as response:
        body = b""
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > MAX_ANSWER_BYTES:
                raise RegistrationFailed(f"{url}: answer larger than {MAX_ANSWER_BYTES} bytes")
        if response.status_code not in (200, 201):
            raise RegistrationFailed(f"{method} {url}: HTTP {response.status_code} "
                                     f"{body[:200].decode('utf-8', 'replace')!r}")
    try:
        data = json.loads(body)
    except ValueError as error:
        raise RegistrationFailed(f"{url}: not JSON") from error
    if not isinstance(data, dict):
        raise RegistrationFailed(f"{url}: not a JSON object")
    return data


def tool_registration(base_url: str, deep_linking: bool) -> dict:
    """What Bagou says of itself to the platform (LTI Dynamic Registration § 3.3)."""
    launch = f"{base_url}/lti/launch"
    messages = [{"type": "LtiResourceLinkRequest", "target_link_uri": launch}]
    if deep_linking:
        messages.append({"type": "LtiDeepLinkingRequest", "target_link_uri": launch,
                         "label": text("lti_titre_page")})
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": f"{base_url}/lti/login",
        "redirect_uris": [launch],
        "client_name": text("lti_titre_page"),
        "jwks_uri": f"{base_url}/lti/jwks",
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": "",
        TOOL_CONFIGURATION: {
            "domain": urlsplit(base_url).netloc,
            "description": text("lti_outil_description"),
            "target_link_uri": launch,
            "claims": CLAIMS,
            "messages": messages,
        },
    }


@dataclass
class Registered:
    issuer: str
    client_id: str
    deployment_id: str | None
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    platform: dict


async def register(openid_configuration: str, registration_token: str, base_url: str,
                   timeout: float = 5.0, transport: httpx.AsyncBaseTransport | None = None
                   ) -> Registered:
    """Reads the platform's OpenID configuration and registers Bagou there."""
    if not allowed_url(openid_configuration):
        raise RegistrationFailed(f"openid_configuration {openid_configuration!r} is not https")
    async with httpx.AsyncClient(timeout=timeout, transport=transport,
                                 follow_redirects=False) as client:
        try:
            config = await _json(client, "GET", openid_configuration,
                                 headers={"Accept": "application/json"})
            issuer = config.get("issuer")
            # The configuration must come from the platform it names (§ 3.5.1).
            if not allowed_url(issuer) or _origin(issuer) != _origin(openid_configuration):
                raise RegistrationFailed(f"issuer {issuer!r} is not the origin of "
                                         f"{openid_configuration}")
            # All four are checked just below: web addresses.
            endpoints = cast(dict[str, str], {name: config.get(name) for name in (
                "registration_endpoint", "authorization_endpoint", "jwks_uri", "token_endpoint")})
            for name, url in endpoints.items():
                if not allowed_url(url):
                    raise RegistrationFailed(f"{name} {url!r} is missing or not https")
            platform = config.get(PLATFORM_CONFIGURATION)
            platform = platform if isinstance(platform, dict) else {}
            supported = platform.get("messages_supported") or []
            deep_linking = "LtiDeepLinkingRequest" in [
                m.get("type") if isinstance(m, dict) else m for m in supported]
            headers = {"Content-Type": "application/json", "Accept": "application/json"}
            if registration_token:
                headers["Authorization"] = f"Bearer {registration_token}"
            answer = await _json(client, "POST", endpoints["registration_endpoint"],
                                 content=json.dumps(tool_registration(base_url, deep_linking)),
                                 headers=headers)
        except httpx.HTTPError as error:
            raise RegistrationFailed(f"{type(error).__name__}: {error}") from error
    client_id = answer.get("client_id")
    if not isinstance(client_id, str) or not client_id:
        raise RegistrationFailed("the registration answer has no client_id")
    tool = answer.get(TOOL_CONFIGURATION)
    deployment = tool.get("deployment_id") if isinstance(tool, dict) else None
    return Registered(
        issuer=cast(str, issuer), client_id=client_id,  # allowed_url(issuer) above
        deployment_id=str(deployment) if deployment not in (None, "") else None,
        auth_login_url=endpoints["authorization_endpoint"],
        auth_token_url=endpoints["token_endpoint"], key_set_url=endpoints["jwks_uri"],
        platform={k: platform.get(k) for k in ("product_family_code", "version")
                  if isinstance(platform.get(k), str)})


def store(sessions: sessionmaker, found: Registered, now: int | None = None) -> int:
    """Keeps the registration, pending. The same client registered again is pending again."""
    now = now or int(time.time())
    with sessions.begin() as db:
        row = db.scalar(select(LtiRegistration).where(
            LtiRegistration.issuer == found.issuer, LtiRegistration.client_id == found.client_id))
        if row is None:
            row = LtiRegistration(issuer=found.issuer, client_id=found.client_id,
                                  created_at=now)
            db.add(row)
        row.deployment_ids = [found.deployment_id] if found.deployment_id else []
        row.auth_login_url, row.auth_token_url = found.auth_login_url, found.auth_token_url
        row.key_set_url, row.platform = found.key_set_url, found.platform
        row.status, row.updated_at, row.decided_by = PENDING, now, None
        db.flush()
        return row.id


# --- what the console shows and decides ---------------------------------------------------------


def all_registrations(sessions: sessionmaker) -> list[LtiRegistration]:
    """Pending first, then the newest."""
    with sessions() as db:
        rows = list(db.scalars(select(LtiRegistration)))
        db.expunge_all()
    return sorted(rows, key=lambda r: (r.status != PENDING, -r.created_at))


def decide(sessions: sessionmaker, registration_id: int, status: str, by: str,
           organisations: list[str] | None = None) -> bool:
    """Accept (again, to change its organisations) or refuse a registration. Accepting
    sets the OBF organisations whose badges its learners may see (bot/lti/organisations.py):
    `organisations`, none when not given."""
    if status not in (APPROVED, REFUSED):
        raise ValueError(status)
    with sessions.begin() as db:
        row = db.get(LtiRegistration, registration_id)
        if row is None:
            return False
        row.status, row.decided_by = status, by
        if status == APPROVED:
            row.organisations = list(organisations or [])
        row.updated_at = max(int(time.time()), row.updated_at + 1)
    log.info("LTI: registration of %s (client %s) %s by %s%s", row.issuer, row.client_id,
             status, by, f", OBF organisations: {', '.join(row.organisations or []) or 'none'}"
             if status == APPROVED else "")
    return True


def registrations_source(sessions: sessionmaker):
    """For the registry (bot/lti/registry.py): a stamp that changes with any decision,
    the approved entries per issuer in pylti1p3's format, the pending client ids."""
    def read():
        try:
            with sessions() as db:
                rows = list(db.scalars(select(LtiRegistration)))
        except SQLAlchemyError as error:
            log.error("LTI registrations in the database unreadable: %s", type(error).__name__)
            return ("error", time.monotonic() // 30), {}, {}
        stamp = tuple((r.id, r.status, r.updated_at) for r in rows)
        approved: dict[str, list[dict]] = {}
        pending: dict[str, set[str]] = {}
        for r in rows:
            if r.status == APPROVED:
                approved.setdefault(r.issuer, []).append({
                    "client_id": r.client_id, "auth_login_url": r.auth_login_url,
                    "auth_token_url": r.auth_token_url, "key_set_url": r.key_set_url,
                    "deployment_ids": list(r.deployment_ids or []),
                    ORGANISATIONS: list(r.organisations or [])})
            elif r.status == PENDING:
                pending.setdefault(r.issuer, set()).add(r.client_id)
        return stamp, approved, pending
    return read
