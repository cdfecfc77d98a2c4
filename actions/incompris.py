"""Topic `incompris`: the engine is not sure. Offer the 2 or 3 closest topics as buttons,
and « Parler à une personne ».

Like Rasa's two-stage fallback, but in one step: a person who reads with difficulty
gets choices at once rather than a request to rephrase. No button leads to an answer
that would be wrong here: « Autre chose » (hors_sujet) tells the person that their
question is not about badges, « Je n'ai pas compris » (plus_simple) simplifies the
previous answer, not the question just asked.

What a button sends never depends on the classifier understanding it again: a FAQ topic
sends its title, which is a training example of that topic by contract (tests/test_content.py);
any other topic sends its intent (« /aide »), as « Voir plus » of mes_badges does. Its
title is what the person sees, and what the conversation history shows.

An anonymous visitor (actions/identity.py) is never offered the topics that need to
know who they are (their badges, the next badges, who looked at them): their answer
would only say « je ne connais pas votre nom ».
"""

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.identity import identity_kind
from bot.chat.topics import all_topics

MAX_CHOICES = 3
MIN_CHOICES = 2
# Below this, a candidate is noise rather than a guess worth offering; it only fills
# the second button when one guess alone is above it.
MIN_CONFIDENCE = 0.1
# Intents that are not worth offering as a guess, or whose answer would be wrong here.
# parler_humain is never a guess: it is always the last button.
NOT_OFFERED = {"nlu_fallback", "faq", "hors_sujet", "incompris", "plus_simple", "mecontent",
               "parler_humain", "bonjour", "au_revoir", "merci"}
# Topics whose answer is about the person: never offered to someone anonymous.
PERSONAL = {"mes_badges", "badges_suivants", "qui_a_vu_mes_badges"}
HUMAN = "parler_humain"


def scored_topics(parse_data: dict) -> dict[str, float]:
    """Each topic of the contract that the message may be about, with its likelihood."""
    scored: dict[str, float] = {}
    ranking = (parse_data.get("response_selector") or {}).get("faq", {}).get("ranking", [])
    faq_confidence = next(
        (i["confidence"] for i in parse_data.get("intent_ranking", []) if i["name"] == "faq"),
        1.0,
    )
    for candidate in ranking:
        topic = candidate.get("intent_response_key", "").removeprefix("faq/")
        # A FAQ answer is only as likely as the question being a FAQ question at all.
        scored[topic] = candidate.get("confidence", 0.0) * faq_confidence
    for intent in parse_data.get("intent_ranking", []):
        if intent["name"] not in NOT_OFFERED:
            scored[intent["name"]] = max(scored.get(intent["name"], 0.0), intent["confidence"])
    known = all_topics()
    return {t: c for t, c in scored.items() if t in known and t not in NOT_OFFERED}


def closest_topics(parse_data: dict, anonymous: bool = True) -> list[str]:
    """Topic ids of the best FAQ answers and conversation intents, best first: the ones
    above MIN_CONFIDENCE, at most 3, and at least 2 when there is one."""
    scored = scored_topics(parse_data)
    if anonymous:
        scored = {t: c for t, c in scored.items() if t not in PERSONAL}
    best = sorted(scored, key=lambda t: scored[t], reverse=True)
    likely = [t for t in best if scored[t] >= MIN_CONFIDENCE][:MAX_CHOICES]
    if not likely:
        return []
    return best[:max(len(likely), MIN_CHOICES)]


def choice_button(topic_id: str) -> dict:
    topic = all_topics()[topic_id]
    payload = topic.title if topic.kind == "faq" else f"/{topic.id}"
    return {"title": topic.title, "payload": payload}


def choice_buttons(choices: list[str]) -> list[dict]:
    """A button for each topic offered, then « Parler à une personne »."""
    return [choice_button(t) for t in [*choices, HUMAN]]


class ActionIncompris(Action):
    def name(self) -> str:
        return "action_incompris"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict):
        anonymous = identity_kind(tracker) == "anonymous"
        choices = closest_topics(tracker.latest_message, anonymous)
        if not choices:
            dispatcher.utter_message(response="utter_incompris_reformuler", topic="incompris")
            return []
        dispatcher.utter_message(response="utter_incompris", buttons=choice_buttons(choices),
                                 topic="incompris")
        return []
