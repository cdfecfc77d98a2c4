"""A follow-up is read with the conversation: the gateway passes the subject of the last
answers to Rasa (bot/chat/topics.py conversation_context), from its own database, so that it
holds across a restart of Rasa and across several Rasa processes."""

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.chat.rasa_client import RasaClient
from bot.chat.topics import conversation_context
from bot.ops.supervisor import free_port
from bot.settings import Settings


def test_no_context_at_the_start_of_a_conversation():
    assert conversation_context([], "et sur LinkedIn ?") == {}


def test_the_subject_is_the_last_badge_topic_with_its_title_and_words():
    previous = [("merci", "merci"), ("comment je partage mon badge", "partager_badge")]
    assert conversation_context(previous, "et sur LinkedIn ?") == {
        "topic": "partager_badge", "title": "Comment partager un badge ?",
        "text": "comment je partage mon badge"}


@pytest.mark.parametrize("between", ["plus_simple", "definition_mot", "hors_sujet", "incompris"])
def test_not_understood_or_a_word_explained_keeps_the_subject_before(between):
    previous = [("c'est quoi ce mot", between), ("badge linkedin", "partager_linkedin")]
    assert conversation_context(previous, "et sur facebook ?")["topic"] == "partager_linkedin"


def test_right_after_the_simpler_answer_the_classifier_is_told_so():
    previous = [("j'ai pas compris", "plus_simple"), ("badge linkedin", "partager_linkedin")]
    assert conversation_context(previous, "toujours pas")["not_understood"] is True
    assert "not_understood" not in conversation_context(previous[1:], "toujours pas")


def test_the_same_question_again_after_an_answer_is_a_repeat():
    previous = [("comment avoir un badge", "obtenir_badge")]
    assert conversation_context(previous, "Comment avoir un badge ?")["repeat"] is True
    assert "repeat" not in conversation_context(previous, "comment avoir un badge vite")


@pytest.mark.parametrize("text, topic", [("merci", "merci"), ("bonjour", "bonjour"),
                                         ("/voir_plus_badges", "mes_badges")])
def test_saying_thanks_twice_or_pressing_a_payload_button_again_is_no_repeat(text, topic):
    assert "repeat" not in conversation_context([(text, topic)], text)


@pytest.fixture
def client(tmp_path, monkeypatch):
    sent = []

    async def send(self, sender, text, metadata):
        sent.append(metadata)
        topic = "partager_badge" if "partage" in text else "partager_linkedin"
        return [{"recipient_id": sender, "text": "Réponse.", "utter_action": f"utter_faq/{topic}"}]

    monkeypatch.setattr(RasaClient, "send", send)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'bagou.db'}", rasa_port=free_port(),
                        actions_port=free_port(), rasa_token="t", rasa_timeout=2)
    with TestClient(create_app(settings)) as client:
        yield client, sent


def test_the_gateway_passes_the_subject_of_the_conversation_to_rasa(client):
    client, sent = client
    first = client.post("/api/chat", json={"text": "comment je partage mon badge"}).json()
    assert sent[-1]["context"] == {}
    client.post("/api/chat", json={"text": "et sur LinkedIn ?", "session_id": first["session_id"]})
    assert sent[-1]["context"]["topic"] == "partager_badge"
    assert sent[-1]["context"]["text"] == "comment je partage mon badge"
    assert sent[-1]["identity"]["kind"] == "anonymous"
    client.post("/api/chat", json={"text": "et sur Facebook ?", "session_id": first["session_id"]})
    assert sent[-1]["context"]["topic"] == "partager_linkedin"
