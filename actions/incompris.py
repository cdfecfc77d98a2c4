"""Topic `incompris`: the engine is not sure. Offer the closest topics as buttons,
and « Parler à une personne ».

Like Rasa's two-stage fallback, but in one step: a person who reads with difficulty
gets choices at once rather than a request to rephrase. No button leads to an answer
that would be wrong here: « Autre chose » (hors_sujet) tells the person that their
question is not about badges, « Je n'ai pas compris » (plus_simple) simplifies the
previous answer, not the question just asked.
"""

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.topics import all_topics

MAX_CHOICES = 3
# Below this, a candidate is noise rather than a guess worth offering.
MIN_CONFIDENCE = 0.1
# Intents that are not worth offering as a guess, or whose answer would be wrong here.
# parler_humain is never a guess: it is always the last button.
NOT_OFFERED = {"nlu_fallback", "faq", "hors_sujet", "incompris", "plus_simple", "mecontent",
               "parler_humain", "bonjour", "au_revoir", "merci"}
HUMAN = "parler_humain"


def closest_topics(parse_data: dict) -> list[str]:
    """Topic ids of the best FAQ answers and conversation intents, best first."""
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
    best = sorted(
        (t for t, c in scored.items() if t in known and c >= MIN_CONFIDENCE),
        key=lambda t: scored[t],
        reverse=True,
    )
    return best[:MAX_CHOICES]


def choice_buttons(choices: list[str]) -> list[dict]:
    """A button for each topic offered, then « Parler à une personne »."""
    topics = all_topics()
    titles = [topics[t].title for t in [*choices, HUMAN]]
    return [{"title": title, "payload": title} for title in titles]


class ActionIncompris(Action):
    def name(self) -> str:
        return "action_incompris"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict):
        choices = closest_topics(tracker.latest_message)
        if not choices:
            dispatcher.utter_message(response="utter_incompris_reformuler", topic="incompris")
            return []
        dispatcher.utter_message(response="utter_incompris", buttons=choice_buttons(choices),
                                 topic="incompris")
        return []
