"""The gateway on its own, with no Rasa behind it: input checks, errors, health."""

import sqlite3

import pytest
from fastapi.testclient import TestClient

import bot.app
from bot.app import create_app
from bot.chat.rasa_client import RasaClient
from bot.ops.supervisor import free_port
from bot.settings import Settings
from bot.texts import all_texts, text
from tests.helpers.api import assert_error_shape


@pytest.fixture
def database(tmp_path):
    return tmp_path / "bagou.db"


@pytest.fixture
def settings(database):
    return Settings(database_url=f"sqlite:///{database}", rasa_port=free_port(),
                    actions_port=free_port(), rasa_token="t", rasa_timeout=2)


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize("body, key", [
    ({"text": ""}, "texte_vide"),
    ({"text": "   \n\t "}, "texte_vide"),
    ({}, "demande_invalide"),
    ({"text": None}, "demande_invalide"),
    ({"text": 42}, "demande_invalide"),
    ({"text": ["bonjour"]}, "demande_invalide"),
    ({"text": "bonjour", "session_id": 7}, "demande_invalide"),
    ({"text": "bonjour", "session_id": "pas-un-numero"}, "session_invalide"),
    ({"text": "bonjour", "session_id": "3f1c6a52-8a1e-4a57-9a43-6f0b6f6f6f6f"}, "session_inconnue"),
])
def test_bad_requests_get_a_french_message(client, body, key):
    response = client.post("/api/chat", json=body)
    assert response.status_code in (404, 422)
    assert_error_shape(response, response.status_code, key)


def test_too_long_message_says_the_limit(client):
    response = client.post("/api/chat", json={"text": "a" * 1001})
    assert response.status_code == 422
    assert response.json()["error"] == "texte_trop_long"
    assert "1000 signes" in response.json()["message"]


def test_a_message_of_exactly_the_limit_is_accepted(client):
    # Accepted by the checks; with no Rasa behind, the answer is the apology.
    assert client.post("/api/chat", json={"text": "a" * 1000}).status_code == 503


@pytest.mark.parametrize("raw", [b"{bad json", b"", b"\xff\xfe", b"[1, 2"])
def test_broken_json_gets_a_french_message(client, raw):
    response = client.post("/api/chat", content=raw, headers={"content-type": "application/json"})
    assert response.status_code in (400, 422)
    assert response.json()["message"] in (text("json_invalide"), text("demande_invalide"))


def test_rasa_down_gives_503_with_a_falc_apology_and_keeps_the_question(client, database):
    response = client.post("/api/chat", json={"text": "Mon e-mail : a.b@example.org"})
    assert response.status_code == 503
    body = response.json()
    assert body["replies"][0]["text"] == text("assistant_indisponible")
    assert body["session_id"]
    with sqlite3.connect(database) as db:
        rows = list(db.execute("SELECT sender, text, topic FROM chat_messages"))
    assert rows == [("user", "Mon e-mail : [e-mail masqué]", None)]


def test_health_reports_each_part(client, settings):
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "rasa": False, "actions": False,
                               "database": True, "rasa_instances": {settings.rasa_url: False}}


def test_health_with_one_rasa_instance_down_is_partial_but_still_serving(
        database, monkeypatch):
    settings = Settings(database_url=f"sqlite:///{database}", rasa_port=free_port(),
                        rasa_instances=2, actions_port=free_port(), rasa_token="t")
    up, down = settings.rasa_base_urls

    async def answers(_self, base_url):
        return base_url == up

    async def actions_answer(_url):
        return True

    monkeypatch.setattr(RasaClient, "_answers", answers)
    monkeypatch.setattr(bot.app, "_answers", actions_answer)
    with TestClient(create_app(settings)) as client:
        response = client.get("/health")
    assert response.status_code == 200  # a load balancer keeps sending people here
    assert response.json() == {"status": "partial", "rasa": True, "actions": True,
                               "database": True, "rasa_instances": {up: True, down: False}}


def test_unknown_page_is_a_french_404(client):
    assert_error_shape(client.get("/nulle-part"), 404, "page_introuvable")


def test_openapi_documents_the_chat_api(client):
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert "/api/chat" in schema["paths"] and "/health" in schema["paths"]


def test_home_page_is_the_demo_site_with_the_chat_widget(client):
    # The widget itself and its texts are tested in test_widget_api.py and test_widget.py.
    page = client.get("/")
    assert page.status_code == 200
    assert '<html lang="fr">' in page.text
    assert '<script src="/widget/bagou.js" defer></script>' in page.text
    assert "<bagou-chat" in page.text


def test_every_gateway_text_is_filled_in():
    assert all(value.strip() for value in all_texts().values())
