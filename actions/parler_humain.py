"""Topic `parler_humain`: give a real way to reach a person.

The structure's contact comes from the settings (BAGOU_CONTACT_*): each detail that is
set adds its line. The lieux de la reconnaissance are always offered. Every wording is
a response of domain.yml, so that the FALC checker reads it.
"""

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.wording import wording
from bot.settings import get_settings
from bot.topics import all_topics


class ActionParlerHumain(Action):
    def name(self) -> str:
        return "action_parler_humain"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict):
        s = get_settings()
        details = [("utter_contact_nom", "nom", s.contact_name),
                   ("utter_contact_telephone", "telephone", s.contact_phone),
                   ("utter_contact_email", "email", s.contact_email)]
        lines = [wording(domain, response, **{key: value})
                 for response, key, value in details if value]
        intro = "utter_parler_humain_contact" if lines or s.contact_url else "utter_parler_humain"
        lieux = all_topics()["lieux_reconnaissance"].title
        buttons = [{"title": lieux, "payload": lieux}]
        if s.contact_url:
            buttons.insert(0, {"title": wording(domain, "utter_contact_site"),
                               "payload": s.contact_url})
        text = "\n".join([wording(domain, intro), *lines, wording(domain, "utter_parler_humain_lieux")])
        dispatcher.utter_message(text=text, buttons=buttons, topic="parler_humain")
        return []
