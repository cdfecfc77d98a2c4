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
"""

import asyncio
import itertools
import logging

import httpx

# Our channel (rasa_ext/bagou_channel.py): Rasa's REST channel that also returns the
# response name and topic of each message, and checks the gateway's token.
WEBHOOK_PATH = "/webhooks/bagou/webhook"
TOKEN_HEADER = "X-Bagou-Token"
# Errors raised before the whole request reached Rasa: safe to send it elsewhere.
NOT_DELIVERED = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout,
                 httpx.WriteError)

log = logging.getLogger(__name__)


class RasaUnavailable(Exception):
    """Rasa (or the action server behind it) did not give a usable answer."""


class RasaClient:
    def __init__(self, base_urls: list[str] | str, token: str, timeout: float,
                 transport: httpx.AsyncBaseTransport | None = None):
        self.base_urls = [base_urls] if isinstance(base_urls, str) else list(base_urls)
        if not self.base_urls:
            raise ValueError("at least one Rasa URL is needed")
        self._token = token
        self._turns = itertools.count()
        self._http = httpx.AsyncClient(timeout=timeout, transport=transport)

    def _order(self) -> list[str]:
        """All instances, starting with the next one in turn."""
        start = next(self._turns) % len(self.base_urls)
        return self.base_urls[start:] + self.base_urls[:start]

    async def send(self, sender: str, text: str, metadata: dict) -> list[dict]:
        payload = {"sender": sender, "message": text, "metadata": metadata}
        unreachable = []
        for base_url in self._order():
            try:
                response = await self._http.post(
                    base_url + WEBHOOK_PATH, json=payload, headers={TOKEN_HEADER: self._token})
            except NOT_DELIVERED as error:
                log.warning("Rasa at %s cannot be reached (%s); trying another instance",
                            base_url, type(error).__name__)
                unreachable.append(base_url)
                continue
            except httpx.HTTPError as error:
                raise RasaUnavailable(f"{base_url}: {type(error).__name__}: {error}") from error
            return _replies(base_url, response)
        raise RasaUnavailable(f"no Rasa instance can be reached: {', '.join(unreachable)}")

    async def instances(self) -> dict[str, bool]:
        """Whether each instance answers, by base URL."""
        answers = await asyncio.gather(*(self._answers(url) for url in self.base_urls))
        return dict(zip(self.base_urls, answers))

    async def answers(self) -> bool:
        return any((await self.instances()).values())

    async def _answers(self, base_url: str) -> bool:
        try:
            return (await self._http.get(base_url + "/", timeout=2)).status_code == 200
        except httpx.HTTPError:
            return False

    async def aclose(self) -> None:
        await self._http.aclose()


def _replies(base_url: str, response: httpx.Response) -> list[dict]:
    if response.status_code != 200:
        raise RasaUnavailable(f"{base_url} answered HTTP {response.status_code}")
    try:
        messages = response.json()
    except ValueError as error:
        raise RasaUnavailable(f"{base_url}: {error}") from error
    if not isinstance(messages, list):
        raise RasaUnavailable("Rasa answered something other than a list")
    # Every rule ends in a response, so silence means a part failed: Rasa logs
    # and swallows a custom action that could not run (action server down).
    if not messages:
        raise RasaUnavailable("Rasa gave no reply")
    return [m for m in messages if isinstance(m, dict)]
