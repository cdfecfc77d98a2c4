"""The content keeps the topic contract: one FAQ file per topic, buttons that lead
somewhere, answers short enough to read on a phone."""

import re
import unicodedata
from pathlib import Path

import pytest
import yaml

from actions.plus_simple import SIMPLE_CONDITION
from bot.settings import PROJECT_ROOT
from bot.topics import all_topics

FAQ_FILES = sorted((PROJECT_ROOT / "faq").glob("*.yml"))
SHARED_TOPICS = PROJECT_ROOT.parent / "shared" / "faq-topics.yml"
DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def answered_topics() -> set[str]:
    faq = {path.stem for path in FAQ_FILES}
    dialog = {name.removeprefix("utter_") for name in DOMAIN["responses"]}
    actions = {name.removeprefix("action_") for name in DOMAIN["actions"]}
    return (faq | dialog | actions) & set(all_topics())


@pytest.mark.skipif(not SHARED_TOPICS.exists(), reason="shared/ is not beside this clone")
def test_every_topic_of_the_shared_contract_is_kept():
    shared = {t["id"] for t in load(SHARED_TOPICS)["topics"]}
    assert shared <= set(all_topics())


def test_at_least_eight_faq_topics_are_answered():
    assert len(FAQ_FILES) >= 8


@pytest.mark.parametrize("path", FAQ_FILES, ids=lambda p: p.stem)
def test_faq_file_is_complete(path):
    topic = all_topics()[path.stem]
    assert topic.kind == "faq"
    data = load(path)
    (intent,) = data["nlu"]
    assert intent["intent"] == f"faq/{topic.id}"
    examples = [e for e in intent["examples"].splitlines() if e.strip()]
    assert len(examples) >= 15
    assert f"- {topic.title}" in examples  # buttons send the title
    variations = data["responses"][f"utter_faq/{topic.id}"]
    (answer,) = [v for v in variations if not v.get("condition")]
    (simple,) = [v for v in variations if v.get("condition") == [SIMPLE_CONDITION]]
    for variation in (answer, simple):
        assert len(re.findall(r"[\w'’-]+", variation["text"])) <= 60
        assert "http" not in variation["text"]
    topic_buttons = [b for b in answer["buttons"] if not b["payload"].startswith("https://")]
    assert 2 <= len(topic_buttons) <= 3
    assert simple["text"] != answer["text"]


def test_every_button_names_a_topic_that_has_an_answer():
    titles = {t.title: t.id for t in all_topics().values()}
    responses = dict(DOMAIN["responses"])
    for path in FAQ_FILES:
        responses.update(load(path)["responses"])
    for name, variations in responses.items():
        for button in (b for v in variations for b in v.get("buttons", [])):
            if button["payload"].startswith("https://"):
                continue  # a link, shown as a link by the widget
            assert button["title"] == button["payload"], name
            assert titles.get(button["payload"]) in answered_topics(), (name, button)


def test_dialog_intents_are_topics():
    # voir_plus_badges is no topic: only the « Voir plus » button of mes_badges sends it.
    intents = set(DOMAIN["intents"]) - {"faq", "voir_plus_badges"}
    assert intents <= set(all_topics())


def normalised(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return " ".join(re.findall(r"\w+", "".join(c for c in text if not unicodedata.combining(c))))


def test_held_out_messages_are_never_training_examples():
    training = set()
    for path in [*FAQ_FILES, *sorted((PROJECT_ROOT / "data" / "nlu").glob("*.yml"))]:
        for item in load(path).get("nlu") or []:
            training |= {normalised(e.strip()[2:]) for e in item["examples"].splitlines() if e.strip()}
    for path in sorted((PROJECT_ROOT / "tests" / "nlu").glob("heldout*.yml")):
        held_out = load(path)["topics"]
        assert set(held_out) <= set(all_topics()), path.name
        assert [m for ms in held_out.values() for m in ms if normalised(m) in training] == []
