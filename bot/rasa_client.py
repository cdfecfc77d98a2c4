"""Talks to the Rasa engine over HTTP on loopback, through Bagou's channel."""

import httpx

# Our channel (channels/bagou_channel.py): Rasa's REST channel that also returns the
# response name and topic of each message, and checks the gateway's token.
WEBHOOK_PATH = "/webhooks/bagou/webhook"
TOKEN_HEADER = "X-Bagou-Token"


class RasaUnavailable(Exception):
    """Rasa (or the action server behind it) did not give a usable answer."""


class RasaClient:
    def __init__(self, base_url: str, token: str, timeout: float):
        self._token = token
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout)

    async def send(self, sender: str, text: str, metadata: dict) -> list[dict]:
        payload = {"sender": sender, "message": text, "metadata": metadata}
        try:
            response = await self._http.post(
                WEBHOOK_PATH, json=payload, headers={TOKEN_HEADER: self._token}
            )
            if response.status_code != 200:
                raise RasaUnavailable(f"Rasa answered HTTP {response.status_code}")
            messages = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise RasaUnavailable(f"{type(error).__name__}: {error}") from error
        if not isinstance(messages, list):
            raise RasaUnavailable("Rasa answered something other than a list")
        # Every rule ends in a response, so silence means a part failed: Rasa logs
        # and swallows a custom action that could not run (action server down).
        if not messages:
            raise RasaUnavailable("Rasa gave no reply")
        return [m for m in messages if isinstance(m, dict)]

    async def answers(self) -> bool:
        try:
            return (await self._http.get("/", timeout=2)).status_code == 200
        except httpx.HTTPError:
            return False

    async def aclose(self) -> None:
        await self._http.aclose()
