"""Rows → the JSON shapes of OBF API v1 and v2 (see docs/obf-api.md §1.3–1.5).

Fields that the sandbox has no use for (aliases, e-mail templates, Badge 3.0 extras)
are still present with OBF's empty values, so clients that read them keep working.
"""

import html
import json

from fastapi import Request

from bot.db.models import (SandboxBadge, SandboxClient, SandboxEarnableBadge, SandboxEvent,
                        SandboxRecipient)

LANGUAGE = "fr"


class Links:
    """Absolute URLs on the host and scheme the client used to reach the gateway."""

    def __init__(self, request: Request):
        self._request = request

    def _url(self, name: str, **params: str) -> str:
        return str(self._request.url_for(name, **params))

    def badge_image(self, badge: SandboxBadge) -> str:
        return badge.image or self._url("obf_sandbox_badge_image", badge_id=badge.id)

    def credential(self, recipient: SandboxRecipient) -> str:
        return self._url("obf_sandbox_credential", assertion_id=recipient.assertion_id)

    def certificate(self, recipient: SandboxRecipient) -> str:
        return self._url("obf_sandbox_certificate", assertion_id=recipient.assertion_id)

    def receive(self, recipient: SandboxRecipient) -> str:
        url = self._request.url_for("obf_sandbox_receive")
        return str(url.include_query_params(tk=recipient.receive_token))

    def earnable(self, earnable: SandboxEarnableBadge) -> str:
        return self._url("obf_sandbox_earnable_page", earnable_id=earnable.id)


# --- organisation ---------------------------------------------------------------------

def client_v1(client: SandboxClient) -> dict:
    return {"id": client.id, "name": client.name, "email": client.email, "url": client.url,
            "description": client.description, "image": None,
            "ctime": client.ctime, "mtime": client.mtime}


def client_v2(client: SandboxClient) -> dict:
    return {**client_v1(client), "tier": "pro", "paid_until": None, "aliases": [],
            "issuing_limit": None, "country": "FR", "type": "", "reply_to": client.email,
            "billing_email": "", "vat_id": "", "searchable": False, "verified": False}


# --- badges ---------------------------------------------------------------------------

def badge_content(badge: SandboxBadge) -> dict:
    return {"language": LANGUAGE, "name": badge.name, "description": badge.description,
            "criteria": badge.criteria, "tag": list(badge.tags), "alignment": [],
            "achievement_type": "", "credits_available": 0.0, "field_of_study": "",
            "human_code": "", "specialization": ""}


def badge_v2_item(badge: SandboxBadge, links: Links) -> dict:
    return {"id": badge.id, "name": badge.name, "description": badge.description,
            "image": links.badge_image(badge), "primary_language": LANGUAGE,
            "languages": [LANGUAGE], "category": list(badge.category),
            "tag": list(badge.tags), "client_alias_id": [], "creator_id": None,
            "draft": badge.draft, "ctime": badge.ctime, "mtime": badge.mtime}


def badge_v2_detail(badge: SandboxBadge, links: Links) -> dict:
    return {"id": badge.id, "category": list(badge.category),
            "image": links.badge_image(badge), "primary_language": LANGUAGE,
            "content": [badge_content(badge)], "creator": None, "intent": "",
            "client_alias_id": [], "email_message": None,
            "expires": badge.expires_months, "draft": badge.draft,
            "ctime": badge.ctime, "mtime": badge.mtime}


def badge_v1(badge: SandboxBadge, links: Links) -> dict:
    criteria_html = "".join(f"<p>{html.escape(line)}</p>"
                            for line in badge.criteria.splitlines() if line.strip())
    return {"id": badge.id, "name": badge.name, "description": badge.description,
            "image": links.badge_image(badge), "css": "", "criteria_html": criteria_html,
            "criteria_url": "", "category": list(badge.category), "tags": list(badge.tags),
            "draft": badge.draft, "expires": badge.expires_months, "metadata": {},
            "ctime": badge.ctime, "mtime": badge.mtime, "client_id": badge.client_id,
            "email_subject": "", "email_body": "", "email_link_text": "", "email_footer": ""}


# --- events ---------------------------------------------------------------------------

def event_v2_item(event: SandboxEvent) -> dict:
    return {"id": event.id, "name": event.badge.name, "client_alias_id": None,
            "badge_id": event.badge_id, "expires_on": event.expires_on,
            "issued_on": event.issued_on, "recipient_count": len(event.recipients),
            "api_consumer_id": event.api_consumer_id, "earnable_application_id": None,
            "ctime": event.ctime, "mtime": event.mtime}


def event_v2_detail(event: SandboxEvent, links: Links) -> dict:
    badge = event.badge
    return {"id": event.id, "name": badge.name, "client_alias_id": None,
            "badge": {"id": badge.id, "image": links.badge_image(badge),
                      "primary_language": LANGUAGE, "content": [badge_content(badge)],
                      "creator": None},
            "expires_on": event.expires_on, "issued_on": event.issued_on,
            "email_message": None,
            # OBF v2 sends log_entry as a JSON-encoded string; clients decode it.
            "log_entry": json.dumps(event.log_entry or {}, ensure_ascii=False),
            "api_consumer_id": event.api_consumer_id, "earnable_application_id": None,
            "ctime": event.ctime, "mtime": event.mtime}


def event_v1(event: SandboxEvent) -> dict:
    """A v1 event lists every recipient, as OBF does: a client that asked for one
    e-mail address must still keep only that person's data."""
    return {"id": event.id, "client_id": event.client_id, "badge_id": event.badge_id,
            "name": event.badge.name, "recipient": [r.email for r in event.recipients],
            "issued_on": event.issued_on, "expires": event.expires_on,
            "revoked": revoked_map(event), "timestamp": event.ctime,
            "api_consumer_id": event.api_consumer_id, "log_entry": event.log_entry or {}}


def revoked_map(event: SandboxEvent) -> dict[str, int]:
    return {r.email: r.revoked_on for r in event.recipients if r.revoked_on is not None}


def recipient_v2(recipient: SandboxRecipient, links: Links) -> dict:
    event = recipient.event
    return {"event_id": event.id, "assertion_id": recipient.assertion_id,
            "email": recipient.email, "name": recipient.name,
            "receive_url": links.receive(recipient),
            "assertion_json_url": links.credential(recipient),
            "received": recipient.received, "in_passport": recipient.in_passport,
            "pdf_downloaded": recipient.pdf_downloaded, "issued_on": event.issued_on,
            "expires_on": event.expires_on, "revoked": recipient.revoked_on is not None}


def assertion_v1(recipient: SandboxRecipient, links: Links) -> dict:
    if recipient.revoked_on is not None:
        status = "revoked"
    else:
        status = "accepted" if recipient.received else "pending"
    return {"id": recipient.assertion_id, "image": links.badge_image(recipient.event.badge),
            "json": links.credential(recipient), "pdf": {LANGUAGE: links.certificate(recipient)},
            "recipient": recipient.email, "status": status}


# --- earnable badges ------------------------------------------------------------------

def earnable_v1(earnable: SandboxEarnableBadge, links: Links) -> dict:
    return {"id": earnable.id, "badge_id": earnable.badge_id, "name": earnable.name,
            "description": earnable.description, "approval_method": earnable.approval_method,
            "visible": earnable.visible, "url": links.earnable(earnable)}


def earnable_v2(earnable: SandboxEarnableBadge, links: Links) -> dict:
    return {**earnable_v1(earnable, links), "ctime": earnable.ctime, "mtime": earnable.mtime}
