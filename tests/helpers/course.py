"""Rasa for the course, without Rasa: the real course action (actions/formation.py) played
in-process, the slots kept per conversation as Rasa keeps them, the messages as Rasa's
REST channel gives them; a FAQ answer for anything else. tests/test_stack.py plays the
same course with the trained model."""

import json
from collections.abc import Awaitable, Callable

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.formation import ActionAutoformationModule
from bot.chat.rasa_client import RasaClient
from bot.settings import PROJECT_ROOT

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
FAQ = {"text": "Un Open Badge est une image numérique.",
       "utter_action": "utter_faq/badge_definition"}


class CourseRasa:
    """`starts(message)`: the words that start the course (its buttons always reach it).
    `resume_after_faq`: during the course, a FAQ answer is followed by the action (« On
    reprend ? »), as the rule of data/stories/rules.yml does."""

    def __init__(self, starts: Callable[[str], bool] = lambda m: m == "je veux apprendre",
                 resume_after_faq: bool = False):
        self.starts, self.resume_after_faq = starts, resume_after_faq
        self.slots: dict[str, dict] = {}  # per conversation (Rasa's sender id)
        self.metadata: list[dict] = []  # what the gateway sent, turn by turn

    async def send(self, sender: str, message: str, metadata: dict) -> list[dict]:
        self.metadata.append(metadata)
        if not (message.startswith("/autoformation_module") or self.starts(message)):
            if self.resume_after_faq and self.slots.get(sender, {}).get("formation_en_cours"):
                return [dict(FAQ)] + await self.act(sender, message, metadata, "faq", [])
            return [dict(FAQ)]
        entities = []
        if "{" in message:
            gesture = json.loads("{" + message.split("{", 1)[1])["formation"]
            entities = [{"entity": "formation", "value": gesture}]
        return await self.act(sender, message, metadata, "autoformation_module", entities)

    async def act(self, sender: str, message: str, metadata: dict, intent: str,
                  entities: list) -> list[dict]:
        slots = self.slots.setdefault(sender, {})
        tracker = Tracker.from_dict({
            "sender_id": sender, "slots": slots, "events": [],
            "latest_message": {"text": message, "entities": entities, "metadata": metadata,
                               "intent": {"name": intent, "confidence": 1}}})
        dispatcher = CollectingDispatcher()
        for event in await ActionAutoformationModule().run(dispatcher, tracker, DOMAIN):
            slots[event["name"]] = event["value"]
        return [{"text": m["text"], "topic": m.get("topic"), "buttons": m.get("buttons")}
                if m.get("text") else {"custom": m["custom"]} for m in dispatcher.messages]

    def in_place_of_rasa(self) -> Callable[[RasaClient, str, str, dict], Awaitable[list[dict]]]:
        """A function to stand for RasaClient.send (tests/helpers/browser.py `gateway`)."""
        async def send(_client: RasaClient, sender: str, message: str,
                       metadata: dict) -> list[dict]:
            return await self.send(sender, message, metadata)
        return send
