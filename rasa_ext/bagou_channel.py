"""Bagou's input channel for Rasa 3.6: the REST channel, with three changes.

1. It answers only requests that carry the gateway's token (header X-Bagou-Token),
   so that no other local process can send a message with a forged identity.
2. Each bot message keeps the name of the response it comes from (`utter_action`) and
   the `topic` a custom action may set: the gateway derives the reply's topic from them.
3. A failure while handling the message is a 500, not an empty 200, so that the
   gateway can tell "no answer" from "the engine broke".

Creating the channel also installs Bagou's patches of Rasa's core (rasa_ext/patches.py).

Runs in Rasa's environment (Python 3.10); it imports nothing from the gateway.
"""

import hmac
import logging
import os
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa_ext import patches

logger = logging.getLogger(__name__)

TOKEN_HEADER = "X-Bagou-Token"
KEPT_KEYS = ("utter_action", "topic")


class TopicCollectingOutputChannel(CollectingOutputChannel):
    """Collects messages like the REST channel, keeping their response name and topic."""

    @classmethod
    def name(cls) -> Text:
        return "bagou_collector"

    def _collect(self, recipient_id: Text, kwargs: Dict[Text, Any], **fields: Any) -> Dict:
        message = self._message(recipient_id, **fields)
        message.update({k: kwargs[k] for k in KEPT_KEYS if kwargs.get(k)})
        return message

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        for part in text.strip().split("\n\n"):  # a blank line starts a new bubble
            await self._persist_message(self._collect(recipient_id, kwargs, text=part))

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        await self._persist_message(
            self._collect(recipient_id, kwargs, text=text, buttons=buttons)
        )

    async def send_custom_json(
        self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any
    ) -> None:
        await self._persist_message(self._collect(recipient_id, kwargs, custom=json_message))


class BagouInput(RestInput):
    def __init__(self, token: Optional[Text] = None) -> None:
        # Rasa creates the channel before the first message: the one place Bagou's Rasa
        # patches can be installed explicitly (rasa_ext/patches.py; Rasa has no hook).
        patches.install()
        self.token = token or os.environ.get("BAGOU_RASA_TOKEN", "")
        if not self.token:
            logger.error("BAGOU_RASA_TOKEN is not set: the bagou channel refuses every message.")

    @classmethod
    def name(cls) -> Text:
        return "bagou"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "BagouInput":
        return cls((credentials or {}).get("token"))

    def _authorised(self, request: Request) -> bool:
        given = request.headers.get(TOKEN_HEADER, "")
        return bool(self.token) and hmac.compare_digest(given, self.token)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = Blueprint("bagou_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self._authorised(request):
                return response.json({"error": "unauthorised"}, status=401)
            body = request.json if isinstance(request.json, dict) else {}
            sender, text = body.get("sender"), body.get("message")
            if not isinstance(sender, str) or not isinstance(text, str):
                return response.json({"error": "sender and message are required"}, status=400)
            collector = TopicCollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(text, collector, sender, input_channel=self.name(),
                                metadata=body.get("metadata"))
                )
            except Exception:  # the engine failed; the gateway shows an apology
                logger.exception("Handling a message failed")
                return response.json({"error": "engine failure"}, status=500)
            return response.json(collector.messages)

        return webhook
