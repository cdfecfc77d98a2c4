"""The platforms' public key sets (JWKS), fetched on the event loop and cached.

A launch is checked against the key set of its platform (Moodle's `…/mod/lti/certs.php`).
pylti1p3 fetches it with `requests`, without timeout and without cache, inside the
worker thread of the launch: a platform whose key set hangs held one thread of the
gateway per launch for 45 s, and 41 such launches stalled /health and the chat (issue 21).
Here the key set is fetched with httpx on the event loop, before the checks that run in
a thread:

- a short total deadline (`timeout`, connection and transfer together: a server that
  drips bytes cannot stretch it) and a size limit (`max_bytes`);
- one fetch at a time per URL: launches that arrive meanwhile wait for the same answer
  (a hanging key set costs one connection, whatever the number of launches);
- kept for the `max-age` of its Cache-Control (between `min_ttl` and `max_ttl`;
  `default_ttl` without one);
- fetched again when a token names a `kid` that the kept set lacks (the platform rotated
  its keys), at most once per `refetch_interval` per URL: a stream of tokens with made-up
  kids cannot make Bagou hammer the platform;
- after a failed fetch, launches are refused at once for `failure_backoff` seconds
  (a kept set, even old, is still used meanwhile): a dead platform costs nothing;
- at most `max_urls` key sets kept (one per registered platform in practice).
"""

import asyncio
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

log = logging.getLogger(__name__)

_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)")


class KeySetError(Exception):
    """The key set cannot be had (the reason is for the log, never for the person)."""


@dataclass
class _Entry:
    keys: dict
    fetched_at: float  # monotonic
    expires_at: float  # monotonic
    kid_refetched_at: float | None = None  # the last fetch for an unknown kid

    def kids(self) -> set[str | None]:
        return {k.get("kid") for k in self.keys.get("keys", []) if isinstance(k, dict)}


@dataclass
class PlatformKeys:
    timeout: float = 3.0
    max_bytes: int = 256 * 1024
    default_ttl: float = 600.0
    min_ttl: float = 60.0
    max_ttl: float = 24 * 3600.0
    refetch_interval: float = 60.0
    failure_backoff: float = 10.0
    max_urls: int = 200
    transport: httpx.AsyncBaseTransport | None = None
    clock: Callable[[], float] = time.monotonic
    _cache: dict[str, _Entry] = field(default_factory=dict)
    _failed: dict[str, tuple[float, str]] = field(default_factory=dict)
    _inflight: dict[str, asyncio.Future] = field(default_factory=dict)
    fetches: int = 0  # how many fetches were started (for tests and the bench)

    async def key_set(self, url: str, kid: str | None) -> dict:
        """The key set of `url`, holding `kid` whenever the platform has it."""
        now = self.clock()
        entry = self._cache.get(url)
        fresh = entry is not None and now < entry.expires_at
        if entry is not None and fresh and (kid is None or kid in entry.kids()):
            return entry.keys
        if entry is not None and fresh:  # an unknown kid: the platform may have rotated its keys
            last = entry.kid_refetched_at
            if last is not None and now - last < self.refetch_interval:
                return entry.keys  # asked again moments ago: the check will refuse
            entry.kid_refetched_at = now
        failed = self._failed.get(url)
        if failed and now - failed[0] < self.failure_backoff:
            if entry is not None:
                return entry.keys
            raise KeySetError(f"key set {url} failed {now - failed[0]:.0f} s ago: {failed[1]}")
        try:
            return await self._fetch_once(url)
        except KeySetError:
            if entry is not None:  # an old set is better than no launch at all
                log.warning("LTI key set %s: using the copy fetched %.0f s ago", url,
                            now - entry.fetched_at)
                return entry.keys
            raise

    async def _fetch_once(self, url: str) -> dict:
        running = self._inflight.get(url)
        if running is None:
            running = asyncio.ensure_future(self._fetch(url))
            self._inflight[url] = running
            running.add_done_callback(lambda _f: self._inflight.pop(url, None))
        # shield: a launch that gives up (client gone) does not cancel the others' fetch.
        return await asyncio.shield(running)

    async def _fetch(self, url: str) -> dict:
        self.fetches += 1
        started = self.clock()
        try:
            keys, ttl = await asyncio.wait_for(self._get(url), self.timeout)
        except (asyncio.TimeoutError, httpx.TimeoutException):
            reason = f"no answer in {self.timeout:g} s"
        except httpx.HTTPError as error:
            reason = f"{type(error).__name__}: {error}"
        except KeySetError as error:
            reason = str(error)
        else:
            now = self.clock()
            self._failed.pop(url, None)
            if url not in self._cache and len(self._cache) >= self.max_urls:
                self._cache.pop(min(self._cache, key=lambda u: self._cache[u].fetched_at))
            previous = self._cache.get(url)
            self._cache[url] = _Entry(keys, now, now + ttl,
                                      previous.kid_refetched_at if previous else None)
            return keys
        self._failed[url] = (self.clock(), reason)
        log.warning("LTI key set %s unreachable after %.1f s: %s", url,
                    self.clock() - started, reason)
        raise KeySetError(f"key set {url}: {reason}")

    async def _get(self, url: str) -> tuple[dict, float]:
        async with httpx.AsyncClient(timeout=self.timeout, transport=self.transport,
                                     follow_redirects=True, max_redirects=3,
                                     headers={"Accept": "application/json"}) as client:
            async with client.stream("GET", url) as response:
                if response.status_code != 200:
                    raise KeySetError(f"HTTP {response.status_code}")
                body = b""
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > self.max_bytes:
                        raise KeySetError(f"larger than {self.max_bytes} bytes")
                ttl = self._ttl(response.headers.get("cache-control", ""))
        try:
            keys = json.loads(body)
        except ValueError as error:
            raise KeySetError("not JSON") from error
        if not isinstance(keys, dict) or not isinstance(keys.get("keys"), list):
            raise KeySetError("not a JWKS (no « keys » list)")
        return keys, ttl

    def _ttl(self, cache_control: str) -> float:
        value = cache_control.lower()
        if "no-store" in value or "no-cache" in value:
            return self.min_ttl
        found = _MAX_AGE.search(value)
        ttl = float(found.group(1)) if found else self.default_ttl
        return max(self.min_ttl, min(ttl, self.max_ttl))
