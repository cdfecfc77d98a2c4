"""Topic `parler_humain`: give a real way to reach a person.

The structure's contact comes from the settings (BAGOU_CONTACT_*): each detail that is
set adds its line. When none is set, the answer still names someone a person alone can
call: the structure that gave the badge. The lieux de la reconnaissance are always
offered. Every wording is a response of domain.yml, so that the FALC checker reads it.

`structure_contact` is shared with the other answers that offer a person (mecontent).
"""

from dataclasses import dataclass, field

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.config import get_settings
from actions.wording import buttons_of, wording


@dataclass(frozen=True)
class Contact:
    """The structure's contact as the person reads it: its lines and its web page."""
    lines: list[str] = field(default_factory=list)  # « Contact : … », « Téléphone : … »
    links: list[dict] = field(default_factory=list)  # the structure's page, as a link button

    @property
    def known(self) -> bool:
        return bool(self.lines or self.links)


def structure_contact(domain: dict) -> Contact:
    """The details of BAGOU_CONTACT_* that are set, worded by domain.yml."""
    s = get_settings()
    details = [("utter_contact_nom", "nom", s.contact_name),
               ("utter_contact_telephone", "telephone", s.contact_phone),
               ("utter_contact_email", "email", s.contact_email)]
    lines = [wording(domain, response, **{key: value})
             for response, key, value in details if value]
    links = ([{"title": wording(domain, "utter_contact_site"), "payload": s.contact_url}]
             if s.contact_url else [])
    return Contact(lines, links)


class ActionParlerHumain(Action):
    def name(self) -> str:
        return "action_parler_humain"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict):
        contact = structure_contact(domain)
        intro = "utter_parler_humain_contact" if contact.known else "utter_parler_humain"
        text = "\n".join([wording(domain, intro), *contact.lines,
                          wording(domain, "utter_parler_humain_lieux")])
        buttons = [*contact.links, *buttons_of(domain, "utter_parler_humain_lieux")]
        dispatcher.utter_message(text=text, buttons=buttons, topic="parler_humain")
        return []
