"""Topic `badges_suivants`: the next badges to aim for (« GPS des apprentissages »).

From the learner's valid badges, the steps of parcours.yml that start from them come
first (they say why); then the organisations' earnable badges that the learner does
not hold yet (one can apply online). At most three, never a badge already held.
"""

import asyncio
import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.identity import learner_email
from actions.obf_access import directory_for
from actions.wording import say as utter
from actions.wording import wording
from bot.obf import ObfError
from bot.obf.parcours import suggest_next

log = logging.getLogger(__name__)

TOPIC = "badges_suivants"
MAX_SUGGESTIONS = 3


class ActionBadgesSuivants(Action):
    def name(self) -> str:
        return "action_badges_suivants"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict):
        def say(response: str, **values):
            utter(dispatcher, domain, response, TOPIC, **values)

        email = learner_email(tracker)
        if email is None:
            say("utter_badges_suivants_anonyme")
            return []
        # A learner launched from Moodle: that Moodle's organisations only (held and
        # earnable badges alike); none linked, no look-up.
        obf = directory_for(tracker)
        if obf is None:
            say("utter_badges_moodle_sans_organisation")
            return []
        try:
            # Often asked right after « mes badges »: the same list, kept a minute.
            held, earnable = await asyncio.gather(
                obf.learner_badges(email, conversation=tracker.sender_id),
                obf.earnable_badges(conversation=tracker.sender_id))
        except ObfError as error:
            log.warning("Next badges could not be computed: %s", error)
            say("utter_badges_indisponible")
            return []
        # One logic for the chat and the adviser console (bot/obf/parcours.py); parcours.yml
        # is read once per question, so it stays editable without a restart.
        chosen = suggest_next(held.items, earnable.items, limit=MAX_SUGGESTIONS)
        if not chosen:
            say("utter_badges_suivants_aucun")
            return []
        say("utter_badges_suivants_intro")
        for item in chosen:
            if item.reason is not None:
                text = wording(domain, "utter_badge_suivant", nom=f"**{item.name}**",
                               raison=item.reason)
            else:
                text = wording(domain, "utter_badge_suivant_ouvert", nom=f"**{item.name}**")
            buttons = ([{"title": wording(domain, "utter_bouton_demander_badge"),
                         "payload": item.apply_url}] if item.apply_url else [])
            dispatcher.utter_message(text=text, buttons=buttons, topic=TOPIC)
        if held.partial or earnable.partial:
            say("utter_badges_partiel")
        return []
