"""Rate limits of the chat API, per conversation and per client address.

Limited: `POST /api/chat`, `GET /api/chat/{id}/history`, `POST /api/feedback`,
`POST /api/verify`, `POST /api/verify/upload`, `GET /verifier` (the badge check page,
which fetches a link: per address only) (one budget for all of them). Not limited:
the widget's files, the demo site, `/health` and the console (it has its own lockouts).
LTI has its own budget per address (BAGOU_RATE_LIMIT_LTI, bot/lti/routes.py), counted
in its own namespace.

- Per conversation (BAGOU_RATE_LIMIT_SESSION, default 30 a minute): one runaway
  conversation (a script, a key held down) is stopped without touching the others,
  even those of the same address. Checked first, so that its refused requests do not
  use up its address's budget.
- Per address (BAGOU_RATE_LIMIT_ADDRESS, default 300 a minute): a client that starts a
  new conversation with each message. High on purpose: a school, a training centre or a
  mission locale puts a whole room of people behind one address.

A person types a message every few seconds at most; these numbers are several times
what the fastest person does (docs/security.md). A refused request gets 429
`trop_de_messages` in the API's error shape, with `Retry-After`, before anything is
parsed, stored or sent to Rasa: refusing costs almost nothing, so an abusive client does
not slow the others down.

The address is the one the gateway sees (the TCP peer). Behind a reverse proxy, every
request comes from the proxy: set BAGOU_TRUSTED_PROXIES to its address so that the
client's address is read from X-Forwarded-For (bot/app.py); never trust that header
from anybody else, or a client could pick a new address for each request.

Counters live in memory (one gateway, `MemoryWindows`), or in Redis
(BAGOU_RATE_LIMIT_URL=redis://…, the `limits` library) when several gateways must share
them. Keys are hashes: no conversation id or address in clear in Redis. When Redis does
not answer, requests go through (logged): Bagou stays available rather than refuse
everybody.
"""

import hashlib
import json
import logging
import math
import re
import time
from collections import deque
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.errors import error_response

log = logging.getLogger(__name__)

LIMITED_POSTS = ("/api/chat", "/api/feedback", "/api/verify", "/api/verify/upload")
HISTORY_PATH = "/api/chat/{session_id}/history"
LIMITED_GETS = ("/verifier",)
HISTORY = re.compile(r"^/api/chat/([^/]{1,100})/history$")
# Bodies whose session id the limiter reads (bot/http/body_limit.py bounds their size).
JSON_POSTS = ("/api/chat", "/api/feedback", "/api/verify")
LOG_EVERY_S = 60


@dataclass
class RateDecision:
    allowed: bool
    retry_after: int = 0


class MemoryWindows:
    """Moving windows in this process's memory: for each key and limit, the times of the
    requests of the last window, oldest first. Forgotten keys are swept at most once a
    minute, on the event loop. Not `limits`' memory storages: they sweep every key every
    10 ms (the async one with a thread hop per key), which, with a new address for each
    visitor, became a third of the gateway's CPU a turn and kept growing
    (docs/performance.md)."""

    SWEEP_S = 60.0

    def __init__(self) -> None:
        self._times: dict[tuple[str, str], deque[float]] = {}
        self._longest = 0.0
        self._next_sweep = 0.0

    def hit(self, item: RateLimitItem, key: str, now: float) -> int:
        """0 when the request is allowed (and counted), else the seconds to wait."""
        window = float(item.get_expiry())
        self._longest = max(self._longest, window)
        if now >= self._next_sweep:
            self._sweep(now)
        times = self._times.setdefault((str(item), key), deque())
        while times and times[0] <= now - window:
            times.popleft()
        if len(times) >= item.amount:
            return max(1, math.ceil(times[0] + window - now))
        times.append(now)
        return 0

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + self.SWEEP_S
        self._times = {k: t for k, t in self._times.items() if t and t[-1] > now - self._longest}


