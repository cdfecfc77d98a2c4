"""Issuing badges (write side): OBF API v2 `POST /v2/event/{client_id}/{badge_id}/issue`
and its v1 equivalent `POST /v1/badge/{client_id}/{badge_id}` (docs/obf-api.md §1.3,
§1.4). Same token rule as every other route.

Each call makes a new event, as OBF does: the sandbox has no idempotency key either, so
the tests show that the client does not issue twice (bot/obf/client.py,
issue_badge_once). The new rows are those that the read routes list: the badge shows
in the learner's events, recipient rows and v1 assertions, with its signed credential.
E-mail messages are not sent (`send_email` is accepted and ignored).
"""

import base64
import calendar
import json
import logging
import re
import secrets
from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse, Response

from bot.db.models import SandboxBadge, SandboxEvent, SandboxRecipient
from bot.obf_sandbox import credentials
from bot.obf_sandbox.deps import Client, DbSession, MAX_LIMIT
from bot.obf_sandbox.errors import SandboxError, SandboxRoute, not_found
from bot.privacy import normal_email

router = APIRouter(route_class=SandboxRoute, tags=["obf-sandbox"])
log = logging.getLogger(__name__)

EMAIL = re.compile(r"[^\s@<>\"]+@[^\s@<>\"]+\.[^\s@<>\"]+")
NAMED = re.compile(r"^\s*(.*?)\s*<([^<>]+)>\s*$")  # v1: "Jane Doe <jane@example.org>"
LATEST = 4_102_444_800  # 2100-01-01: a later date is a mistake (milliseconds?)
MAX_LOG_ENTRY = 4000


@router.post("/v2/event/{client_id}/{badge_id}/issue", status_code=201)
def issue_v2(client: Client, badge_id: str, session: DbSession,
             payload: Annotated[Any, Body()] = None):
    """→ 201 `{"success": true, "message": "", "resource_type": "event",
    "resource_id": <event id>, "count": null}` (OBF's answer, docs/obf-api.md §1.4)."""
    body = _object(payload)
    event = _issue(session, client.id, badge_id, body, expires_field="expires_on")
    return JSONResponse(
        {"success": True, "message": "", "resource_type": "event", "resource_id": event.id,
         "count": None},
        status_code=201, headers={"Location": f"/v2/event/{client.id}/{event.id}"})


@router.post("/v1/badge/{client_id}/{badge_id}", status_code=201)
def issue_v1(client: Client, badge_id: str, session: DbSession,
             payload: Annotated[Any, Body()] = None):
    """→ 201, empty body, `Location: /v1/event/{client_id}/{event_id}` (as obc reads it)."""
    body = _object(payload)
    event = _issue(session, client.id, badge_id, body, expires_field="expires")
    return Response(status_code=201,
                    headers={"Location": f"/v1/event/{client.id}/{event.id}"})


def _object(payload: Any) -> dict:
    if not isinstance(payload, dict):
        raise SandboxError(400, "invalid_parameter", "the body must be a JSON object")
    return payload


def _issue(session, client_id: str, badge_id: str, body: dict, *,
           expires_field: str) -> SandboxEvent:
    badge = session.get(SandboxBadge, badge_id)
    if badge is None or badge.client_id != client_id:
        raise not_found("badge")
    if badge.draft:
        raise SandboxError(400, "invalid_parameter", "badge: a draft cannot be issued")
    recipients = _recipients(body.get("recipient"))
    now = credentials.clock()
    issued_on = _stamp(body.get("issued_on"), "issued_on") or now
    expires_on = _stamp(body.get(expires_field), expires_field)
    if expires_on is None and badge.expires_months:
        expires_on = _add_months(issued_on, badge.expires_months)
    consumer = body.get("api_consumer_id")
    if consumer is not None and (not isinstance(consumer, str) or len(consumer) > 64):
        raise SandboxError(400, "invalid_parameter", "api_consumer_id")
    event = SandboxEvent(
        id=new_event_id(), client_id=client_id, badge_id=badge.id, issued_on=issued_on,
        expires_on=expires_on, api_consumer_id=consumer or None,
        log_entry=_log_entry(body.get("log_entry")),
        # ctime is when the event was made (what `begin`/`end` filter on), not the
        # date the badge says it was earned.
        ctime=now, mtime=now,
    )
    session.add(event)
    for email, name in recipients:
        session.add(SandboxRecipient(
            event_id=event.id, email=email, name=name,
            assertion_id=secrets.token_hex(16), receive_token=secrets.token_urlsafe(24)))
    session.commit()
    log.info("OBF sandbox: client %s issued badge %s to %d recipient(s) (event %s)",
             client_id, badge.id, len(recipients), event.id)
    return event


def new_event_id() -> str:
    """13 capitals and digits, like OBF's ids; random, so never one of the seed's."""
    return base64.b32encode(secrets.token_bytes(10)).decode("ascii")[:13]


def _recipients(value: Any) -> list[tuple[str, str]]:
    """v2 `[{"email": …, "name": …}]`, v1 `["a@x", "Jane Doe <jane@x>"]`; both read
    by both. Lower-cased, each address once."""
    if isinstance(value, (str, dict)):
        value = [value]
    if not isinstance(value, list) or not value:
        raise SandboxError(400, "invalid_parameter", "recipient: at least one is needed")
    if len(value) > MAX_LIMIT:
        raise SandboxError(400, "invalid_parameter", f"recipient: at most {MAX_LIMIT}")
    found: dict[str, str] = {}
    for item in value:
        if isinstance(item, dict):
            email, name = item.get("email"), item.get("name") or ""
        elif isinstance(item, str):
            match = NAMED.match(item)
            email, name = (match.group(2), match.group(1)) if match else (item, "")
        else:
            email, name = None, ""
        if not isinstance(email, str) or not isinstance(name, str):
            raise SandboxError(400, "invalid_parameter", "recipient: not an e-mail address")
        email = normal_email(email)
        # The message never repeats the value: it is an e-mail address.
        if len(email) > 320 or not EMAIL.fullmatch(email):
            raise SandboxError(400, "invalid_parameter", "recipient: not an e-mail address")
        found.setdefault(email, " ".join(name.split())[:200])
    return list(found.items())


def _stamp(value: Any, name: str) -> int | None:
    if value is None or value == 0 or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < LATEST:
        raise SandboxError(400, "invalid_parameter", f"{name}: unix seconds expected")
    return value


def _add_months(stamp: int, months: int) -> int:
    day = datetime.fromtimestamp(stamp, timezone.utc)
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return int(day.replace(year=year, month=month, day=min(day.day, last)).timestamp())


def _log_entry(value: Any) -> dict | None:
    """An object, or the JSON string of one (how OBF v2 gives it back)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise SandboxError(400, "invalid_parameter", "log_entry: not JSON") from None
    if not isinstance(value, dict):
        raise SandboxError(400, "invalid_parameter", "log_entry: an object expected")
    if len(json.dumps(value, ensure_ascii=False)) > MAX_LOG_ENTRY:
        raise SandboxError(400, "invalid_parameter", "log_entry: too long")
    return value
