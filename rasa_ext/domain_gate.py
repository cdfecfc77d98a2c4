"""A gate for questions that share no word with the badge topics.

A classifier trained on examples can take sentence shape for meaning, so an everyday request
phrased like a FAQ question (« comment faire un virement », « trouve-moi un appart »)
can get a badge answer. This component learns, from the training data, the words that
belong to the badge topics: words much more frequent in their examples than in the
out-of-scope and conversation examples (plus any word starting like « badge », unless
it is an out-of-scope word such as « badgeuse »). A message classified into a gated
intent (the FAQ, the learner's badges) that contains none of them becomes `hors_sujet`;
when it is only one or two words (« bof », « truc », « pourquoi »), it is doubt rather than
another subject, and it becomes `nlu_fallback` (« Vous voulez parler de … ? »).

Measured on the held-out sets: no in-scope FAQ question lacks such a word, while half
of the out-of-scope messages do (docs/nlu-experiments.md).

Runs in Rasa's environment (Python 3.10); placed after the topic classifier in config.yml.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from spacy.lang.fr.stop_words import STOP_WORDS
import yaml

from rasa_ext.text import words

logger = logging.getLogger(__name__)

VOCABULARY_FILE = "domain_words.json"
# Set by the topic classifier on a message it read with the conversation.
FOLLOW_UP_KEY = "bagou_context"


# A name: a capitalised word that does not start the message or a sentence (« Rouen »,
# « Facebook »); words in capitals are acronyms, not names (« RSA »).
NAME = re.compile(r"(?<![.!?…]\s)(?<!^)(?<![.!?…])\b[A-ZÀ-Ý][a-zà-ÿ][\w'-]*")

STOP = {w for stop in STOP_WORDS for w in words(stop)}
# Words that say nothing of a subject (« ok », « oui », « d'accord »): a message made only
# of them and of stop words is doubt, never another subject.
VAGUE = {"ok", "okay", "oui", "ouais", "non", "bof", "hein", "accord", "daccord", "bah", "ben",
         "euh", "mouais", "bon", "mm", "hmm"}


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class DomainVocabularyGate(GraphComponent, IntentClassifier):
    @classmethod
    def required_components(cls) -> List[type]:
        # It reads the intent that the topic classifier set, but its training
        # needs only the examples: Rasa checks requirements on the training graph too.
        return []

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Intents that need a domain word to be believed.
            "gated_intents": ["faq", "mes_badges", "badges_suivants", "verifier_badge"],
            # Intents about badges that are not gated (« c'est quoi ce mot ? » has no badge
            # word), whose examples still teach badge words (« module », « apprendre »).
            "vocabulary_intents": [],
            # What a gated message becomes.
            "out_of_scope_intent": "hors_sujet",
            # A word is a domain word when its share of the gated examples is this many
            # times its share of the other examples.
            "ratio": 4.0,
            "prefixes": ["badg", "bage", "badj"],
            # Messages this short without a domain word are doubt, not another subject.
            "doubt_max_words": 2,
            # The topic contract: the words of the titles of its badge topics (« Mes
            # données personnelles », « Un badge et le CPF ») are badge words, however
            # often out-of-scope examples use them (« mes données Facebook »).
            "topics_file": "topics.yml",
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage,
                 resource: Resource, domain_words: Optional[Set[Text]] = None,
                 other_words: Optional[Set[Text]] = None,
                 seen_words: Optional[Set[Text]] = None) -> None:
        self.config = config
        self._storage, self._resource = model_storage, resource
        self.domain_words = domain_words or set()
        self.other_words = other_words or set()
        # Every word of the training examples (a follow-up with a word never seen is
        # about something else: « et le rsa ? »).
        self.seen_words = seen_words or (self.domain_words | self.other_words)

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage,
               resource: Resource, execution_context: ExecutionContext
               ) -> DomainVocabularyGate:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        gated, other = Counter(), Counter()
        n_gated = n_other = 0
        for example in training_data.intent_examples:
            seen = set(words(example.get(TEXT) or "")) - STOP
            if example.get(INTENT) in (*self.config["gated_intents"],
                                       *self.config["vocabulary_intents"]):
                gated.update(seen)
                n_gated += 1
            else:
                other.update(seen)
                n_other += 1
        ratio = self.config["ratio"]
        dominant = {w for w in other
                    if other[w] / max(1, n_other) * ratio > gated[w] / max(1, n_gated)}
        self.domain_words = (set(gated) - dominant) | self._title_words()
        # Words seen only outside the badge topics (« badgeuse »): the « badg… » prefix
        # does not make them domain words.
        self.other_words = set(other) - set(gated)
        self.seen_words = set(gated) | set(other)
        with self._storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(json.dumps(
                {"domain": sorted(self.domain_words), "other": sorted(self.other_words),
                 "seen": sorted(self.seen_words)}))
        logger.info("Domain gate: %d domain words", len(self.domain_words))
        return self._resource

    def _title_words(self) -> Set[Text]:
        path = Path(self.config["topics_file"])
        if not path.exists():
            return set()
        topics = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("topics") or []
        return {w for t in topics if t.get("kind") in ("faq", "action")
                for w in words(str(t.get("title", "")))} - STOP

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> DomainVocabularyGate:
        try:
            with model_storage.read_from(resource) as directory:
                data = json.loads((directory / VOCABULARY_FILE).read_text())
        except (ValueError, FileNotFoundError):
            logger.warning("Domain gate: no vocabulary in the model; it lets everything pass.")
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, set(data["domain"]), set(data["other"]),
                   set(data.get("seen") or ()))

    def has_domain_word(self, text: Text) -> bool:
        prefixes = tuple(self.config["prefixes"])
        return any(w in self.domain_words or (w.startswith(prefixes) and w not in self.other_words)
                   for w in words(text))

    def foreign_words(self, text: Text) -> List[Text]:
        """Words of another world: seen only outside the badge topics (« météo »,
        « loyer ») or never seen at all (« rsa »). Names written with a capital after
        the first word (« Rouen », « Facebook ») and numbers do not count: a follow-up
        names places and sites (« il y en a un à Rouen ? »)."""
        names = {w for raw in NAME.findall(text) for w in words(raw)}
        return [w for w in words(text)
                if w not in STOP and w not in names and not w.isdigit()
                and (w in self.other_words or w not in self.seen_words)]

    @staticmethod
    def says_nothing(text: Text) -> bool:
        found = words(text)
        return bool(found) and all(w in STOP or w in VAGUE for w in found)

    def process(self, messages: List[Message]) -> List[Message]:
        if not self.domain_words:
            return messages
        for message in messages:
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            text = message.get(TEXT) or ""
            follow_up = message.get(FOLLOW_UP_KEY) == "follow_up"
            if intent == self.config["out_of_scope_intent"] and self.says_nothing(text):
                pass  # « ok », « oui » alone: doubt (below), not « hors sujet »
            elif intent == DEFAULT_NLU_FALLBACK_INTENT_NAME:
                # A message that Bagou is unsure of, with words from another world and
                # none of the badge topics (« et le bus pour y aller ? »), is another
                # subject, not doubt between two badge topics.
                if not self.foreign_words(text) or (
                        not follow_up and self.has_domain_word(text)):
                    continue
            elif intent not in self.config["gated_intents"]:
                continue
            elif self.has_domain_word(text):
                continue
            # A follow-up read with the conversation (topic_classifier.py): « c'est où ? »
            # has no badge word of its own; « et la météo ? » has a word from elsewhere.
            elif follow_up and not self.foreign_words(text):
                continue
            short = (len(words(text)) <= self.config["doubt_max_words"]
                     or self.says_nothing(text))
            name = DEFAULT_NLU_FALLBACK_INTENT_NAME if short else self.config["out_of_scope_intent"]
            gated = {INTENT_NAME_KEY: name, "confidence": message.get(INTENT).get("confidence", 1.0)}
            message.set(INTENT, gated, add_to_output=True)
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or []
                       if r.get(INTENT_NAME_KEY) != gated[INTENT_NAME_KEY]]
            message.set(INTENT_RANKING_KEY, [gated, *ranking], add_to_output=True)
        return messages
