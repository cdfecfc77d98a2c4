"""OBF API v1 (read side). Lists are line-delimited JSON; several values of a filter
are separated by `|`."""

from typing import Annotated, Literal, cast

from fastapi import APIRouter, Query, Request

from bot.db.models import SandboxBadge, SandboxEvent
from bot.obf_sandbox import queries, shapes
from bot.obf_sandbox.deps import Client, DbSession, PagingV1, ldjson, text, values
from bot.obf_sandbox.errors import SandboxRoute, not_found
from bot.privacy import normal_email

router = APIRouter(prefix="/v1", route_class=SandboxRoute, tags=["obf-sandbox"])

Text = Annotated[str | None, Query()]
Stamp = Annotated[int | None, Query(description="unix seconds")]


@router.get("/ping/{client_id}")
def ping(client: Client):
    return text(client.id)


@router.get("/client/{client_id}")
def organisation(client: Client) -> dict:
    return shapes.client_v1(client)


@router.get("/badge/{client_id}")
def badge_list(client: Client, session: DbSession, request: Request,
               draft: Annotated[bool | None, Query()] = None, id: Text = None,
               category: Text = None, query: Text = None):
    rows, _ = queries.page(session, queries.badges(client.id, draft=draft,
                                                   ids=values(id, "id")), None, 0)
    if category is not None:
        wanted = set(cast(list[str], values(category, "category")))
        rows = [b for b in rows if wanted & set(b.category)]
    if query:  # free text, as in OBF's badge search: name or description
        needle = query.casefold()
        rows = [b for b in rows if needle in b.name.casefold()
                or needle in b.description.casefold()]
    links = shapes.Links(request)
    return ldjson([shapes.badge_v1(b, links) for b in rows])


@router.get("/badge/{client_id}/{badge_id}")
def badge_detail(client: Client, badge_id: str, session: DbSession, request: Request) -> dict:
    badge = session.get(SandboxBadge, badge_id)
    if badge is None or badge.client_id != client.id:
        raise not_found("badge")
    return shapes.badge_v1(badge, shapes.Links(request))


@router.get("/event/{client_id}")
def event_list(client: Client, session: DbSession, paging: PagingV1,
               badge_id: Text = None, email: Text = None, recipient: Text = None,
               api_consumer_id: Text = None, begin: Stamp = None, end: Stamp = None,
               order_by: Annotated[Literal["asc", "desc"], Query()] = "desc"):
    # `recipient` is the older name of the same filter (a|b), as modelled by obc.
    emails = (values(email, "email") or []) + (values(recipient, "recipient") or [])
    query = queries.events(client.id, badge_ids=values(badge_id, "badge_id"),
                           emails=emails or None, begin=begin, end=end,
                           api_consumer_id=api_consumer_id, order=order_by)
    rows, _ = queries.page(session, query, paging.limit, paging.offset)
    return ldjson([shapes.event_v1(e) for e in rows])


def _event(session, client: Client, event_id: str) -> SandboxEvent:
    event = session.get(SandboxEvent, event_id)
    if event is None or event.client_id != client.id:
        raise not_found("event")
    return event


@router.get("/event/{client_id}/{event_id}")
def event_detail(client: Client, event_id: str, session: DbSession) -> dict:
    return shapes.event_v1(_event(session, client, event_id))


@router.get("/event/{client_id}/{event_id}/assertion")
def assertions(client: Client, event_id: str, session: DbSession, request: Request,
               email: Text = None):
    event = _event(session, client, event_id)
    wanted = {normal_email(e) for e in values(email, "email") or []}
    links = shapes.Links(request)
    return ldjson([shapes.assertion_v1(r, links) for r in event.recipients
                   if not wanted or r.email in wanted])


@router.get("/event/{client_id}/{event_id}/revoked")
def revoked(client: Client, event_id: str, session: DbSession) -> dict:
    return {"revoked": shapes.revoked_map(_event(session, client, event_id))}


# OBF documents the list with a trailing slash; both forms answer, without a redirect
# (a redirect would drop the Authorization header in some HTTP clients).
@router.get("/earnablebadge/{client_id}/")
@router.get("/earnablebadge/{client_id}", include_in_schema=False)
def earnable_list(client: Client, session: DbSession, request: Request,
                  badge_id: Text = None, approval_method: Text = None,
                  visible: Annotated[bool | None, Query()] = None):
    query = queries.earnable_badges(client.id, badge_ids=values(badge_id, "badge_id"),
                                    approval_methods=values(approval_method, "approval_method"),
                                    visible=visible)
    rows, _ = queries.page(session, query, None, 0)
    links = shapes.Links(request)
    return ldjson([shapes.earnable_v1(e, links) for e in rows])