class RedisWindows:
    """The same moving windows in Redis, shared by several gateways (`limits`)."""

    def __init__(self, url: str, namespace: str) -> None:
        self.namespace = namespace
        storage = storage_from_string("async+" + url, implementation="redispy")
        self.limiter = MovingWindowRateLimiter(storage)

    async def hit(self, item: RateLimitItem, key: str) -> int:
        if await self.limiter.hit(item, self.namespace, key):
            return 0
        stats = await self.limiter.get_window_stats(item, self.namespace, key)
        return max(1, min(math.ceil(stats.reset_time - time.time()), item.get_expiry()))


class RateLimits:
    def __init__(self, storage_url: str, per_session: str, per_address: str,
                 namespace: str = "bagou"):
        # `namespace` keeps other budgets (bot/lti's, « bagou-lti ») apart from the chat's.
        url = storage_url.strip() or "memory://"
        # Moving window: exact (never more than the limit in any minute), where a
        # sliding window counter lets a burst through at the turn of each window.
        self.windows: MemoryWindows | RedisWindows = (
            MemoryWindows() if url.startswith("memory") else RedisWindows(url, namespace))
        self.per_session = _parse(per_session)
        self.per_address = _parse(per_address)
        self._last_log = 0.0

    async def check(self, session_id: str | None, address: str | None) -> RateDecision:
        try:
            if session_id:
                verdict = await self._hit(self.per_session, "session", session_id)
                if not verdict.allowed:
                    return verdict
            if address:
                return await self._hit(self.per_address, "address", address)
            return RateDecision(True)
        except Exception as error:  # the storage (Redis) is down: let people through
            now = time.monotonic()
            if now - self._last_log > LOG_EVERY_S:
                self._last_log = now
                log.warning("Rate limits not applied: storage error %s", type(error).__name__)
            return RateDecision(True)

    async def _hit(self, items: list[RateLimitItem], kind: str, value: str) -> RateDecision:
        key = kind + ":" + hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()[:32]
        windows = self.windows
        for item in items:
            wait = (windows.hit(item, key, time.time()) if isinstance(windows, MemoryWindows)
                    else await windows.hit(item, key))
            if wait:
                return RateDecision(False, wait)
        return RateDecision(True)


def _parse(spec: str) -> list[RateLimitItem]:
    """« 30/minute », « 30/minute;500/hour »; empty: no limit of that kind."""
    return parse_many(spec) if spec.strip() else []


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, limits: RateLimits):
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path, method = scope.get("path", ""), scope.get("method")
        history = HISTORY.match(path) if method == "GET" else None
        if scope["type"] != "http" or not (history or (method == "POST"
                                                       and path in LIMITED_POSTS)
                                           or (method == "GET" and path in LIMITED_GETS)):
            await self.app(scope, receive, send)
            return
        session_id = history.group(1) if history else None
        if method == "POST" and path in JSON_POSTS:
            receive, session_id = await _session_in_body(receive)
        client = scope.get("client")
        verdict = await self.limits.check(session_id, client[0] if client else None)
        if not verdict.allowed:
            response = error_response(429, "trop_de_messages", _plain(session_id),
                                      headers={"Retry-After": str(verdict.retry_after)})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _session_in_body(receive: Receive) -> tuple[Receive, str | None]:
    """The body's `session_id` (a small JSON body, bounded by bot/http/body_limit.py), and a
    `receive` that gives the body again to the route."""
    messages: list[Message] = []
    body = b""
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    session_id = None
    try:
        data = json.loads(body)
        if isinstance(data, dict) and isinstance(data.get("session_id"), str):
            session_id = data["session_id"][:100] or None
    except (ValueError, RecursionError):
        pass  # the route answers json_invalide
    return replay, session_id


def _plain(session_id: str | None) -> str | None:
    """The session id given back in the error, only when it looks like one."""
    if session_id and re.fullmatch(r"[0-9a-f-]{36}", session_id):
        return session_id
    return None
