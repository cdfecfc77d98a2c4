"""Talks to the Rasa engine over HTTP on loopback, through Bagou's channel.

With several Rasa instances (BAGOU_RASA_INSTANCES, or BAGOU_RASA_URLS), each message
goes to the next instance in turn (round robin per message, not per conversation):
they share the tracker store and the lock store, so any instance can continue any
conversation, and the lock store runs the turns of one conversation one at a time.

When an instance cannot be reached (connection refused, connect timeout), the message
never left the gateway, so it is sent to the next instance: stopping one Rasa process
loses no message. Once the request has reached an instance, it is never sent again
(read timeout, connection closed mid-answer, HTTP 500): that instance may have handled
it, and with a shared tracker a second try would add the person's turn twice. The
person then gets the apology and can send the message again.

aiohttp rather than httpx for this hop: every turn crosses it, and under 16 concurrent
turns httpx's connection pool cost about 1.9 ms of CPU a request against 0.13 ms for
aiohttp's (docs/performance.md); httpx stays for the rest (OBF, badge checks).
"""

import asyncio
import itertools
import json
import logging

import aiohttp

# Our channel (rasa_ext/bagou_channel.py): Rasa's REST channel that also returns the
# response name and topic of each message, and checks the gateway's token.
WEBHOOK_PATH = "/webhooks/bagou/webhook"
TOKEN_HEADER = "X-Bagou-Token"
# Errors raised before the request reached Rasa (refused, no free connection or no
# connection in time): safe to send it elsewhere.
NOT_DELIVERED = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)
# Anything else once the request may have left: a closed connection, a read timeout.
FAILED = (aiohttp.ClientError, asyncio.TimeoutError)

log = logging.getLogger(__name__)


class RasaUnavailable(Exception):
    """Rasa (or the action server behind it) did not give a usable answer."""


class RasaClient:
    def __init__(self, base_urls: list[str] | str, token: str, timeout: float):
        self.base_urls = [base_urls] if isinstance(base_urls, str) else list(base_urls)
        if not self.base_urls:
            raise ValueError("at least one Rasa URL is needed")
        self._token = token
        self._turns = itertools.count()
        # As httpx's timeout did: each of waiting for a connection, connecting and each
        # read, not the whole answer.
        self._timeout = aiohttp.ClientTimeout(total=None, connect=timeout, sock_read=timeout)
        self._http: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _session(self) -> aiohttp.ClientSession:
        """The session of the running event loop (an aiohttp session belongs to the
        loop it was made in; the app is made before its loop runs)."""
        loop = asyncio.get_running_loop()
        if self._http is None or self._http.closed or self._loop is not loop:
            self._http = aiohttp.ClientSession(timeout=self._timeout)
            self._loop = loop
        return self._http

    def _order(self) -> list[str]:
        """All instances, starting with the next one in turn."""
        start = next(self._turns) % len(self.base_urls)
        return self.base_urls[start:] + self.base_urls[:start]

    async def send(self, sender: str, text: str, metadata: dict) -> list[dict]:
        payload = {"sender": sender, "message": text, "metadata": metadata}
        unreachable = []
        for base_url in self._order():
            try:
                async with self._session().post(
                        base_url + WEBHOOK_PATH, json=payload,
                        headers={TOKEN_HEADER: self._token}) as response:
                    return _replies(base_url, response.status, await response.read())
            except NOT_DELIVERED as error:
                log.warning("Rasa at %s cannot be reached (%s); trying another instance",
                            base_url, type(error).__name__)
                unreachable.append(base_url)
            except FAILED as error:
                raise RasaUnavailable(f"{base_url}: {type(error).__name__}: {error}") from error
        raise RasaUnavailable(f"no Rasa instance can be reached: {', '.join(unreachable)}")

    async def instances(self) -> dict[str, bool]:
        """Whether each instance answers, by base URL."""
        answers = await asyncio.gather(*(self._answers(url) for url in self.base_urls))
        return dict(zip(self.base_urls, answers))

    async def answers(self) -> bool:
        return any((await self.instances()).values())

    async def _answers(self, base_url: str) -> bool:
        try:
            async with self._session().get(
                    base_url + "/", timeout=aiohttp.ClientTimeout(total=2)) as response:
                return response.status == 200
        except FAILED:
            return False

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.close()


def _replies(base_url: str, status: int, body: bytes) -> list[dict]:
    if status != 200:
        raise RasaUnavailable(f"{base_url} answered HTTP {status}")
    try:
        messages = json.loads(body)
    except ValueError as error:
        raise RasaUnavailable(f"{base_url}: {error}") from error
    if not isinstance(messages, list):
        raise RasaUnavailable("Rasa answered something other than a list")
    # Every rule ends in a response, so silence means a part failed: Rasa logs
    # and swallows a custom action that could not run (action server down).
    if not messages:
        raise RasaUnavailable("Rasa gave no reply")
    return [m for m in messages if isinstance(m, dict)]
