"""Dialog actions that offer a way forward: « Vous voulez parler de … ? » never offers an
answer that would be wrong, and a person is always reachable, with or without the
structure's contact (BAGOU_CONTACT_*)."""

import asyncio

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.incompris import ActionIncompris, closest_topics
from actions.mecontent import ActionMecontent
from actions.parler_humain import ActionParlerHumain
from bot.settings import PROJECT_ROOT, get_settings
from bot.topics import all_topics

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
HUMAN = all_topics()["parler_humain"].title
LIEUX = all_topics()["lieux_reconnaissance"].title
CALL_THE_STRUCTURE = "Appelez la structure qui vous a donné le badge."


def run(action, latest: dict | None = None) -> list[dict]:
    tracker = Tracker("s", {}, latest or {"text": "…"}, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    return dispatcher.messages


@pytest.fixture
def no_contact(monkeypatch):
    for name in ("NAME", "PHONE", "EMAIL", "URL"):
        monkeypatch.setenv(f"BAGOU_CONTACT_{name}", "")
    monkeypatch.setenv("BAGOU_DEMO_CONTACT", "false")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def contact(monkeypatch):
    monkeypatch.setenv("BAGOU_CONTACT_NAME", "Espace badges de Caen")
    monkeypatch.setenv("BAGOU_CONTACT_PHONE", "02 31 00 00 00")
    monkeypatch.setenv("BAGOU_CONTACT_EMAIL", "")
    monkeypatch.setenv("BAGOU_CONTACT_URL", "https://example.org/contact")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


UNSURE = {
    "intent": {"name": "nlu_fallback", "confidence": 0.6},
    "intent_ranking": [
        {"name": "nlu_fallback", "confidence": 0.6},
        {"name": "faq", "confidence": 0.5},
        {"name": "hors_sujet", "confidence": 0.45},
        {"name": "plus_simple", "confidence": 0.4},
        {"name": "parler_humain", "confidence": 0.35},
        {"name": "mecontent", "confidence": 0.3},
        {"name": "aide", "confidence": 0.2},
    ],
    "response_selector": {"faq": {"ranking": [
        {"intent_response_key": "faq/partager_cv", "confidence": 0.9},
        {"intent_response_key": "faq/partager_linkedin", "confidence": 0.6},
        {"intent_response_key": "faq/badge_gratuit", "confidence": 0.01},
    ]}},
}


def test_closest_topics_never_offer_off_topic_nor_the_previous_answer_again():
    assert closest_topics(UNSURE) == ["partager_cv", "partager_linkedin", "aide"]


def test_when_unsure_the_buttons_are_the_closest_topics_then_a_person():
    (message,) = run(ActionIncompris(), UNSURE)
    assert message["response"] == "utter_incompris" and message["topic"] == "incompris"
    titles = [b["title"] for b in message["buttons"]]
    topics = all_topics()
    assert titles == [topics["partager_cv"].title, topics["partager_linkedin"].title,
                      topics["aide"].title, HUMAN]
    assert all(b["payload"] == b["title"] for b in message["buttons"])
    assert topics["hors_sujet"].title not in titles and topics["plus_simple"].title not in titles


def test_when_nothing_is_close_it_asks_to_rephrase_and_offers_a_person():
    (message,) = run(ActionIncompris(), {"intent_ranking": [{"name": "nlu_fallback",
                                                             "confidence": 0.9}]})
    assert message["response"] == "utter_incompris_reformuler"
    titles = [b["title"] for b in DOMAIN["responses"]["utter_incompris_reformuler"][0]["buttons"]]
    assert HUMAN in titles and "Autre chose" not in titles


def test_parler_humain_without_a_contact_names_someone_to_call_and_the_lieux(no_contact):
    (message,) = run(ActionParlerHumain())
    assert message["topic"] == "parler_humain"
    assert CALL_THE_STRUCTURE in message["text"]
    assert "lieu de la reconnaissance" in message["text"]
    assert [b["title"] for b in message["buttons"]] == [LIEUX]


def test_parler_humain_with_a_contact_gives_it(contact):
    (message,) = run(ActionParlerHumain())
    assert "Contact : Espace badges de Caen" in message["text"]
    assert "Téléphone : 02 31 00 00 00" in message["text"]
    assert "E-mail" not in message["text"]  # not set: no empty line
    assert CALL_THE_STRUCTURE not in message["text"]
    assert message["buttons"] == [
        {"title": "Site de la structure", "payload": "https://example.org/contact"},
        {"title": LIEUX, "payload": LIEUX}]


def test_mecontent_apologises_and_offers_a_person(no_contact):
    (message,) = run(ActionMecontent())
    assert message["topic"] == "mecontent"
    assert message["text"].startswith(DOMAIN["responses"]["utter_mecontent"][0]["text"])
    assert "désolé" in message["text"] and CALL_THE_STRUCTURE in message["text"]
    assert [b["title"] for b in message["buttons"]] == [HUMAN, all_topics()["aide"].title]


def test_mecontent_gives_the_structure_contact_when_it_is_set(contact):
    (message,) = run(ActionMecontent())
    assert "Téléphone : 02 31 00 00 00" in message["text"]
    assert CALL_THE_STRUCTURE not in message["text"]
    assert [b["title"] for b in message["buttons"]] == [
        "Site de la structure", HUMAN, all_topics()["aide"].title]
