"""FAQ topics whose answer a custom action completes.

Rasa's rules see the retrieval intent `faq`, never which FAQ topic was chosen, so a
topic that needs more than its written answer (the lieux de la reconnaissance near the
person) cannot have a rule of its own. This component, placed after the topic
classifier and the domain gate, renames the intent of such a topic (config `topics`:
FAQ topic → intent) so that a rule sends it to its action; the FAQ response selection
stays in the message, and the action says the written answer when it has nothing to
add. A message that is only a French postcode (« 14000 ») is a request for places too:
nothing else in Bagou is asked with five digits alone.

Runs in Rasa's environment (Python 3.10); not trained.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import RESPONSE_SELECTOR_PROPERTY_NAME, RESPONSE_SELECTOR_PREDICTION_KEY
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

POSTCODE_ONLY = re.compile(r"^\W*(?:code postal\W*)?\d{2} ?\d{3}\W*$", re.IGNORECASE)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class FaqActionTopics(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # FAQ topic → the intent that a rule sends to its action.
            "topics": {"lieux_reconnaissance": "lieux_proches"},
            # The intent of a message that is only a postcode.
            "postcode_intent": "lieux_proches",
        }

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.topics = dict(config["topics"])
        self.postcode_intent = config["postcode_intent"]

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage,
               resource: Resource, execution_context: ExecutionContext) -> FaqActionTopics:
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            name = None
            if intent.get(INTENT_NAME_KEY) == "faq":
                selected = ((message.get(RESPONSE_SELECTOR_PROPERTY_NAME) or {})
                            .get("faq", {}).get(RESPONSE_SELECTOR_PREDICTION_KEY, {}))
                topic = (selected.get(INTENT_RESPONSE_KEY) or "").removeprefix("faq/")
                name = self.topics.get(topic)
            if name is None and POSTCODE_ONLY.match(message.get(TEXT) or ""):
                name = self.postcode_intent
            if name:
                message.set(INTENT, {**intent, INTENT_NAME_KEY: name,
                                     "confidence": intent.get("confidence", 1.0)},
                            add_to_output=True)
        return messages
