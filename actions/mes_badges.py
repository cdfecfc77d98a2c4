"""Topic `mes_badges`: the learner's own badges, a few at a time.

Only the identity set by the gateway decides whose badges are read (actions/identity.py):
an e-mail address typed in the chat is never looked up. A learner launched from Moodle is
looked up only in the OBF organisations of that Moodle (actions/obf_access.directory_for).
"""

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.identity import identity_kind, learner_email
from actions.obf_access import directory_for
from actions.wording import french_date, wording
from actions.wording import say as utter
from bot.obf import LearnerBadge, ObfError

log = logging.getLogger(__name__)

TOPIC = "mes_badges"
PAGE_SIZE = 3
MORE_PAYLOAD = "/voir_plus_badges"


def badge_text(domain: dict, badge: LearnerBadge) -> str:
    lines = [f"**{badge.badge_name}**"]
    if badge.issued_on and badge.issuer_name:
        lines.append(wording(domain, "utter_badge_donne", organisation=badge.issuer_name,
                             date=french_date(badge.issued_on)))
    elif badge.issued_on:
        lines.append(wording(domain, "utter_badge_donne_le", date=french_date(badge.issued_on)))
    if badge.revoked:
        lines.append(wording(domain, "utter_badge_retire"))
    elif badge.expired and badge.expires_on:
        lines.append(wording(domain, "utter_badge_expire", date=french_date(badge.expires_on)))
    elif badge.expires_on:
        lines.append(wording(domain, "utter_badge_expire_le", date=french_date(badge.expires_on)))
    return "\n".join(lines)


class ActionMesBadges(Action):
    def name(self) -> str:
        return "action_mes_badges"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict):
        def say(response: str, **values):
            utter(dispatcher, domain, response, TOPIC, **values)

        email = learner_email(tracker)
        if email is None:
            say("utter_mes_badges_conseiller" if identity_kind(tracker) == "adviser"
                else "utter_mes_badges_anonyme")
            return []
        obf = directory_for(tracker)
        if obf is None:  # launched from a Moodle linked to no organisation of Bagou
            say("utter_badges_moodle_sans_organisation")
            return []
        more = tracker.latest_message.get("intent", {}).get("name") == "voir_plus_badges"
        try:
            # The next page is read from the same list as the first (kept a minute for
            # this conversation, bot/obf/recent.py); the first page asks OBF again.
            found = await obf.learner_badges(email, conversation=tracker.sender_id,
                                             fresh=not more)
        except ObfError as error:
            log.warning("Badges of a learner could not be read: %s", error)
            say("utter_badges_indisponible")
            return []
        badges = found.items
        start = int(tracker.get_slot("badges_vus") or 0) if more else 0
        start = start if start < len(badges) else 0
        page = badges[start:start + PAGE_SIZE]
        if not badges:
            say("utter_mes_badges_aucun")
        elif start == 0:
            say("utter_mes_badges_un" if len(badges) == 1 else "utter_mes_badges_nombre",
                nombre=len(badges))
        for badge in page:
            links = [{"title": wording(domain, "utter_bouton_voir_badge"), "payload": badge.link}
                     ] if badge.link else []
            dispatcher.utter_message(text=badge_text(domain, badge), buttons=links, topic=TOPIC)
        left = len(badges) - start - len(page)
        if found.partial:
            say("utter_badges_partiel")
        if left > 0:
            dispatcher.utter_message(
                text=wording(domain, "utter_mes_badges_reste_un" if left == 1
                             else "utter_mes_badges_reste", nombre=left), topic=TOPIC,
                buttons=[{"title": wording(domain, "utter_bouton_voir_plus"),
                          "payload": MORE_PAYLOAD}])
        elif badges:
            say("utter_mes_badges_ensuite")
        return [SlotSet("badges_vus", float(start + len(page)))]
