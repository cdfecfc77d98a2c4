"""Topic `aide`: what Bagou can do, told differently to advisers and to the public."""

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.identity import identity_kind


class ActionAide(Action):
    def name(self) -> str:
        return "action_aide"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict):
        kind = identity_kind(tracker)
        response = "utter_aide_conseiller" if kind == "adviser" else "utter_aide"
        dispatcher.utter_message(response=response, topic="aide")
        return [SlotSet("profil", kind)]
