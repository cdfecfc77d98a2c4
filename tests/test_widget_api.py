"""What the chat widget needs from the gateway, without Rasa: history, feedback, CORS,
the widget's files and texts, the demo site and its Content-Security-Policy.

Rasa is replaced here by canned answers (RasaClient.send); tests/test_widget.py uses
the real product in a real browser."""

import re
import sqlite3

import pytest
import yaml
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.chat.rasa_client import RasaClient
from bot.ops.supervisor import free_port
from bot.settings import PROJECT_ROOT, Settings
from bot.texts import text
from tests.helpers.api import assert_error_shape

WIDGET = PROJECT_ROOT / "widget"
WIDGET_TEXTS = PROJECT_ROOT / "texts" / "widget.yml"
SITE = "http://127.0.0.1:8123"

# What Rasa's channel gives for « c'est quoi un badge ? »: a FAQ answer with a follow-up
# button, a command button (payload « /… ») and a link.
FAQ_ANSWER = [{
    "recipient_id": "x", "utter_action": "utter_faq/badge_definition",
    "text": "Un **Open Badge** est une image numérique.\nIl montre une compétence.",
    "buttons": [
        {"title": "Que contient un badge ?", "payload": "Que contient un badge ?"},
        {"title": "Voir plus de badges", "payload": "/voir_plus_badges"},
        {"title": "Open Badge Passport", "payload": "https://openbadgepassport.com"},
    ],
}]


@pytest.fixture
def database(tmp_path):
    return tmp_path / "bagou.db"


def make_client(database, **settings):
    values = dict(database_url=f"sqlite:///{database}", rasa_port=free_port(),
                  actions_port=free_port(), rasa_token="t", rasa_timeout=2)
    values.update(settings)
    return TestClient(create_app(Settings(**values)), raise_server_exceptions=False)


@pytest.fixture
def client(database, monkeypatch):
    async def rasa(_self, _sender, _text, _metadata):
        return FAQ_ANSWER

    monkeypatch.setattr(RasaClient, "send", rasa)
    with make_client(database, allowed_origins=f"{SITE}, https://autre-site.example/") as client:
        yield client


# --- history ----------------------------------------------------------------------

def test_each_answer_has_an_id_and_the_history_gives_the_conversation_back(client):
    first = client.post("/api/chat", json={"text": "Mon e-mail est lea@example.org"}).json()
    session = first["session_id"]
    assert isinstance(first["replies"][0]["id"], int)
    client.post("/api/chat", json={"text": "/voir_plus_badges", "session_id": session})

    response = client.get(f"/api/chat/{session}/history")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"  # personal: never cached
    history = response.json()
    assert history["session_id"] == session
    said = [(m["sender"], m["text"]) for m in history["messages"]]
    assert said == [
        ("user", "Mon e-mail est [e-mail masqué]"),  # stored masked, given back masked
        ("bot", FAQ_ANSWER[0]["text"]),
        ("user", "Voir plus de badges"),  # the title of the chosen button, not « /… »
        ("bot", FAQ_ANSWER[0]["text"]),
    ]
    answer = history["messages"][1]
    assert answer["id"] == first["replies"][0]["id"]
    assert answer["topic"] == "badge_definition"
    assert [b["title"] for b in answer["buttons"]] == ["Que contient un badge ?", "Voir plus de badges"]
    assert answer["links"] == [{"title": "Open Badge Passport", "url": "https://openbadgepassport.com"}]
    assert answer["feedback"] is None


@pytest.mark.parametrize("session, status, key", [
    ("pas-une-conversation", 422, "session_invalide"),
    ("3f1c6a52-8a1e-4a57-9a43-6f0b6f6f6f6f", 404, "session_inconnue"),
])
def test_history_of_a_wrong_conversation_gets_a_french_error(client, session, status, key):
    assert_error_shape(client.get(f"/api/chat/{session}/history"), status, key)


# --- feedback ---------------------------------------------------------------------

