"""Database queries behind the sandbox routes: filters as OBF documents them, paging."""

from collections.abc import Sequence
from typing import Literal, cast

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from bot.db.models import SandboxBadge, SandboxEarnableBadge, SandboxEvent, SandboxRecipient
from bot.privacy import normal_email


def page(session: Session, query: Select, limit: int | None, offset: int) -> tuple[list, int]:
    """One page of rows and the total number of rows the filters keep."""
    total = cast(int, session.scalar(
        select(func.count()).select_from(query.order_by(None).subquery())))
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query).unique()), total


def badges(client_id: str, *, draft: bool | None = None,
           ids: Sequence[str] | None = None) -> Select:
    query = select(SandboxBadge).where(SandboxBadge.client_id == client_id)
    if draft is not None:
        query = query.where(SandboxBadge.draft == draft)
    if ids:
        query = query.where(SandboxBadge.id.in_(ids))
    return query.order_by(SandboxBadge.name, SandboxBadge.id)


def events(client_id: str, *, badge_ids: Sequence[str] | None = None,
           emails: Sequence[str] | None = None, begin: int | None = None,
           end: int | None = None, api_consumer_id: str | None = None,
           order: Literal["asc", "desc"] = "desc") -> Select:
    """Events of the client. `emails` keeps the events that include one of these
    recipients, whatever the case of the address."""
    query = _event_filters(select(SandboxEvent), client_id, badge_ids, begin, end,
                           api_consumer_id)
    if emails:
        holders = select(SandboxRecipient.event_id).where(
            SandboxRecipient.email.in_(_lower(emails)))
        query = query.where(SandboxEvent.id.in_(holders))
    key = SandboxEvent.issued_on.asc() if order == "asc" else SandboxEvent.issued_on.desc()
    return query.order_by(key, SandboxEvent.id)


def recipients(client_id: str, *, event_ids: Sequence[str] | None = None,
               emails: Sequence[str] | None = None, badge_ids: Sequence[str] | None = None,
               begin: int | None = None, end: int | None = None,
               api_consumer_id: str | None = None) -> Select:
    """One row per recipient of the client's events. With `emails`, only the rows of
    those addresses: another person's row never comes back."""
    query = _event_filters(select(SandboxRecipient).join(SandboxRecipient.event), client_id,
                           badge_ids, begin, end, api_consumer_id)
    if event_ids:
        query = query.where(SandboxRecipient.event_id.in_(event_ids))
    if emails:
        query = query.where(SandboxRecipient.email.in_(_lower(emails)))
    return query.order_by(SandboxEvent.issued_on.desc(), SandboxRecipient.id)


def earnable_badges(client_id: str, *, badge_ids: Sequence[str] | None = None,
                    approval_methods: Sequence[str] | None = None,
                    visible: bool | None = None) -> Select:
    query = select(SandboxEarnableBadge).where(SandboxEarnableBadge.client_id == client_id)
    if badge_ids:
        query = query.where(SandboxEarnableBadge.badge_id.in_(badge_ids))
    if approval_methods:
        query = query.where(SandboxEarnableBadge.approval_method.in_(approval_methods))
    if visible is not None:
        query = query.where(SandboxEarnableBadge.visible == visible)
    return query.order_by(SandboxEarnableBadge.name, SandboxEarnableBadge.id)


def _event_filters(query: Select, client_id: str, badge_ids, begin, end,
                   api_consumer_id) -> Select:
    query = query.where(SandboxEvent.client_id == client_id)
    if badge_ids:
        query = query.where(SandboxEvent.badge_id.in_(badge_ids))
    # OBF's `begin`/`end` bound the event's creation time; local_obf pages with them
    # on ctime. Seeded events have ctime = issued_on.
    if begin is not None:
        query = query.where(SandboxEvent.ctime >= begin)
    if end is not None:
        query = query.where(SandboxEvent.ctime <= end)
    if api_consumer_id:
        query = query.where(SandboxEvent.api_consumer_id == api_consumer_id)
    return query


def _lower(emails: Sequence[str]) -> list[str]:
    return [normal_email(email) for email in emails]
