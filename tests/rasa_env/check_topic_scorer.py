"""Run with Rasa's Python (tests/test_topic_classifier.py): trains the topic classifier
on a quarter of the project's NLU data and checks that its fast scorer gives scikit-learn's own
probabilities on training and held-out messages. Prints one JSON line."""

import json
import sys
from pathlib import Path

import numpy as np
import yaml
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.importers.rasa import RasaFileImporter
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_ext.topic_classifier import TopicClassifier

root, work = Path(sys.argv[1]), Path(sys.argv[2])
data = RasaFileImporter(training_data_paths=[str(root / "data" / "nlu")]).get_nlu_data()
# One example in four: enough labels and features, and a few seconds of training.
data = TrainingData(data.intent_examples[::4])
work.mkdir(parents=True, exist_ok=True)
component = TopicClassifier(TopicClassifier.get_default_config(), LocalModelStorage(work),
                            Resource("topics"))
component.train(data)

held_out = yaml.safe_load((root / "tests" / "nlu" / "heldout.yml").read_text(encoding="utf-8"))
texts = [t for examples in held_out.values() if isinstance(examples, dict)
         for topic in examples.values() for t in topic][:300]
texts += ["", "🎓", "xkcd", "C KOI UN BADGE ???", "badge " * 200]
messages = [Message.build(text=t) for t in texts]
fast, fast_outside = component._predict(messages)
inputs = component._inputs(messages)
classifier = component.model["classifier"]
features = component._features(inputs, component.model["vectorizers"])
reference = classifier.predict_proba(features)
# The boundary model (« badges or not ») is scored in the same pass.
reference_outside = component.model["boundary"].predict_proba(features)[:, 1]
component.process(messages)
print(json.dumps({
    "messages": len(texts),
    "max_difference": float(np.abs(fast - reference).max()),
    "max_boundary_difference": float(np.abs(fast_outside - reference_outside).max()),
    "same_best": int((fast.argmax(axis=1) == reference.argmax(axis=1)).sum()),
    "with_intent": sum(bool(m.get("intent", {}).get("name")) for m in messages),
}))
