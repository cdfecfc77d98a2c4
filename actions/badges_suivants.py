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
from actions.obf_access import directory
from actions.wording import say as utter
from actions.wording import wording
from bot.obf import ObfError
from bot.parcours import badge_key, load_parcours, next_steps

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
        obf = directory()
        try:
            held, earnable = await asyncio.gather(obf.learner_badges(email),
                                                  obf.earnable_badges())
        except ObfError as error:
            log.warning("Next badges could not be computed: %s", error)
            say("utter_badges_indisponible")
            return []
        owned = {badge_key(b.badge_name) for b in held.items if not b.revoked}
        apply_url = {badge_key(e.name): e.url for e in earnable.items if e.url}
        steps = load_parcours()  # read once per question, still editable without a restart
        suggestions: dict[str, str] = {}  # badge key -> text
        for badge in held.items:
            if not badge.valid:
                continue
            for step in next_steps(badge.badge_name, steps):
                key = badge_key(step.to_badge)
                if key not in owned and key not in suggestions:
                    suggestions[key] = wording(domain, "utter_badge_suivant",
                                               nom=f"**{step.to_badge}**", raison=step.reason)
        for item in earnable.items:
            key = badge_key(item.name)
            if key not in owned and key not in suggestions:
                suggestions[key] = wording(domain, "utter_badge_suivant_ouvert",
                                           nom=f"**{item.name}**")
        chosen = list(suggestions.items())[:MAX_SUGGESTIONS]
        if not chosen:
            say("utter_badges_suivants_aucun")
            return []
        say("utter_badges_suivants_intro")
        for key, text in chosen:
            buttons = ([{"title": wording(domain, "utter_bouton_demander_badge"),
                         "payload": apply_url[key]}] if key in apply_url else [])
            dispatcher.utter_message(text=text, buttons=buttons, topic=TOPIC)
        if held.partial or earnable.partial:
            say("utter_badges_partiel")
        return []
