"""The topic contract (topics.yml) and how a Rasa reply names its topic.

A reply names its topic in one of two ways, both set on the Rasa side:
- the response it comes from: `utter_faq/<topic>` (FAQ) or `utter_<topic>` (dialog);
- an explicit `topic` that a custom action adds to its message.
"""

from dataclasses import dataclass
from functools import lru_cache

from bot.settings import PROJECT_ROOT
from bot.yaml_files import read_yaml

TOPICS_FILE = PROJECT_ROOT / "topics.yml"
# Used when Rasa answered nothing that names a topic: the assistant did not understand.
UNKNOWN_TOPIC = "incompris"


@dataclass(frozen=True)
class Topic:
    id: str
    kind: str
    title: str
    covers: str


@lru_cache
def all_topics() -> dict[str, Topic]:
    data = read_yaml(TOPICS_FILE)
    return {t["id"]: Topic(t["id"], t["kind"], t["title"], t["covers"]) for t in data["topics"]}


def topic_of_message(message: dict) -> str | None:
    explicit = message.get("topic")
    if explicit in all_topics():
        return explicit
    response = str(message.get("utter_action") or "")
    name = response.removeprefix("utter_").removeprefix("faq/")
    return name if response.startswith("utter_") and name in all_topics() else None


def topic_of_turn(messages: list[dict]) -> str:
    """The topic of a whole turn: that of its last message that names one."""
    for message in reversed(messages):
        topic = topic_of_message(message)
        if topic:
            return topic
    return UNKNOWN_TOPIC


# Topics that a short next message may continue (« et sur LinkedIn ? »): answers about
# badges. Conversation control (merci, plus_simple …) and the meaning of a word are
# skipped: « et sur Facebook ? » after « j'ai pas compris » continues the answer before.
CONTINUED_KINDS = ("faq", "action")
NOT_CONTINUED = {"definition_mot"}
# The answer to « j'ai pas compris » (actions/plus_simple.py).
NOT_UNDERSTOOD = "plus_simple"


def conversation_context(previous: list[tuple[str, str | None]], text: str) -> dict:
    """What the classifier may read a follow-up with (rasa_ext/topic_classifier.py):
    `previous` holds the person's last messages of the session with their topics,
    newest first. The subject is the last one that was about badges."""
    context: dict = {}
    if not previous:
        return context
    last_text, last_topic = previous[0]
    repeated = all_topics().get(last_topic or "")
    if (not text.startswith("/") and _plain(last_text) == _plain(text) and repeated
            and (repeated.kind in CONTINUED_KINDS or repeated.id in ("hors_sujet", "incompris"))):
        context["repeat"] = True  # the same question again: the answer did not help
    if last_topic == NOT_UNDERSTOOD:
        context["not_understood"] = True  # « toujours pas » is the second « pas compris »
    for said, topic in previous:
        found = all_topics().get(topic or "")
        if found and found.kind in CONTINUED_KINDS and found.id not in NOT_CONTINUED:
            context.update(topic=found.id, title=found.title, text=said)
            break
    return context


def _plain(text: str) -> str:
    return " ".join("".join(c if c.isalnum() else " " for c in text.lower()).split())
