"""Small pure pieces: personal-data masking, topic of a Rasa reply, closest topics."""

import pytest

from actions.incompris import closest_topics
from bot.privacy import mask_personal_data
from bot.topics import topic_of_turn


@pytest.mark.parametrize("raw, stored", [
    ("écrivez à jean.dupont+badges@exemple.fr svp", "écrivez à [e-mail masqué] svp"),
    ("mon numéro 06 12 34 56 78", "mon numéro [téléphone masqué]"),
    ("appelez le +33 6 12 34 56 78", "appelez le [téléphone masqué]"),
    ("j'ai eu 3 badges en 2024", "j'ai eu 3 badges en 2024"),
    ("rendez-vous le 12 03 2025", "rendez-vous le 12 03 2025"),
])
def test_personal_data_is_masked(raw, stored):
    assert mask_personal_data(raw) == stored


@pytest.mark.parametrize("messages, topic", [
    ([{"text": "…", "utter_action": "utter_faq/partager_cv"}], "partager_cv"),
    ([{"text": "…", "utter_action": "utter_bonjour"}], "bonjour"),
    ([{"text": "…", "utter_action": "utter_incompris", "topic": "incompris"}], "incompris"),
    ([{"text": "…", "utter_action": "utter_aide_conseiller", "topic": "aide"}], "aide"),
    # A response that names no topic of the contract: the assistant did not understand.
    ([{"text": "…", "utter_action": "utter_default"}], "incompris"),
    ([{"text": "a", "utter_action": "utter_bonjour"}, {"text": "b"}], "bonjour"),
])
def test_topic_of_a_rasa_reply(messages, topic):
    assert topic_of_turn(messages) == topic


def test_closest_topics_prefer_likely_faq_answers_and_skip_noise():
    parse = {
        "intent_ranking": [
            {"name": "nlu_fallback", "confidence": 0.6},
            {"name": "faq", "confidence": 0.5},
            {"name": "aide", "confidence": 0.3},
            {"name": "merci", "confidence": 0.2},
        ],
        "response_selector": {"faq": {"ranking": [
            {"intent_response_key": "faq/partager_cv", "confidence": 0.8},
            {"intent_response_key": "faq/partager_linkedin", "confidence": 0.15},
            {"intent_response_key": "faq/badge_gratuit", "confidence": 0.05},
        ]}},
    }
    assert closest_topics(parse) == ["partager_cv", "aide"]


def test_plus_simple_finds_the_simpler_version_of_the_last_answer():
    from rasa_sdk import Tracker

    from actions.plus_simple import SIMPLE_CONDITION, last_response_name, simple_version

    events = [
        {"event": "bot", "text": "a", "metadata": {"utter_action": "utter_faq/partager_cv"}},
        {"event": "user", "text": "j'ai pas compris"},
        {"event": "bot", "text": "b", "metadata": {}},  # a custom action's message
    ]
    tracker = Tracker("s", {}, {}, events, False, None, {}, "action_listen")
    assert last_response_name(tracker) == "utter_faq/partager_cv"
    domain = {"responses": {"utter_faq/partager_cv": [
        {"text": "usual"}, {"text": "simple", "condition": [SIMPLE_CONDITION]}]}}
    assert simple_version(domain, "utter_faq/partager_cv")["text"] == "simple"
    assert simple_version(domain, "utter_bonjour") is None


def test_a_button_with_a_web_address_becomes_a_link():
    from bot.chat import to_reply

    reply = to_reply({"text": "t", "buttons": [
        {"title": "Site LinkedIn", "payload": "https://www.linkedin.com/"},
        {"title": "Mettre mes badges dans mon CV", "payload": "Mettre mes badges dans mon CV"}]})
    assert [l.url for l in reply.links] == ["https://www.linkedin.com/"]
    assert [b.title for b in reply.buttons] == ["Mettre mes badges dans mon CV"]


def test_dates_are_written_in_full_as_people_read_them():
    from datetime import date

    from actions.wording import french_date
    assert french_date(date(2026, 3, 1)) == "1er mars 2026"
    assert french_date(date(2024, 8, 14)) == "14 août 2024"
    assert french_date(date(2025, 12, 31)) == "31 décembre 2025"
