"""Topic `mecontent`: the person is angry or discouraged (« tu sers à rien »).

Say it simply: an apology, then a person to reach. The structure's contact when it is
set (BAGOU_CONTACT_*, as action_parler_humain gives it), else the structure that gave
the badge; then the buttons of utter_mecontent (« Parler à une personne », « Que
sais-tu faire ? »). Every wording is a response of domain.yml.
"""

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.parler_humain import structure_contact
from actions.wording import buttons_of, wording

TOPIC = "mecontent"


class ActionMecontent(Action):
    def name(self) -> str:
        return "action_mecontent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict):
        contact = structure_contact(domain)
        if contact.known:
            reach = [wording(domain, "utter_mecontent_contact"), *contact.lines]
        else:
            reach = [wording(domain, "utter_mecontent_sans_contact")]
        text = "\n".join([wording(domain, "utter_mecontent"), *reach])
        buttons = [*contact.links, *buttons_of(domain, "utter_mecontent")]
        dispatcher.utter_message(text=text, buttons=buttons, topic=TOPIC)
        return []
