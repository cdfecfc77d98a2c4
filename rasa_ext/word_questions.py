"""« C'est quoi un émetteur ? »: a question about a glossary word is `definition_mot`.

The classifier learns `definition_mot` from sentence shapes (« ça veut dire quoi … »),
but the word asked about pulls it towards the topic whose answer uses that word
(« c'est quoi un standard ? » → the history of Open Badges). The glossary
(glossaire.yml) knows which words Bagou explains: a message that asks what something
means (rasa_ext/text.py `asks_meaning`) and names a glossary word gets `definition_mot`,
whose action explains it. A word that is itself the subject of a FAQ topic (it is in a
topic's title or id: « critères », « endossement », « sac à badges ») keeps its topic:
that answer says more than the glossary.

Trained (it reads glossaire.yml and topics.yml when the model is trained, so the model
carries what it needs); placed after the topic classifier in config.yml.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Text, Tuple

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_ext.text import asks_meaning, words

TERMS_FILE = "glossary_terms.json"
Form = Tuple[Text, ...]


def singular(word: Text) -> Text:
    return word[:-1] if len(word) > 3 and word[-1] in "sx" else word


def tokens(text: Text) -> Form:
    return tuple(singular(w) for w in words(text))


def contains(message: Form, form: Form) -> bool:
    return any(message[i:i + len(form)] == form for i in range(len(message) - len(form) + 1))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class WordQuestions(GraphComponent, IntentClassifier):
    @classmethod
    def required_components(cls) -> List[type]:
        return []

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "glossary_file": "glossaire.yml",
            "topics_file": "topics.yml",
            "intent": "definition_mot",
            # Longer messages ask more than a word (« c'est quoi la différence entre … »).
            "max_words": 10,
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage,
                 resource: Resource, explained: Optional[List[Form]] = None,
                 subjects: Optional[List[Form]] = None) -> None:
        self.config = config
        self._storage, self._resource = model_storage, resource
        self.explained = explained or []  # forms of glossary words without a topic
        self.subjects = subjects or []    # forms of glossary words that are a topic

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage,
               resource: Resource, execution_context: ExecutionContext) -> WordQuestions:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        self.explained, self.subjects = self._read_files()
        with self._storage.write_to(self._resource) as directory:
            (directory / TERMS_FILE).write_text(json.dumps(
                {"explained": self.explained, "subjects": self.subjects}))
        return self._resource

    def _read_files(self) -> Tuple[List[Form], List[Form]]:
        glossary_path, topics_path = (Path(self.config[k]) for k in ("glossary_file", "topics_file"))
        if not glossary_path.exists() or not topics_path.exists():
            return [], []
        topics = (yaml.safe_load(topics_path.read_text(encoding="utf-8")) or {}).get("topics") or []
        faq = [t for t in topics if t.get("kind") == "faq"]
        subject_texts = [tokens(str(t.get("title", ""))) for t in faq]
        subject_texts += [tokens(str(t.get("id", "")).replace("_", " ")) for t in faq]
        explained: Set[Form] = set()
        subjects: Set[Form] = set()
        glossary = yaml.safe_load(glossary_path.read_text(encoding="utf-8")) or {}
        for term in glossary.get("termes") or []:
            forms = {tokens(str(f)) for f in [term.get("mot", ""), *(term.get("formes") or [])]}
            forms.discard(())
            # A word with a topic button (« endossement » → « C'est quoi un
            # endossement ? ») or in a topic's title or id is that topic's subject.
            is_subject = bool(term.get("bouton")) or any(
                contains(text, form) for text in subject_texts for form in forms)
            (subjects if is_subject else explained).update(forms)
        return sorted(explained), sorted(subjects)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> WordQuestions:
        try:
            with model_storage.read_from(resource) as directory:
                data = json.loads((directory / TERMS_FILE).read_text())
        except (ValueError, FileNotFoundError):
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource,
                   [tuple(f) for f in data["explained"]], [tuple(f) for f in data["subjects"]])

    def asks_a_glossary_word(self, text: Text) -> bool:
        found = tokens(text)
        if not found or len(found) > self.config["max_words"] or not asks_meaning(text):
            return False
        # « badge » is in most titles; it does not make « émetteur de badge » a topic.
        if any(contains(found, form) for form in self.subjects if form != ("badge",)):
            return False
        return any(contains(found, form) for form in self.explained)

    def process(self, messages: List[Message]) -> List[Message]:
        name = self.config["intent"]
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/") or not self.asks_a_glossary_word(text):
                continue
            intent = {INTENT_NAME_KEY: name, "confidence": 1.0}
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or []
                       if r.get(INTENT_NAME_KEY) != name]
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [intent, *ranking], add_to_output=True)
        return messages
