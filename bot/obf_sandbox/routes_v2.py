"""OBF API v2 (read side): ping, organisation, badges, events, recipients, earnable
badges. Lists answer `{"result": [...], "total": N}`."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from bot.db.models import SandboxBadge, SandboxEvent
from bot.obf_sandbox import queries, shapes
from bot.obf_sandbox.deps import Client, DbSession, PagingV2, text, values
from bot.obf_sandbox.errors import SandboxRoute, not_found

router = APIRouter(prefix="/v2", route_class=SandboxRoute, tags=["obf-sandbox"])

Text = Annotated[str | None, Query()]
Stamp = Annotated[int | None, Query(description="unix seconds")]


@router.get("/client/{client_id}/ping")
def ping(client: Client):
    return text(client.id)


@router.get("/client/{client_id}")
def organisation(client: Client) -> dict:
    return shapes.client_v2(client)


@router.get("/badge/{client_id}")
def badge_list(client: Client, session: DbSession, paging: PagingV2, request: Request,
               draft: Annotated[bool | None, Query()] = None,
               external: Annotated[bool | None, Query()] = None) -> dict:
    # `external` (badges of other issuers) means nothing here: the sandbox has none.
    rows, total = queries.page(session, queries.badges(client.id, draft=draft),
                               paging.limit, paging.offset)
    links = shapes.Links(request)
    return {"result": [shapes.badge_v2_item(b, links) for b in rows], "total": total}


@router.get("/badge/{client_id}/{badge_id}")
def badge_detail(client: Client, badge_id: str, session: DbSession, request: Request) -> dict:
    badge = session.get(SandboxBadge, badge_id)
    if badge is None or badge.client_id != client.id:
        raise not_found("badge")
    return shapes.badge_v2_detail(badge, shapes.Links(request))


@router.get("/event/{client_id}")
def event_list(client: Client, session: DbSession, paging: PagingV2,
               badge_id: Text = None, email: Text = None, api_consumer_id: Text = None,
               begin: Stamp = None, end: Stamp = None) -> dict:
    query = queries.events(client.id, badge_ids=values(badge_id, "badge_id"),
                           emails=values(email, "email"), begin=begin, end=end,
                           api_consumer_id=api_consumer_id)
    rows, total = queries.page(session, query, paging.limit, paging.offset)
    return {"result": [shapes.event_v2_item(e) for e in rows], "total": total}


# Declared before /event/{client_id}/{event_id}, which would otherwise take "recipient"
# for an event id.
@router.get("/event/{client_id}/recipient")
def recipient_list(client: Client, session: DbSession, paging: PagingV2, request: Request,
                   event_id: Text = None, email: Text = None, badge_id: Text = None,
                   api_consumer_id: Text = None, begin: Stamp = None,
                   end: Stamp = None) -> dict:
    query = queries.recipients(client.id, event_ids=values(event_id, "event_id"),
                               emails=values(email, "email"),
                               badge_ids=values(badge_id, "badge_id"), begin=begin, end=end,
                               api_consumer_id=api_consumer_id)
    rows, total = queries.page(session, query, paging.limit, paging.offset)
    links = shapes.Links(request)
    return {"result": [shapes.recipient_v2(r, links) for r in rows], "total": total}


@router.get("/event/{client_id}/{event_id}")
def event_detail(client: Client, event_id: str, session: DbSession, request: Request) -> dict:
    event = session.get(SandboxEvent, event_id)
    if event is None or event.client_id != client.id:
        raise not_found("event")
    return shapes.event_v2_detail(event, shapes.Links(request))


# Not in OBF's v2 documentation (only v1 documents earnable badges); the sandbox offers
# it with the v2 list shape so that a v2-only client can list them too.
@router.get("/earnablebadge/{client_id}")
def earnable_list(client: Client, session: DbSession, paging: PagingV2, request: Request,
                  badge_id: Text = None, approval_method: Text = None,
                  visible: Annotated[bool | None, Query()] = None) -> dict:
    query = queries.earnable_badges(client.id, badge_ids=values(badge_id, "badge_id"),
                                    approval_methods=values(approval_method, "approval_method"),
                                    visible=visible)
    rows, total = queries.page(session, query, paging.limit, paging.offset)
    links = shapes.Links(request)
    return {"result": [shapes.earnable_v2(e, links) for e in rows], "total": total}
