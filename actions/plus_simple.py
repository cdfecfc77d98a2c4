"""Topic `plus_simple`: the person did not understand. Say the last answer again,
in its simpler version.

The simpler version sits next to the answer in its FAQ file, as a response variation
with the condition `version_simple: true`. That slot is never true, so Rasa never picks
the variation by itself; this action reads it from the domain.
"""

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

SIMPLE_CONDITION = {"type": "slot", "name": "version_simple", "value": True}


def last_response_name(tracker: Tracker) -> str | None:
    """The response of the latest bot message that came from a named response."""
    for event in reversed(tracker.events):
        if event.get("event") == "bot":
            name = (event.get("metadata") or {}).get("utter_action")
            if name:
                return name
    return None


def simple_version(domain: dict, response: str | None) -> dict | None:
    for variation in (domain.get("responses") or {}).get(response or "", []):
        if SIMPLE_CONDITION in (variation.get("condition") or []):
            return variation
    return None


class ActionPlusSimple(Action):
    def name(self) -> str:
        return "action_plus_simple"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict):
        simple = simple_version(domain, last_response_name(tracker))
        if simple:
            dispatcher.utter_message(text=simple["text"], buttons=simple.get("buttons", []),
                                     topic="plus_simple")
        else:
            dispatcher.utter_message(response="utter_plus_simple_sans_reponse", topic="plus_simple")
        return []
