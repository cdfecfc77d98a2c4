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
