"""OAuth2 client-credentials token endpoints of v1 and v2. A form body is read by the
gateway's one form reader (bot/http/forms.py)."""

import base64
import binascii
import json
import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from bot.db.models import SandboxClient
from bot.http.forms import read_form
from bot.obf_sandbox import credentials
from bot.obf_sandbox.deps import SESSIONS_STATE
from bot.obf_sandbox.errors import SandboxError, SandboxRoute

router = APIRouter(route_class=SandboxRoute, tags=["obf-sandbox"])
MAX_TOKEN_REQUEST_BYTES = 64 * 1024  # a token request is a few hundred bytes
log = logging.getLogger(__name__)


@router.post("/v2/client/oauth2/token")
async def token_v2(request: Request) -> JSONResponse:
    """Form body (`grant_type=client_credentials&client_id=…&client_secret=…`) or HTTP
    Basic credentials, as the OBF v2 documentation says."""
    return await _token(request, accept_json=False)


@router.post("/v1/client/oauth2/token")
async def token_v1(request: Request) -> JSONResponse:
    """As v2, and a JSON body too (the `obc` Python client sends one)."""
    return await _token(request, accept_json=True)


async def _token(request: Request, accept_json: bool) -> JSONResponse:
    fields = await _fields(request, accept_json)
    grant_type = fields.get("grant_type")
    if not grant_type:
        raise SandboxError(400, "invalid_request", "grant_type is missing")
    if grant_type != "client_credentials":
        raise SandboxError(400, "unsupported_grant_type")
    client_id, secret = _basic(request.headers.get("authorization", ""))
    if client_id is None:
        client_id, secret = fields.get("client_id"), fields.get("client_secret")
    sessions = getattr(request.state, SESSIONS_STATE)
    # argon2 and the database are blocking work: keep them off the event loop.
    token = await run_in_threadpool(_grant, sessions, client_id, secret)
    return JSONResponse(
        {"access_token": token.token, "token_type": "bearer",
         "expires_in": token.expires_at - credentials.clock()},
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


def _grant(sessions, client_id: str | None, secret: str | None):
    with sessions() as session:
        client = session.get(SandboxClient, client_id) if client_id else None
        if client is None or not secret or not credentials.verify_secret(secret, client.secret_hash):
            raise SandboxError(401, "invalid_client",
                               headers={"WWW-Authenticate": 'Basic realm="obf-sandbox"'})
        token = credentials.issue_token(session, client.id)
        log.info("OBF sandbox: token for client %s", client.id)
        return token


async def _fields(request: Request, accept_json: bool) -> dict[str, str]:
    content_type = request.headers.get("content-type", "")
    try:
        if accept_json and content_type.split(";")[0].strip().lower() == "application/json":
            text = (await request.body()).decode("utf-8")
            data = json.loads(text) if text.strip() else {}
            if not isinstance(data, dict):
                raise ValueError("not an object")
            return {k: str(v) for k, v in data.items() if isinstance(v, str | int)}
        return await read_form(request, MAX_TOKEN_REQUEST_BYTES)
    except ValueError:  # bad UTF-8 or JSON, not a form (FormError is a ValueError)
        raise SandboxError(400, "invalid_request", "the body cannot be read") from None


def _basic(header: str) -> tuple[str | None, str | None]:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise SandboxError(401, "invalid_client") from None
    client_id, _, secret = decoded.partition(":")
    return client_id, secret
