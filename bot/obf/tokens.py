"""Bearer tokens, cached per organisation and never asked for more than once per 10 s.

OBF: "generating new access tokens is limited to one token per ten seconds"
(docs/obf-api.md §1.2). The store is shared by every client of the process
(`TokenStore.shared()`), so an action that builds a new client per message
still reuses the token and still respects the rule. Tests pass their own store
with a fake clock and a fake sleep.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.obf.errors import ObfRateLimited
from bot.obf.logs import log

TokenFetch = Callable[[], Awaitable[tuple[str, float]]]  # -> (token, expires_in seconds)


@dataclass
class _Slot:
    token: str | None = None
    valid_until: float = 0.0
    last_request: float | None = None
    lock: asyncio.Lock | None = None
    loop: asyncio.AbstractEventLoop | None = None


class TokenStore:
    _shared: "TokenStore | None" = None

    def __init__(self, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 min_interval: float = 10.0, margin: float = 60.0,
                 max_wait: float | None = None):
        self.clock, self.sleep = clock, sleep
        self.min_interval, self.margin = min_interval, margin
        # Longest wait for the 10-second rule (None: wait as long as needed). Where a
        # person waits for the answer, rather than sleep most of the 10 s (the chat
        # would time out), fail at once with ObfRateLimited (« try again »).
        self.max_wait = min_interval if max_wait is None else max_wait
        self._slots: dict[tuple, _Slot] = {}

    @classmethod
    def shared(cls) -> "TokenStore":
        if cls._shared is None:
            cls._shared = cls()
        return cls._shared

    def _lock(self, slot: _Slot) -> asyncio.Lock:
        # An asyncio.Lock belongs to one event loop; tests (and CLI tools) run
        # several loops one after the other in the same process.
        loop = asyncio.get_running_loop()
        if slot.lock is None or slot.loop is not loop:
            slot.lock, slot.loop = asyncio.Lock(), loop
        return slot.lock

    async def get(self, key: tuple, fetch: TokenFetch) -> str:
        """The cached token for `key`, or a new one from `fetch()`.

        Concurrent callers wait on one lock, so one expiry gives one request.
        """
        slot = self._slots.setdefault(key, _Slot())
        async with self._lock(slot):
            if slot.token and self.clock() < slot.valid_until:
                return slot.token
            if slot.last_request is not None:
                wait = slot.last_request + self.min_interval - self.clock()
                if wait > self.max_wait:
                    raise ObfRateLimited("a new token was asked for less than "
                                         f"{self.min_interval:.0f} s ago", retry_after=wait)
                if wait > 0:
                    log.info("OBF token for org %s: waiting %.1f s (1 token per %.0f s)",
                             key[-1], wait, self.min_interval)
                    await self.sleep(wait)
            # Counted before the call: a request that timed out may still have
            # made a token on OBF's side, and must not be hammered either.
            slot.last_request = started = self.clock()
            slot.token = None
            token, expires_in = await fetch()
            # Safety margin: 60 s, or a tenth of a short lifetime.
            slot.token = token
            slot.valid_until = started + expires_in - min(self.margin, expires_in / 10)
            log.info("OBF token for org %s: new, valid %.0f s", key[-1], expires_in)
            return token

    def invalidate(self, key: tuple, token: str) -> None:
        """Forget `token` (OBF refused it), unless a newer one already replaced it."""
        slot = self._slots.get(key)
        if slot and slot.token == token:
            slot.token = None