def test_a_thumb_is_stored_with_the_topic_and_a_new_one_replaces_it(client, database):
    answer = client.post("/api/chat", json={"text": "c'est quoi un badge ?"}).json()
    session, message = answer["session_id"], answer["replies"][0]["id"]

    up = client.post("/api/feedback", json={"session_id": session, "message_id": message, "value": "up"})
    assert up.status_code == 200
    assert up.json() == {"session_id": session, "message_id": message, "value": "up",
                         "topic": "badge_definition"}
    down = client.post("/api/feedback", json={"session_id": session, "message_id": message, "value": "down"})
    assert down.json()["value"] == "down"

    with sqlite3.connect(database) as db:
        rows = list(db.execute("SELECT session_id, message_id, value, topic FROM chat_feedback"))
    assert rows == [(session, message, "down", "badge_definition")]
    history = client.get(f"/api/chat/{session}/history").json()["messages"]
    assert [m["feedback"] for m in history] == [None, "down"]


def test_feedback_on_a_wrong_message_gets_a_french_error(client):
    mine = client.post("/api/chat", json={"text": "bonjour"}).json()
    other = client.post("/api/chat", json={"text": "bonjour"}).json()
    session, answer = mine["session_id"], mine["replies"][0]["id"]
    question = answer - 1  # the person's own message, stored just before the answer

    def feedback(**body):
        return client.post("/api/feedback", json={"session_id": session, "message_id": answer,
                                                  "value": "up", **body})

    assert_error_shape(feedback(message_id=other["replies"][0]["id"]), 404, "message_inconnu")
    assert_error_shape(feedback(message_id=question), 404, "message_inconnu")
    assert_error_shape(feedback(message_id=999999), 404, "message_inconnu")
    assert_error_shape(feedback(session_id="3f1c6a52-8a1e-4a57-9a43-6f0b6f6f6f6f"), 404,
                        "session_inconnue")
    assert_error_shape(feedback(session_id="nope"), 422, "session_invalide")
    assert_error_shape(feedback(value="bof"), 422, "demande_invalide")
    assert_error_shape(client.post("/api/feedback", json={"session_id": session}), 422,
                        "demande_invalide")


# --- CORS: only the sites of BAGOU_ALLOWED_ORIGINS --------------------------------

def preflight(client, origin, path="/api/chat"):
    return client.options(path, headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})


def test_an_allowed_site_may_call_the_api_from_its_pages(client):
    for origin in (SITE, "https://autre-site.example"):  # spaces and « / » are tolerated
        assert preflight(client, origin).headers.get("access-control-allow-origin") == origin
    answer = client.post("/api/chat", json={"text": "bonjour"}, headers={"Origin": SITE})
    assert answer.headers["access-control-allow-origin"] == SITE
    session = answer.json()["session_id"]
    history = client.get(f"/api/chat/{session}/history", headers={"Origin": SITE})
    assert history.headers["access-control-allow-origin"] == SITE
    texts = client.get("/widget/texts.json", headers={"Origin": SITE})
    assert texts.headers["access-control-allow-origin"] == SITE
    # Errors too, so that the widget can show their French message.
    error = client.post("/api/chat", json={"text": ""}, headers={"Origin": SITE})
    assert error.status_code == 422 and error.headers["access-control-allow-origin"] == SITE


def test_another_site_may_not(client):
    assert "access-control-allow-origin" not in preflight(client, "http://127.0.0.1:9").headers
    answer = client.post("/api/chat", json={"text": "bonjour"}, headers={"Origin": "https://pirate.example"})
    assert "access-control-allow-origin" not in answer.headers
    # Without a preflight, a page can only send text/plain: the API refuses it, so no
    # site can make its visitors' browsers talk to Bagou.
    simple = client.post("/api/chat", content=b'{"text": "bonjour"}',
                         headers={"Origin": "https://pirate.example", "Content-Type": "text/plain"})
    assert simple.status_code == 422


def test_no_allowed_origins_means_no_cross_origin_at_all(database):
    with make_client(database) as client:
        assert "access-control-allow-origin" not in preflight(client, SITE).headers
        # The gateway's own pages need no CORS.
        assert client.get("/widget/bagou.js").status_code == 200


def test_allowed_origins_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("BAGOU_ALLOWED_ORIGINS", " https://a.example/ ,http://127.0.0.1:8080,, ")
    assert Settings().allowed_origins == ["https://a.example", "http://127.0.0.1:8080"]


# --- the widget's files and texts -------------------------------------------------

