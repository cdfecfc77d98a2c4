"""Async client for one Open Badge Factory organisation (API v2 and v1).

Why not `obc` 2.1.0 (openfun, PyPI): it speaks v1 only, fetches its token with a
blocking `httpx.post` cached forever by `functools.cache` (no expiry, no 10-s rule,
fixed host so no path prefix), and lets raw httpx/JSON errors escape (no timeout,
429 or 5xx handling); it also pulls in `pydantic[email]`. We kept two of its ideas
(tolerant LD-JSON reading, one retry with a new token on 403) and wrote this small
client on httpx.AsyncClient instead.
"""

import asyncio
import functools
import hashlib
import re
import time
import weakref
from collections.abc import Awaitable, Callable
from datetime import date, datetime, tzinfo
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from pydantic import ValidationError

from bot.obf import parsing as p
from bot.obf.errors import ObfBadResponse, ObfError, ObfInvalidRequest, ObfNotFound
from bot.obf.logs import email_ref, log
from bot.obf.models import Badge, EarnableBadge, IssueResult, LearnerBadge
from bot.obf.session import ObfSession
from bot.obf.settings import ObfOrganisation
from bot.obf.tokens import TokenStore

MAX_PAGES = 100  # 100 pages of 1000: far more than an organisation has; stops a
                 # server that ignores `offset` from looping us forever.
# What OBF shows as the program that issued (its Moodle plugin sends "Moodle").
API_CONSUMER_ID = "Bagou"
# An address we are willing to send to OBF: one @, no spaces or angle brackets (v1
# reads "Name <address>"), at most 320 characters (RFC 5321).
ISSUABLE_EMAIL = re.compile(r"[^\s@<>\"]+@[^\s@<>\"]+\.[^\s@<>\"]+")

# One issue at a time per (organisation, key) in this process: two retries that meet
# (a double click, a message sent again) check and issue one after the other, so the
# second sees the first one's badge. Weak values: a lock lives while someone holds it.
_issue_locks: "weakref.WeakValueDictionary[tuple, asyncio.Lock]" = weakref.WeakValueDictionary()


def _issue_lock(key: tuple) -> asyncio.Lock:
    lock = _issue_locks.get(key)
    if lock is None:
        lock = _issue_locks[key] = asyncio.Lock()
    return lock


