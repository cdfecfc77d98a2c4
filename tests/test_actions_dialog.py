"""Dialog actions that offer a way forward: « Vous voulez parler de … ? » never offers an
answer that would be wrong, and a person is always reachable, with or without the
structure's contact (BAGOU_CONTACT_*)."""

import asyncio

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.incompris import HUMAN as HUMAN_ID
from actions.incompris import NOT_OFFERED, ActionIncompris, choice_button, closest_topics
from actions.mecontent import ActionMecontent
from actions.parler_humain import ActionParlerHumain
from bot.chat.topics import all_topics
from bot.settings import PROJECT_ROOT

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
HUMAN = all_topics()["parler_humain"].title
LIEUX = all_topics()["lieux_reconnaissance"].title
CALL_THE_STRUCTURE = "Appelez la structure qui vous a donné le badge."


def run(action, latest: dict | None = None, identity: dict | None = None) -> list[dict]:
    latest = dict(latest or {"text": "…"})
    if identity:
        latest["metadata"] = {"identity": identity}
    tracker = Tracker("s", {}, latest, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    return dispatcher.messages


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
    # A FAQ topic sends its title (a training example of it); the others, their intent.
    assert [b["payload"] for b in message["buttons"]] == [
        topics["partager_cv"].title, topics["partager_linkedin"].title, "/aide", "/parler_humain"]
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


# --- « Vous voulez parler de … ? »: 2 or 3 topics, a person, nothing personal to strangers

PERSONAL_TITLES = {all_topics()[t].title for t in ("mes_badges", "badges_suivants",
                                                  "qui_a_vu_mes_badges")}
LEARNER = {"kind": "learner", "email": "lea.martin@example.org"}
ADVISER = {"kind": "adviser", "email": "conseil@example.org"}

# « et mes badges alors » from someone unknown: the learner's badges come first.
ABOUT_MY_BADGES = {
    "intent": {"name": "nlu_fallback", "confidence": 0.7},
    "intent_ranking": [
        {"name": "nlu_fallback", "confidence": 0.7},
        {"name": "faq", "confidence": 0.3},
        {"name": "mes_badges", "confidence": 0.35},
        {"name": "qui_a_vu_mes_badges", "confidence": 0.2},
        {"name": "badges_suivants", "confidence": 0.15},
    ],
    "response_selector": {"faq": {"ranking": [
        {"intent_response_key": "faq/sac_a_badges", "confidence": 0.6},
        {"intent_response_key": "faq/badge_introuvable", "confidence": 0.2},
        {"intent_response_key": "faq/partager_badge", "confidence": 0.1},
    ]}},
}


def titles_of(message: dict) -> list[str]:
    return [b["title"] for b in message["buttons"]]


def test_an_anonymous_person_is_never_offered_their_badges():
    (message,) = run(ActionIncompris(), ABOUT_MY_BADGES)
    titles = titles_of(message)
    assert not PERSONAL_TITLES & set(titles)
    topics = all_topics()
    # Still 2 closest topics (the second fills in below the noise level), then a person.
    assert titles == [topics["sac_a_badges"].title, topics["badge_introuvable"].title, HUMAN]


def test_without_identity_in_the_metadata_the_person_is_anonymous():
    (message,) = run(ActionIncompris(), {**ABOUT_MY_BADGES, "metadata": {"identity": {
        "kind": "someone"}}})
    assert not PERSONAL_TITLES & set(titles_of(message))


@pytest.mark.parametrize("identity", [LEARNER, ADVISER])
def test_a_known_person_may_be_offered_their_badges(identity):
    (message,) = run(ActionIncompris(), ABOUT_MY_BADGES, identity)
    topics = all_topics()
    assert titles_of(message) == [topics["mes_badges"].title, topics["qui_a_vu_mes_badges"].title,
                                  topics["sac_a_badges"].title, HUMAN]
    assert [b["payload"] for b in message["buttons"][:2]] == ["/mes_badges",
                                                              "/qui_a_vu_mes_badges"]


def test_one_likely_topic_still_comes_with_a_second_one():
    parse = {"intent_ranking": [{"name": "nlu_fallback", "confidence": 0.8},
                                {"name": "faq", "confidence": 0.25}],
             "response_selector": {"faq": {"ranking": [
                 {"intent_response_key": "faq/badge_gratuit", "confidence": 0.9},
                 {"intent_response_key": "faq/cout_structure", "confidence": 0.08}]}}}
    assert closest_topics(parse) == ["badge_gratuit", "cout_structure"]


def test_at_most_three_topics_are_offered():
    parse = {"intent_ranking": [{"name": "nlu_fallback", "confidence": 0.5},
                                {"name": "faq", "confidence": 1.0}],
             "response_selector": {"faq": {"ranking": [
                 {"intent_response_key": f"faq/{t}", "confidence": 0.2}
                 for t in ("partager_badge", "partager_cv", "partager_linkedin",
                           "partager_reseaux", "partager_parcoursup")]}}}
    (message,) = run(ActionIncompris(), parse)
    assert len(message["buttons"]) == 4 and titles_of(message)[-1] == HUMAN


def test_no_button_of_incompris_goes_through_the_classifier_to_an_unknown_place():
    """Every topic incompris may offer leads to its answer without guessing: a FAQ topic
    sends its title, which is one of its training examples; any other topic sends an
    intent of the domain that a rule answers. Nothing leads to « hors sujet »."""
    rules = yaml.safe_load((PROJECT_ROOT / "data" / "stories" / "rules.yml").read_text())
    ruled = {step["intent"] for rule in rules["rules"] for step in rule["steps"]
             if "intent" in step}
    offered = [t for t in all_topics().values() if t.id not in NOT_OFFERED] + [
        all_topics()[HUMAN_ID]]
    for topic in offered:
        button = choice_button(topic.id)
        assert button["title"] == topic.title
        if topic.kind == "faq":
            examples = yaml.safe_load((PROJECT_ROOT / "faq" / f"{topic.id}.yml").read_text())[
                "nlu"][0]["examples"]
            assert f"- {topic.title}\n" in examples, topic.id
            assert button["payload"] == topic.title
        else:
            assert button["payload"] == f"/{topic.id}"
            assert topic.id in DOMAIN["intents"] and topic.id in ruled, topic.id
    assert "hors_sujet" in NOT_OFFERED and "incompris" in NOT_OFFERED