@pytest.mark.parametrize("path, media_type", [
    ("/widget/bagou.js", "text/javascript; charset=utf-8"),
    ("/widget/bagou.css", "text/css; charset=utf-8"),
    ("/widget/texts.json", "application/json"),
])
def test_widget_files_have_their_type_and_cache_headers(client, path, media_type):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.headers["cache-control"] == "public, max-age=600"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    again = client.get(path, headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


@pytest.mark.parametrize("path", ["/widget/README.md", "/widget/texts.yml", "/widget/../bot/settings.py",
                                  "/site/../widget.py"])
def test_only_the_widget_files_are_served(client, path):
    assert client.get(path).status_code == 404


def test_texts_json_has_every_text_that_the_script_uses(client):
    served = client.get("/widget/texts.json").json()
    assert served["lang"] == "fr" and served["max_message_chars"] == 1000
    script = (WIDGET / "bagou.js").read_text(encoding="utf-8")
    used = set(re.findall(r"\bt\.([a-z_]+)", script))  # t.envoyer, this.t.ecrit
    used |= set(re.findall(r"\b(vitesse_[a-z]+):", script))
    assert used and used <= set(served["texts"]), used - set(served["texts"])
    assert served["texts"]["texte_trop_long"] == text("texte_trop_long", max=1000)
    assert served["texts"]["serveur_injoignable"] == text("serveur_injoignable")
    assert served["texts"]["envoyer"] == "Envoyer" and served["texts"]["ecouter"] == "Écouter"
    suggestions = yaml.safe_load(WIDGET_TEXTS.read_text())["suggestions"]
    assert [{"title": s["title"], "payload": s["payload"]} for s in served["suggestions"]] == [
        {"title": s, "payload": s} for s in suggestions]
    # Each theme button has its pictogram (tests/test_widget_pictograms.py checks them).
    assert all(s["pictogram"] for s in served["suggestions"])


def code_without_comments(path) -> str:
    code = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)
    return "\n".join(line for line in code.splitlines() if not line.strip().startswith("//"))


def test_the_script_holds_no_french_and_nothing_that_a_strict_csp_forbids():
    code = code_without_comments(WIDGET / "bagou.js")
    for forbidden in ("eval(", "new Function", "innerHTML", "outerHTML", "insertAdjacentHTML",
                      "document.write", "setAttribute(\"style\"", ".style.", "javascript:"):
        assert forbidden not in code, forbidden
    # Every French text comes from texts.json (checked for FALC); the code holds none.
    strings = re.findall(r'"([^"\n]*)"|`([^`]*)`', code)
    accented = [s for pair in strings for s in pair if re.search(r"[À-ÿ]", s)]
    assert not accented, accented
    for value in yaml.safe_load(WIDGET_TEXTS.read_text())["labels"].values():
        assert f'"{value}"' not in code


def test_widget_texts_are_checked_for_falc():
    from falc.checker import check
    from falc.report import render
    from falc.texts import SAMPLE_NUMBER, gather

    widget = [t for t in gather() if t.origin.startswith("texts/widget.yml")]
    labels = yaml.safe_load(WIDGET_TEXTS.read_text())
    # Placeholders ({duree}, {telephone} of the first message) are read with a sample.
    messages = {re.sub(r"\{[a-z]+\}", SAMPLE_NUMBER, v) for v in labels["messages"].values()}
    assert {t.text for t in widget} >= messages - {""}
    results = check(widget)
    assert not [r for r in results if r.failed], render(results)


# --- the demo site ----------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/ateliers"])
def test_demo_pages_embed_the_widget_as_a_site_would_under_a_strict_csp(client, path):
    page = client.get(path)
    assert page.status_code == 200
    assert '<html lang="fr">' in page.text
    assert '<script src="/widget/bagou.js" defer></script>' in page.text
    assert "<bagou-chat" in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "object-src 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    # Nothing inline that the policy would block.
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text)
    assert "<style" not in page.text and " style=" not in page.text
    assert not re.search(r"\son[a-z]+=", page.text)


def test_demo_site_files(client):
    assert client.get("/site/site.css").headers["content-type"] == "text/css; charset=utf-8"
    assert client.get("/site/logo.svg").headers["content-type"] == "image/svg+xml"
    assert_error_shape(client.get("/site/inconnu.css"), 404, "page_introuvable")


# --- database ---------------------------------------------------------------------

def test_widget_tables_match_the_migration(client, database):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine

    from bot.db.models import Base

    engine = create_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert not [d for d in diff if "chat_feedback" in repr(d) or "chat_messages" in repr(d)], diff
