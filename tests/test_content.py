"""The content keeps the topic contract: one FAQ file per topic, buttons that lead
somewhere, answers short enough to read on a phone."""

import os
import re
import unicodedata
from pathlib import Path

import pytest
import yaml

from actions.plus_simple import SIMPLE_CONDITION
from bot.chat.topics import all_topics
from bot.ops import content
from bot.settings import PROJECT_ROOT

FAQ_FILES = sorted((PROJECT_ROOT / "faq").glob("*.yml"))
# An earlier version of the topic contract, topics.yml, to check that no id was renamed or
# dropped since: BAGOU_TOPIC_CONTRACT=/path/to/old-topics.yml (e.g. from `git show`).
SHARED_TOPICS = Path(os.environ.get("BAGOU_TOPIC_CONTRACT") or "/nonexistent")
DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def answered_topics() -> set[str]:
    faq = {path.stem for path in FAQ_FILES}
    dialog = {name.removeprefix("utter_") for name in DOMAIN["responses"]}
    actions = {name.removeprefix("action_") for name in DOMAIN["actions"]}
    return (faq | dialog | actions) & set(all_topics())


@pytest.mark.skipif(not SHARED_TOPICS.is_file(), reason="BAGOU_TOPIC_CONTRACT is not set")
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
    assert len(examples) >= 25
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
    # voir_plus_badges is no topic: only the « Voir plus » button of mes_badges sends it;
    # lieux_proches is the FAQ topic lieux_reconnaissance sent to its action
    # (rasa_ext/faq_actions.py).
    intents = set(DOMAIN["intents"]) - {"faq", "voir_plus_badges", "lieux_proches"}
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


def every_answer_text() -> list[tuple[str, str]]:
    texts = [(name, v.get("text", "")) for name, vs in DOMAIN["responses"].items() for v in vs]
    for path in FAQ_FILES:
        texts += [(name, v.get("text", "")) for name, vs in load(path)["responses"].items()
                  for v in vs]
    return texts


def test_no_answer_starts_with_yes_or_no():
    # Said after a wrong topic, « Oui, » or « Non, » asserts nonsense.
    starts = [name for name, text in every_answer_text()
              if re.match(r"\s*(oui|non)\b", text, re.IGNORECASE)]
    assert starts == []


@pytest.mark.parametrize("path", FAQ_FILES, ids=lambda p: p.stem)
def test_faq_file_keeps_its_dated_sources_and_who_to_ask(path):
    data = load(path)
    assert data.get("sources"), "at least one public source"
    for source in data["sources"]:
        assert content.well_formed(source["url"]), source
        assert source["title"].strip()
        assert source["checked"] is not None
    assert str(data.get("ask") or "").strip()


def test_every_link_of_the_content_is_a_well_formed_https_address():
    links = content.link_buttons(PROJECT_ROOT)
    assert len(links) >= len(FAQ_FILES) // 2  # most answers lead to a page
    assert [link for link in links if not content.well_formed(link.url)] == []


@pytest.mark.parametrize("url, ok", [
    ("https://support.openbadgepassport.com/fr/support/solutions/articles/80001139839", True),
    ("https://www.cnil.fr/fr/le-droit-leffacement-supprimer-vos-donnees-en-ligne", True),
    ("http://www.linkedin.com/", False),
    ("https://linkedin", False),
    ("https://www.linkedin .com/", False),
    ("https://user@www.example.org/", False),
    ("www.linkedin.com", False),
])
def test_a_link_is_well_formed_only_when_a_browser_can_open_it_as_is(url, ok):
    assert content.well_formed(url) is ok


def test_content_check_reports_sources_older_than_a_year(tmp_path):
    (tmp_path / "faq").mkdir()
    (tmp_path / "faq" / "vieux.yml").write_text(
        "sources:\n- url: https://www.example.org/page\n  title: Page\n  checked: 2024-01-10\n"
        "ask: Équipe contenu\n", encoding="utf-8")
    (tmp_path / "faq" / "sans.yml").write_text("ask: Équipe contenu\n", encoding="utf-8")
    lines = content.problems(tmp_path, today=__import__("datetime").date(2026, 12, 1))
    assert any("vieux.yml" in line and "plus d'un an" in line for line in lines)
    assert any("sans.yml" in line and "aucune source" in line for line in lines)
    assert content.problems(tmp_path, today=__import__("datetime").date(2024, 6, 1)) == [
        line for line in lines if "sans.yml" in line]


def test_bagou_content_check_finds_nothing_to_review_in_the_shipped_content():
    # The age of sources is the editors' yearly task (`bagou content check`), not a test's.
    assert [line for line in content.problems(PROJECT_ROOT) if "plus d'un an" not in line] == []


def test_held_out_conversations_name_topics_of_the_contract():
    # Their turns are common phrases (« j'ai pas compris », « et sur linkedin ? ») and
    # button titles, also training examples: what they measure is the flow, in context.
    for path in sorted((PROJECT_ROOT / "tests" / "nlu").glob("conversations*.yml")):
        turns = [t for s in load(path)["conversations"] for t in s["turns"]]
        assert len(turns) >= 100
        assert {t["topic"] for t in turns} <= set(all_topics()), path.name
