"""The gateway's badge check without Rasa: /api/verify, /api/verify/upload, a link typed in
the chat, the conversation's history, and the FALC answers."""

import json
import sqlite3
import time

import jwt
import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.ops.supervisor import free_port
from bot.settings import Settings
from bot.texts import text
from bot.verify.answer import texts
from tests.helpers import badges
from tests.helpers.badges import LEARNER, BadgeServer

SITE, SECRET = "site-de-test", "secret-du-site-de-test-0123456789abcdef"


@pytest.fixture
def database(tmp_path):
    return tmp_path / "bagou.db"


@pytest.fixture
def client(database):
    settings = Settings(database_url=f"sqlite:///{database}", rasa_port=free_port(),
                        actions_port=free_port(), rasa_token="t", rasa_timeout=2,
                        verify_allow_loopback=True, verify_max_upload_bytes=50_000,
                        site_secrets={SITE: SECRET})
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def server():
    with BadgeServer() as running:
        yield running


def learner_token(email=LEARNER) -> str:
    return jwt.encode({"iss": SITE, "email": email, "name": "Léa Martin",
                       "exp": int(time.time()) + 600}, SECRET, algorithm="HS256")


def statuses():
    return texts()["statuts"]


def test_verify_a_link_answers_like_the_chat(client, server):
    url = badges.ob2_hosted(server)
    response = client.post("/api/verify", json={"url": url})
    assert response.status_code == 200
    body = response.json()
    assert body["topic"] == "verifier_badge"
    # What the check proves: the site it comes from, unchanged, valid today; never
    # « ce badge est vrai ».
    assert body["replies"][0]["text"] == (
        f"Ce badge vient bien du site 127.0.0.1.\n{statuses()['valid']}")
    details = body["replies"][1]
    assert "Badge : Accueil du public." in details["text"]
    assert "Donné par : Espace badges de Caen." in details["text"]
    assert "Date : lundi 7 juillet 2025." in details["text"]
    assert "Donné à" not in details["text"]  # anonymous: nothing said about the recipient
    assert details["text"].endswith(texts()["details"]["conseil"])
    assert {"title": "Voir le badge", "url": url} in details["links"]
    assert details["buttons"][0]["title"] == texts()["boutons"]["autre_badge"]


def test_identified_learner_hears_that_the_badge_is_hers(client, server):
    url = badges.ob2_hosted(server)
    body = client.post("/api/verify", json={"url": url, "site_token": learner_token()}).json()
    assert "Donné à : vous." in body["replies"][1]["text"]
    other = client.post("/api/verify", json={"url": url, "session_id": body["session_id"],
                                              "site_token": learner_token("sam@example.org")})
    assert texts()["details"]["pas_a_vous"] in other.json()["replies"][1]["text"]


def test_a_pasted_credential_and_a_jws(client):
    credential = badges.ob3_signed(badges.ed25519_key(), valid_until=badges.past())
    body = client.post("/api/verify", json={"credential": credential}).json()
    assert statuses()["expired"] in body["replies"][0]["text"]
    token = badges.ob3_jwt(badges.ed25519_key())
    body = client.post("/api/verify", json={"credential": token}).json()
    assert statuses()["valid"] in body["replies"][0]["text"]
    body = client.post("/api/verify", json={"credential": "n'importe quoi"}).json()
    assert statuses()["not_a_badge"] in body["replies"][0]["text"]


def test_bad_requests(client):
    assert client.post("/api/verify", json={}).status_code == 422
    assert client.post("/api/verify", json={"url": "https://x.org", "credential": "y"}).status_code == 422
    assert client.post("/api/verify/upload", data={"session_id": "x"}).status_code == 422
    assert client.post("/api/verify/upload", json={"file": "x"}).status_code == 422


