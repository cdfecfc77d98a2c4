"""What every authenticated sandbox route needs: a database session, the client whose
Bearer token came with the request, paging, and OBF's answer formats."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from bot.db.models import SandboxClient
from bot.obf_sandbox.credentials import token_is_valid
from bot.obf_sandbox.errors import SandboxError, forbidden, not_found

# OBF API v2 refuses pages of more than 1000 rows; the sandbox does the same on v1.
MAX_LIMIT = 1000
SESSIONS_STATE = "obf_sandbox_sessions"  # set by the router's lifespan


def db_session(request: Request) -> Iterator[Session]:
    with getattr(request.state, SESSIONS_STATE)() as session:
        yield session


DbSession = Annotated[Session, Depends(db_session)]


def client_of_token(client_id: str, request: Request, session: DbSession) -> SandboxClient:
    """The organisation of the path, when the request carries a valid token for it.
    Unknown client → 404; missing, unknown, expired or other client's token → 403."""
    client = session.get(SandboxClient, client_id)
    if client is None:
        raise not_found("client")
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token_is_valid(session, token.strip(), client_id):
        raise forbidden()
    return client


Client = Annotated[SandboxClient, Depends(client_of_token)]


@dataclass(frozen=True)
class Paging:
    limit: int | None
    offset: int


# Paging does no I/O: `async def`, or FastAPI would run it in the thread pool (a thread
# hop per request, on the path of every list the action server reads).
async def paging_v2(limit: Annotated[int, Query(ge=0, le=MAX_LIMIT)] = MAX_LIMIT,
                    offset: Annotated[int, Query(ge=0)] = 0) -> Paging:
    return Paging(limit, offset)


async def paging_v1(limit: Annotated[int | None, Query(ge=0, le=MAX_LIMIT)] = None,
                    offset: Annotated[int, Query(ge=0)] = 0) -> Paging:
    """v1 lists are whole unless the client asks for a page."""
    return Paging(limit, offset)


PagingV2 = Annotated[Paging, Depends(paging_v2)]
PagingV1 = Annotated[Paging, Depends(paging_v1)]


def values(raw: str | None, name: str) -> list[str] | None:
    """A query parameter that OBF lets carry several values, separated by `|`.

    Absent → None (no filter). Present but empty is refused: a client that meant to
    filter on an e-mail address and sent none must not get everybody's badges.
    """
    if raw is None:
        return None
    found = [value.strip() for value in raw.split("|") if value.strip()]
    if not found:
        raise SandboxError(400, "invalid_parameter", f"{name}: empty value")
    return found


def ldjson(items: list[dict]) -> Response:
    """OBF v1 lists: one JSON object per line. CRLF suits clients that split on
    either "\\r\\n" or "\\n" (JSON allows the trailing "\\r")."""
    body = "".join(json.dumps(item, ensure_ascii=False) + "\r\n" for item in items)
    return Response(body, media_type="application/x-ndjson; charset=utf-8")


def text(value: str) -> Response:
    return Response(value, media_type="text/plain; charset=utf-8")
