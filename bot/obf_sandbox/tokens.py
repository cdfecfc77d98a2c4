"""OAuth2 client-credentials token endpoints of v1 and v2.

The body is parsed by hand: python-multipart (which FastAPI's Form() needs) is not a
dependency of the gateway, and a url-encoded body is one call to parse_qs.
"""

import base64
import binascii
import json
import logging
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from bot.db.models import SandboxClient
from bot.obf_sandbox import credentials
from bot.obf_sandbox.deps import SESSIONS_STATE
from bot.obf_sandbox.errors import SandboxError, SandboxRoute

router = APIRouter(route_class=SandboxRoute, tags=["obf-sandbox"])
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
    fields = _fields(await request.body(), request.headers.get("content-type", ""),
                     accept_json)
    grant_type = fields.get("grant_type")
    if not grant_type:
        raise SandboxError(400, "invalid_request", "grant_type is missing")
    if grant_type != "client_credentials":
        raise SandboxError(400, "unsupported_grant_type")
    client_id, secret = _basic(request.headers.get("authorization", ""))
    if client_id is None:
        client_id, secret = fields.get("client_id"), fields.get("client_secret")
    sessions = getattr(request.state, SESSIONS_STATE)
    # scrypt and the database are blocking work: keep them off the event loop.
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


def _fields(body: bytes, content_type: str, accept_json: bool) -> dict[str, str]:
    try:
        text = body.decode("utf-8")
        if accept_json and content_type.split(";")[0].strip().lower() == "application/json":
            data = json.loads(text) if text.strip() else {}
            if not isinstance(data, dict):
                raise ValueError("not an object")
            return {k: str(v) for k, v in data.items() if isinstance(v, str | int)}
        return {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}
    except ValueError:  # bad UTF-8 or JSON
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