def test_upload_a_baked_png_is_checked_and_not_kept(client, server, database):
    url = badges.ob2_hosted(server, revocation_list=True)
    image = badges.png(url)
    response = client.post("/api/verify/upload", files={"file": ("badge.png", image, "image/png")})
    assert response.status_code == 200
    body = response.json()
    assert body["topic"] == "verifier_badge"
    assert statuses()["revoked"] in body["replies"][0]["text"]
    history = client.get(f"/api/chat/{body['session_id']}/history").json()["messages"]
    assert history[0] == {**history[0], "sender": "user", "text": "Une image de badge"}
    assert [m["sender"] for m in history] == ["user", "bot", "bot"]
    with sqlite3.connect(database) as db:
        said = [row[0] for row in db.execute(
            "SELECT text FROM chat_messages WHERE sender = 'user'")]
        stored = " ".join(str(row) for row in db.execute("SELECT * FROM chat_messages"))
    # The person's side keeps a few words; the image (and what is baked in it) is gone.
    assert said == ["Une image de badge"]
    assert "iTXt" not in stored and "openbadges" not in stored


def test_upload_continues_a_conversation(client):
    first = client.post("/api/verify", json={"credential": "rien"}).json()
    credential = badges.ob3_signed(badges.ed25519_key())
    response = client.post("/api/verify/upload", data={"session_id": first["session_id"]},
                           files={"file": ("b.svg", badges.svg(json.dumps(credential), version=3),
                                           "image/svg+xml")})
    assert response.json()["session_id"] == first["session_id"]
    assert statuses()["valid"] in response.json()["replies"][0]["text"]
    history = client.get(f"/api/chat/{first['session_id']}/history").json()["messages"]
    assert [m["text"] for m in history if m["sender"] == "user"] == [
        "Un badge en texte", "Une image de badge"]


def test_upload_of_another_kind_of_file_is_not_a_badge(client):
    # Declared as a PNG, but its bytes are a GIF: the bytes decide.
    response = client.post("/api/verify/upload",
                           files={"file": ("x.png", b"GIF89a\x01\x00\x01\x00", "image/png")})
    assert response.status_code == 200
    text = response.json()["replies"][0]["text"]
    assert text.startswith(statuses()["not_a_badge"])
    assert texts()["raisons"]["format_inconnu"] in text


def test_oversized_upload_is_refused(client):
    big = badges.png("x" * 60_000)
    response = client.post("/api/verify/upload", files={"file": ("b.png", big, "image/png")})
    assert response.status_code == 413
    assert response.json()["error"] == "fichier_trop_gros"


def test_upload_from_another_site_is_refused(client):
    # A form needs no CORS check in a browser: the gateway checks where it comes from.
    image = badges.png("https://example.org/badge")
    refused = client.post("/api/verify/upload", files={"file": ("b.png", image, "image/png")},
                          headers={"Origin": "https://pirate.example"})
    assert refused.status_code == 403
    # Said so in FALC, not « Cette demande est incomplète ».
    assert refused.json()["error"] == "site_non_autorise"
    assert refused.json()["message"] == text("site_non_autorise")
    assert "accord" in refused.json()["replies"][0]["text"]
    own = client.post("/api/verify/upload", files={"file": ("b.png", badges.png(), "image/png")},
                      headers={"Origin": "http://testserver"})
    assert own.status_code == 200


def test_private_address_link_is_refused_with_a_reason(client):
    body = client.post("/api/verify", json={"url": "http://192.168.1.1/badge.json"}).json()
    assert body["replies"][0]["text"] == (
        f"{statuses()['unverifiable']}\n{texts()['raisons']['lien_interdit']}")


def test_a_link_typed_in_the_chat_is_checked_without_rasa(client, server):
    # No Rasa runs behind this gateway: a question would get 503; a link gets checked.
    url = badges.ob2_hosted(server, expires=badges.past())
    response = client.post("/api/chat", json={"text": f"Est-ce que ce badge est vrai ? {url}"})
    assert response.status_code == 200
    body = response.json()
    assert body["topic"] == "verifier_badge"
    assert statuses()["expired"] in body["replies"][0]["text"]
    assert client.post("/api/chat", json={"text": "Bonjour"}).status_code == 503


def test_a_long_credential_pasted_in_the_chat_is_checked(client):
    credential = json.dumps(badges.ob3_signed(badges.ed25519_key()))
    assert len(credential) > 1000
    response = client.post("/api/chat", json={"text": credential})
    assert response.status_code == 200
    assert statuses()["valid"] in response.json()["replies"][0]["text"]
    history = client.get(f"/api/chat/{response.json()['session_id']}/history").json()
    assert history["messages"][0]["text"] == "Un badge en texte"