def issue_key_ref(key: str) -> str:
    """What OBF keeps of the caller's key (in the event's log_entry): a short hash,
    since a key made of a learner and a badge may hold an e-mail address."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


def _local_zone() -> tzinfo:
    # OBF stores dates as unix seconds (midnight of the issuer's day); our
    # learners and issuers are in France.
    try:
        return ZoneInfo("Europe/Paris")
    except ZoneInfoNotFoundError:  # no tz database on the machine
        from datetime import timezone
        return timezone.utc


def _guarded(operation):
    """Public operations: only ObfError leaves, and it names the organisation."""

    @functools.wraps(operation)
    async def wrapper(self: "ObfClient", *args, **kwargs):
        try:
            return await operation(self, *args, **kwargs)
        except ObfError as error:
            error.client_id = error.client_id or self.client_id
            log.warning("OBF %s failed: %s", operation.__name__, error)
            raise
        except (KeyError, TypeError, ValueError, AttributeError, ValidationError) as error:
            # A shape we did not foresee: a bad answer, not a crash of the bot.
            log.warning("OBF %s: unexpected answer shape (%s)", operation.__name__,
                        type(error).__name__)
            raise ObfBadResponse(f"unexpected answer shape in {operation.__name__}",
                                 client_id=self.client_id) from None

    return wrapper


class ObfClient:
    """One organisation. Use `async with ObfClient(org) as obf:` or call aclose()."""

    def __init__(
        self,
        org: ObfOrganisation,
        *,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
        tokens: TokenStore | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        today: Callable[[], date] = date.today,
        tz: tzinfo | None = None,
        page_size: int = 1000,  # OBF v2 maximum
        rate_limit_retries: int = 2,
        max_retry_after: float = 5.0,
    ):
        tokens = tokens or TokenStore.shared()
        self.org = org
        self.client_id = org.client_id
        self.api_version = org.api_version
        self._session = ObfSession(
            org, timeout=timeout, transport=transport, tokens=tokens,
            sleep=sleep or tokens.sleep, rate_limit_retries=rate_limit_retries,
            max_retry_after=max_retry_after)
        self._today = today
        self._tz = tz or _local_zone()
        self._page_size = page_size
        self._org_name: str | None = None
        self._org_name_failed = False
        # Badge details by id, None when OBF could not tell (asked once).
        self._badges: dict[str, Badge | None] = {}

    async def __aenter__(self) -> "ObfClient":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._session.aclose()

    def _path(self, *parts: str) -> str:
        return "/" + "/".join(quote(part, safe="") for part in parts)

    @property
    def _v2(self) -> bool:
        return self.api_version == "v2"

    # ------------------------------------------------------------- operations

    @_guarded
    async def ping(self) -> bool:
        """True when OBF answers and accepts our credentials; else an ObfError."""
        path = (self._path("client", self.client_id, "ping") if self._v2
                else self._path("ping", self.client_id))
        await self._session.request("GET", path)
        return True

    @_guarded
    async def organisation_name(self) -> str:
        """The organisation's display name (cached for the life of the client)."""
        if self._org_name is None:
            body = p.obj(await self._session.get_json(self._path("client", self.client_id)),
                         "the organisation")
            self._org_name = p.text(body.get("name")) or self.client_id
        return self._org_name

    @_guarded
    async def badges(self) -> list[Badge]:
        """Published badges of the organisation (drafts left out)."""
        if self._v2:
            items = await self._v2_list(self._path("badge", self.client_id), {"draft": 0})
            return [p.badge_from_v2(await self._in_french(item), self.client_id)
                    for item in items]
        items = await self._session.get_ldjson(self._path("badge", self.client_id),
                                               {"draft": 0})
        return [p.badge_from_v1(item, self.client_id) for item in items]

    async def _in_french(self, item: dict) -> dict:
        """The list item, completed with its detail when only that has French."""
        if not p.needs_french_detail(item):
            return item
        try:
            detail = await self._session.get_json(
                self._path("badge", self.client_id, p.ident(item, "id")))
            return {**item, **p.obj(detail, "the badge")}
        except ObfError as error:  # the primary language will do
            log.info("OBF org %s: no French detail for a badge (%s)",
                     self.client_id, error.kind)
            return item

    @_guarded
    async def badge(self, badge_id: str) -> Badge:
        return await self._read_badge(badge_id)

    async def _read_badge(self, badge_id: str) -> Badge:
        body = await self._session.get_json(self._path("badge", self.client_id, badge_id))
        read = p.badge_from_v2 if self._v2 else p.badge_from_v1
        # v1 may send its single object as one LD-JSON line, which is plain JSON.
        return read(p.obj(body, "the badge"), self.client_id)

    @_guarded
    async def learner_badges(self, email: str) -> list[LearnerBadge]:
        """Badges received by `email` in this organisation, newest first.

        Only rows whose recipient is exactly this address (case-insensitive) are
        kept, whatever the server sends: a learner never sees someone else's badge.
        """
        wanted = p.normal_email(email)
        if "@" not in wanted:
            return []
        if self._v2:
            found, foreign = await self._learner_badges_v2(wanted)
        else:
            found, foreign = await self._learner_badges_v1(wanted)
        if foreign:
            log.warning("OBF org %s sent %d row(s) of other recipients for %s: ignored",
                        self.client_id, foreign, email_ref(wanted))
        log.info("OBF org %s: %d badge(s) for %s", self.client_id, len(found),
                 email_ref(wanted))
        return sorted(found, key=lambda b: b.issued_on or date.min, reverse=True)

    @_guarded
    async def earnable_badges(self) -> list[EarnableBadge]:
        """Badges one can apply for (visible, not drafts)."""
        if self._v2:
            # Not in OBF's v2 material we could read (docs/obf-api.md lists
            # earnable badges for v1 only): we assume the v1 route with the v2 list
            # shape, and treat a 404 as "this API has no earnable badges".
            try:
                items = await self._v2_list(self._path("earnablebadge", self.client_id),
                                            {"visible": 1})
            except ObfNotFound:
                return []
        else:
            items = await self._session.get_ldjson(
                self._path("earnablebadge", self.client_id) + "/", {"visible": 1})
        found = (p.earnable_from(item, self.client_id) for item in items)
        return [earnable for earnable in found if earnable is not None]

    # ---------------------------------------------------------------- issuing

    @_guarded
    async def find_issued(self, badge_id: str, email: str) -> LearnerBadge | None:
        """The learner's row for this badge when OBF already issued it to `email`
        (newest first; revoked and expired rows count too: the learner had it), else
        None. What a caller asks before issuing again after a timeout."""
        return await self._find_issued(badge_id, email)

    async def _find_issued(self, badge_id: str, email: str) -> LearnerBadge | None:
        wanted = self._issuable(badge_id, email)
        read = self._learner_badges_v2 if self._v2 else self._learner_badges_v1
        found, _foreign = await read(wanted, badge_id)
        found = [b for b in found if b.badge_id == badge_id]
        found.sort(key=lambda b: b.issued_on or date.min, reverse=True)
        return found[0] if found else None

    @_guarded
    async def issue_badge(self, badge_id: str, email: str, *, name: str | None = None,
                          key: str | None = None, issued_on: datetime | None = None,
                          send_email: bool = True, api_consumer_id: str = API_CONSUMER_ID,
                          log_entry: dict | None = None) -> str:
        """Issue `badge_id` to one address; returns the new event id.

        v2: POST /v2/event/{client_id}/{badge_id}/issue (JSON body, answer
        `{"success": true, "resource_id": <event id>}`); v1: POST
        /v1/badge/{client_id}/{badge_id} (201, `Location: …/event/{client_id}/{id}`).
        Not idempotent, as OBF is not: each call issues again. Use issue_badge_once.
        `key` is written (hashed) into the event's log_entry, so that an organisation
        can tell Bagou's events apart. An ObfTimeout or ObfUnavailable means that OBF
        may or may not have issued: look with find_issued before trying again."""
        return await self._issue(badge_id, email, name=name, key=key, issued_on=issued_on,
                                 send_email=send_email, api_consumer_id=api_consumer_id,
                                 log_entry=log_entry)

    @_guarded
    async def issue_badge_once(self, badge_id: str, email: str, *, key: str,
                               name: str | None = None, send_email: bool = True,
                               api_consumer_id: str = API_CONSUMER_ID,
                               log_entry: dict | None = None) -> IssueResult:
        """Issue the badge unless the learner already has it; safe to call again.

        `key` is the caller's stable name for this award (e.g. learner + badge); the
        same key never runs twice at once in this process. Every call first asks OBF
        whether `email` already holds `badge_id`, so a retry after a timeout, a crash
        or a restart finds the badge of the first try instead of issuing a second one.
        Left to the caller: across processes, keep one pending award per key in the
        database (OBF has no idempotency key); and right after an ObfTimeout, wait a
        little before retrying, since OBF may still be processing the first request."""
        if not isinstance(key, str) or not key.strip():
            raise ObfInvalidRequest("issue_badge_once needs a stable key")
        lock_key = (self.org.base_url, self.api_version, self.client_id, key)
        async with _issue_lock(lock_key):
            existing = await self._find_issued(badge_id, email)
            if existing is not None:
                log.info("OBF org %s: badge %s already issued to %s (event %s): not again",
                         self.client_id, badge_id, email_ref(email), existing.event_id)
                return IssueResult(issued=False, event_id=existing.event_id,
                                   badge_id=badge_id, client_id=self.client_id,
                                   badge=existing)
            event_id = await self._issue(badge_id, email, name=name, key=key,
                                         issued_on=None, send_email=send_email,
                                         api_consumer_id=api_consumer_id,
                                         log_entry=log_entry)
            try:  # the row, for its credential link; the badge is issued either way
                badge = await self._find_issued(badge_id, email)
            except ObfError as error:
                log.info("OBF org %s: issued badge %s, not listed yet (%s)",
                         self.client_id, badge_id, error.kind)
                badge = None
            return IssueResult(issued=True, event_id=event_id, badge_id=badge_id,
                               client_id=self.client_id, badge=badge)

    def _issuable(self, badge_id: str, email: str) -> str:
        if not isinstance(badge_id, str) or not badge_id.strip() or "/" in badge_id:
            raise ObfInvalidRequest("no usable badge id")
        wanted = p.normal_email(email)
        if len(wanted) > 320 or not ISSUABLE_EMAIL.fullmatch(wanted):
            raise ObfInvalidRequest("not an e-mail address")
        return wanted

    async def _issue(self, badge_id: str, email: str, *, name: str | None, key: str | None,
                     issued_on: datetime | None, send_email: bool, api_consumer_id: str,
                     log_entry: dict | None) -> str:
        wanted = self._issuable(badge_id, email)
        stamp = int((issued_on.timestamp() if issued_on else time.time()))
        entry = dict(log_entry or {})
        if key:
            entry["bagou_issue_key"] = issue_key_ref(key)
        name = " ".join(p.text(name).replace("<", " ").replace(">", " ").split())[:200]
        if self._v2:
            recipient = {"email": wanted, **({"name": name} if name else {})}
            body = {"recipient": [recipient], "issued_on": stamp,
                    "api_consumer_id": api_consumer_id, "send_email": bool(send_email),
                    "log_entry": entry}
            path = self._path("event", self.client_id, badge_id, "issue")
        else:
            body = {"recipient": [f"{name} <{wanted}>" if name else wanted],
                    "issued_on": stamp, "api_consumer_id": api_consumer_id,
                    "send_email": 1 if send_email else 0, "log_entry": entry}
            path = self._path("badge", self.client_id, badge_id)
        response = await self._session.request("POST", path, json=body)
        event_id = self._issued_event_id(response)
        log.info("OBF org %s: badge %s issued to %s (event %s)", self.client_id, badge_id,
                 email_ref(wanted), event_id)
        return event_id

    def _issued_event_id(self, response) -> str:
        """v2 answers `{"success": true, "resource_id": …}`; v1 answers 201 with
        `Location: /v1/event/{client_id}/{event_id}`. Either is read from both."""
        body = None
        if response.content.strip():
            try:
                body = p.decode_json(response.content)
            except ObfBadResponse:
                body = None
        if isinstance(body, dict):
            if body.get("success") is False:
                raise ObfBadResponse("OBF said the issue failed", status=response.status_code)
            for field in ("resource_id", "id", "event_id"):
                if p.opt_text(body.get(field)):
                    return p.text(body[field])
        location = response.headers.get("Location", "")
        segments = [s for s in urlsplit(location).path.split("/") if s]
        if len(segments) >= 2 and segments[-2] == self.client_id:
            return segments[-1]
        # OBF took the request (2xx) but we cannot tell the event: the badge is
        # probably issued, so the caller must look (find_issued) before trying again.
        raise ObfBadResponse("the issue answer names no event")

    # ----------------------------------------------------------- v2 learner

    async def _learner_badges_v2(self, email: str, badge_id: str | None = None
                                 ) -> tuple[list[LearnerBadge], int]:
        # docs/obf-api.md §1.6: events filtered by e-mail, then the per-recipient
        # rows (revoked, assertion URL), joined on event_id.
        params = {"email": email, **({"badge_id": badge_id} if badge_id else {})}
        events = await self._v2_list(self._path("event", self.client_id), params)
        rows = await self._v2_list(self._path("event", self.client_id, "recipient"), params)
        by_id = {p.ident(event, "id"): event for event in events}
        mine = [row for row in rows if p.normal_email(row.get("email")) == email]
        found, seen = [], set()
        for row in mine:
            event_id = p.ident(row, "event_id")
            if event_id in seen:
                continue
            seen.add(event_id)
            event = by_id.get(event_id) or await self._v2_event(event_id)
            if event is None or (badge_id and event.get("badge_id") != badge_id):
                continue
            found.append(await self._learner_badge(
                event, event_id=event_id, revoked=p.flag(row.get("revoked")),
                issued=row.get("issued_on") or event.get("issued_on"),
                expires=row.get("expires_on") or event.get("expires_on"),
                link=p.opt_text(row.get("assertion_json_url")), image=None))
        return found, len(rows) - len(mine)

    async def _v2_event(self, event_id: str) -> dict | None:
        """An event missing from the list (lists move while we page): read it alone."""
        try:
            event = p.obj(await self._session.get_json(
                self._path("event", self.client_id, event_id)), "the event")
        except ObfNotFound:
            return None
        badge = event.get("badge")
        if isinstance(badge, dict) and "badge_id" not in event:
            event = {**event, "badge_id": badge.get("id")}
        return event

    # ----------------------------------------------------------- v1 learner

    async def _learner_badges_v1(self, email: str, badge_id: str | None = None
                                 ) -> tuple[list[LearnerBadge], int]:
        # One LD-JSON call; an event lists all its recipients, and `revoked` maps
        # revoked recipients to a timestamp (docs/obf-api.md §1.3, §1.6).
        params = {"email": email, **({"badge_id": badge_id} if badge_id else {})}
        events = await self._session.get_ldjson(self._path("event", self.client_id), params)
        found, foreign = [], 0
        for event in events:
            if badge_id and p.opt_text(event.get("badge_id")) != badge_id:
                continue  # a server that ignored the filter
            recipients = {p.normal_email(r) for r in p.str_list(event.get("recipient"))}
            if email not in recipients:
                foreign += 1
                continue
            revoked = event.get("revoked")
            revoked = isinstance(revoked, (dict, list)) and email in {
                p.normal_email(key) for key in revoked}
            event_id = p.ident(event, "id")
            link, image = await self._v1_assertion(event_id, email)
            found.append(await self._learner_badge(
                event, event_id=event_id, revoked=revoked, issued=event.get("issued_on"),
                expires=event.get("expires"), link=link, image=image))
        return found, foreign

    async def _v1_assertion(self, event_id: str, email: str) -> tuple[str | None, str | None]:
        """The learner's own assertion (JSON link, baked image). Best effort: the
        badge is still worth showing without its link."""
        try:
            items = await self._session.get_ldjson(
                self._path("event", self.client_id, event_id, "assertion"), {"email": email})
        except ObfError as error:
            log.info("OBF org %s: no assertion link for event %s (%s)",
                     self.client_id, event_id, error.kind)
            return None, None
        for item in items:
            if p.normal_email(item.get("recipient")) == email:
                return p.opt_text(item.get("json")), p.opt_text(item.get("image"))
        return None, None

    # ---------------------------------------------------------------- shared

    async def _learner_badge(self, event: dict, *, event_id: str, revoked: bool,
                             issued, expires, link: str | None,
                             image: str | None) -> LearnerBadge:
        badge_id = p.ident(event, "badge_id")
        # v2 events lack images and may name the badge in another language; v1
        # events are named in the badge's one language and the assertion has
        # the image, so v1 reads details only when that image is missing.
        badge = await self._known_badge(badge_id) if self._v2 or not image else None
        expires_on = p.to_date(expires, self._tz)
        return LearnerBadge(
            badge_id=badge_id,
            # The catalogue's name is in French when the badge has French; the
            # event keeps the name of the day it was issued, in any language.
            badge_name=(badge.name if badge else "") or p.text(event.get("name")),
            issuer_name=await self._issuer_name(),
            issued_on=p.to_date(issued, self._tz),
            expires_on=expires_on,
            revoked=revoked,
            expired=expires_on is not None and expires_on < self._today(),
            link=link,
            image=image or (badge.image if badge else None),
            event_id=event_id,
            client_id=self.client_id,
        )

    async def _known_badge(self, badge_id: str) -> Badge | None:
        """Badge details (French name, image), read once per badge and client.
        One detail per badge of the learner, not the whole catalogue. Best
        effort: a learner's list must not fail because a badge was deleted."""
        if badge_id not in self._badges:
            self._badges[badge_id] = None
            try:
                self._badges[badge_id] = await self._read_badge(badge_id)
            except ObfError as error:
                log.info("OBF org %s: no details for badge %s (%s)",
                         self.client_id, badge_id, error.kind)
        return self._badges.get(badge_id)

    async def _issuer_name(self) -> str | None:
        if self._org_name is None and not self._org_name_failed:
            try:
                await self.organisation_name()
            except ObfError:
                self._org_name_failed = True  # once per client, not once per badge
        return self._org_name

    async def _v2_list(self, path: str, params: dict) -> list[dict]:
        """All pages of a v2 list: limit/offset until `total` (or a short page)."""
        items: list[dict] = []
        for _ in range(MAX_PAGES):
            body = await self._session.get_json(
                path, {**params, "limit": self._page_size, "offset": len(items)})
            page, total = p.v2_page(body)
            items.extend(page)
            if not page or (total is not None and len(items) >= total) or (
                    total is None and len(page) < self._page_size):
                return items
        raise ObfBadResponse(f"more than {MAX_PAGES} pages on {path}")
