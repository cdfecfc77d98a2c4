"""The topic contract (topics.yml) and how a Rasa reply names its topic.

A reply names its topic in one of two ways, both set on the Rasa side:
- the response it comes from: `utter_faq/<topic>` (FAQ) or `utter_<topic>` (dialog);
- an explicit `topic` that a custom action adds to its message.
"""

from dataclasses import dataclass
from functools import lru_cache

import yaml

from bot.settings import PROJECT_ROOT

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
    data = yaml.safe_load(TOPICS_FILE.read_text(encoding="utf-8"))
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
