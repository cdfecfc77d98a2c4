"""Bad input through the chat API (what the widget sends, and worse), the body size
limit and the rate limits, in process, with Rasa replaced by a canned answer."""

import json
import sqlite3
import subprocess
import time

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.chat.rasa_client import RasaClient
from limits import parse

from bot.http.rate_limit import MemoryWindows, RateLimits
from bot.ops.supervisor import free_port
from bot.settings import Settings
from bot.texts import text
from tests.helpers.api import assert_error_shape

ANSWER = [{"recipient_id": "x", "utter_action": "utter_faq/badge_definition",
           "text": "Un Open Badge est une image numérique."}]


@pytest.fixture
def database(tmp_path):
    return tmp_path / "bagou.db"


def make_client(database, client=("testclient", 50000), **values):
    settings = dict(database_url=f"sqlite:///{database}", rasa_port=free_port(),
                    actions_port=free_port(), rasa_token="t", rasa_timeout=2)
    settings.update(values)
    return TestClient(create_app(Settings(**settings)), raise_server_exceptions=False,
                      client=client)


@pytest.fixture
def sent(monkeypatch):
    """What reached Rasa."""
    messages = []

    async def rasa(_self, _sender, message, _metadata):
        messages.append(message)
        return ANSWER

    monkeypatch.setattr(RasaClient, "send", rasa)
    return messages


@pytest.fixture
def client(database, sent):
    with make_client(database) as client:
        yield client


# --- bad input -----------------------------------------------------------------------

def post_raw(client, body: bytes, content_type="application/json"):
    return client.post("/api/chat", content=body, headers={"content-type": content_type})


def test_empty_body_and_empty_text(client):
    assert_error_shape(post_raw(client, b""), 422, "demande_invalide")
    assert_error_shape(client.post("/api/chat", json={"text": ""}), 422, "texte_vide")
    assert_error_shape(client.post("/api/chat", json={"text": "\u200b \n\t\x00\x07"}), 422,
                 "texte_vide")


def test_a_10_kb_message_is_too_long_and_a_1_mb_body_is_refused_before_parsing(client, sent):
    assert_error_shape(client.post("/api/chat", json={"text": "a" * 10_000}), 422,
                 "texte_trop_long", max=1000)
    big = json.dumps({"text": "a" * 1_000_000}).encode()
    assert_error_shape(post_raw(client, big), 413, "demande_trop_grosse")
    # Chunked (no Content-Length): counted while it comes in.
    chunks = (big[i:i + 65536] for i in range(0, len(big), 65536))
    assert_error_shape(client.post("/api/chat", content=chunks,
                             headers={"content-type": "application/json"}),
                 413, "demande_trop_grosse")
    assert not sent


@pytest.mark.parametrize("raw", [b'{"text": "\xff\xfe bonjour"}', b"\xff\xfe", b"{bad json",
                                 b'{"text": "bonjour"', b"[" * 5000 + b"]" * 5000,
                                 b'"bonjour"', b"null"])
def test_broken_json_and_invalid_utf8_get_a_french_error(client, raw):
    response = post_raw(client, raw)
    assert response.status_code in (400, 422), response.text
    assert response.json()["message"] in (text("json_invalide"), text("demande_invalide"))


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", "application/xml"])
def test_wrong_content_type_is_refused(client, content_type, sent):
    assert_error_shape(post_raw(client, b'{"text": "bonjour"}', content_type), 422,
                 "demande_invalide")
    assert not sent


@pytest.mark.parametrize("message, reaches_rasa", [
    ("🎓🏅✨", "🎓🏅✨"),                                     # emoji only
    ("<script>alert(1)</script><img src=x onerror=alert(2)>",
     "<script>alert(1)</script><img src=x onerror=alert(2)>"),  # kept as text
    ("badge" * 190, "badge" * 190),                           # one very long word
    ("bon\x00jour\x1b[31m \x7f\u0085badge", "bonjour[31m badge"),  # control characters
    ("\ud800 c'est quoi \udfff un badge", "c'est quoi  un badge"),  # lone surrogates
])
def test_odd_messages_get_an_answer_and_are_stored_cleaned(client, database, sent, message,
                                                           reaches_rasa):
    response = post_raw(client, json.dumps({"text": message}).encode())  # \ud800 escaped
    assert response.status_code == 200, response.text
    assert sent == [reaches_rasa]
    with sqlite3.connect(database) as db:
        stored = db.execute("SELECT text FROM chat_messages WHERE sender = 'user'").fetchone()
    assert stored == (reaches_rasa,)
    # The widget shows the history as text (textContent), never as markup.
    history = client.get(f"/api/chat/{response.json()['session_id']}/history").json()
    assert history["messages"][0]["text"] == reaches_rasa


def test_odd_values_of_the_other_fields(client):
    for body in ({"text": "bonjour", "session_id": "\x00" * 40},
                 {"text": "bonjour", "session_id": "a" * 100_000},
                 {"text": "bonjour", "site_token": "\ud800.\x00.☃"},
                 {"text": {"nested": ["x"] * 1000}}):
        response = post_raw(client, json.dumps(body).encode())
        assert response.status_code in (401, 404, 422), response.text
        assert response.json()["replies"][0]["text"] == response.json()["message"]
    response = client.post("/api/verify", content=json.dumps(
        {"url": "javascript:\x00\ud800alert(1)"}).encode(),
        headers={"content-type": "application/json"})
    assert response.status_code in (200, 422) and response.json()["replies"]


# --- rate limits -----------------------------------------------------------------------

def test_thousands_of_messages_from_one_address_get_429_while_another_address_is_served(
        database, sent):
    # 300 an hour rather than the default 300 a minute: the same moving window, and a
    # slow machine cannot see the first messages leave it while the loop runs.
    app = create_app(Settings(database_url=f"sqlite:///{database}", rasa_port=free_port(),
                              actions_port=free_port(), rasa_token="t",
                              rate_limit_address="300/hour"))
    # One gateway, two clients.
    with TestClient(app, client=("203.0.113.7", 1000)) as abuser, \
            TestClient(app, client=("198.51.100.9", 1000)) as other:
        statuses = [abuser.post("/api/chat", json={"text": f"question {i}"}).status_code
                    for i in range(1500)]  # a new conversation each time: the address counts
        # Never more than the limit in the window, and the first 300 all served.
        assert statuses == [200] * 300 + [429] * 1200, statuses.count(200)
        refused = abuser.post("/api/chat", json={"text": "encore"})
        assert_error_shape(refused, 429, "trop_de_messages")
        assert 3000 <= int(refused.headers["retry-after"]) <= 3600
        # Another address is served at once, and the abuser cost Rasa nothing more.
        assert len(sent) == 300
        assert other.post("/api/chat", json={"text": "bonjour"}).status_code == 200


def test_one_runaway_conversation_is_stopped_without_stopping_its_neighbours(client, sent):
    session = client.post("/api/chat", json={"text": "bonjour"}).json()["session_id"]
    statuses = [client.post("/api/chat", json={"text": "encore", "session_id": session})
                .status_code for _ in range(100)]
    # The first message had no session id yet: 30 more in the conversation's minute.
    assert statuses.count(200) == 30 and statuses[-1] == 429
    refused = client.get(f"/api/chat/{session}/history")
    assert_error_shape(refused, 429, "trop_de_messages")
    assert refused.json()["session_id"] == session and "retry-after" in refused.headers
    # Same address, other conversations: still answered (refusals did not use its budget).
    assert client.post("/api/chat", json={"text": "bonjour"}).status_code == 200


def test_static_files_and_health_are_not_limited(database, sent):
    with make_client(database, rate_limit_address="2/minute") as client:
        for _ in range(20):
            assert client.get("/widget/bagou.js").status_code == 200
            assert client.get("/").status_code == 200
            assert client.get("/health").status_code == 503  # no Rasa here, never 429
        assert [client.post("/api/feedback", json={}).status_code for _ in range(3)] == [
            422, 422, 429]


def test_limits_can_be_turned_off_and_parsed(database, sent):
    with make_client(database, rate_limit_session="", rate_limit_address="") as client:
        assert {client.post("/api/chat", json={"text": "x"}).status_code
                for _ in range(400)} == {200}
    limits = RateLimits("memory://", "30/minute;500/hour", "300/minute")
    assert [str(i) for i in limits.per_session] == ["30 per 1 minute", "500 per 1 hour"]


def test_behind_a_trusted_proxy_the_address_comes_from_x_forwarded_for(database, sent):
    with make_client(database, client=("10.0.0.2", 1000), rate_limit_address="3/minute",
                     trusted_proxies="10.0.0.2") as proxy:
        def ask(address):
            return proxy.post("/api/chat", json={"text": "x"},
                              headers={"X-Forwarded-For": address}).status_code
        assert [ask("203.0.113.7") for _ in range(4)] == [200, 200, 200, 429]
        assert ask("198.51.100.9") == 200
    # Not trusted (the default): the header is ignored, the peer is the client.
    with make_client(database, client=("203.0.113.7", 1000),
                     rate_limit_address="3/minute") as direct:
        statuses = [direct.post("/api/chat", json={"text": "x"},
                                headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code
                    for i in range(4)]
        assert statuses == [200, 200, 200, 429]


def test_a_moving_window_refuses_the_request_over_the_limit_until_the_oldest_is_a_minute_old():
    windows, three = MemoryWindows(), parse("3/minute")
    assert [windows.hit(three, "a", t) for t in (0.0, 10.0, 20.0)] == [0, 0, 0]
    assert windows.hit(three, "a", 30.0) == 30  # the first request leaves the window at 60 s
    assert windows.hit(three, "b", 30.0) == 0  # another address has its own window
    assert windows.hit(three, "a", 60.5) == 0
    assert windows.hit(three, "a", 61.0) == 9


def test_memory_windows_forget_the_keys_of_people_gone_for_longer_than_the_window():
    windows, limit = MemoryWindows(), parse("30/minute")
    for n in range(1000):  # a thousand visitors, one message each
        windows.hit(limit, f"address {n}", n * 0.01)
    windows.hit(limit, "late visitor", 10 + MemoryWindows.SWEEP_S + 60)
    assert len(windows._times) == 1


@pytest.fixture
def redis_url(tmp_path):
    server = subprocess.run(["which", "redis-server"], capture_output=True, text=True).stdout
    if not server.strip():
        pytest.skip("redis-server is not installed (scripts/services.sh installs it)")
    port = free_port()
    process = subprocess.Popen([server.strip(), "--port", str(port), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            if subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True,
                              text=True).stdout.strip() == "PONG":
                break
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


@pytest.mark.services
def test_two_gateways_share_their_counters_in_redis(database, sent, redis_url):
    values = dict(rate_limit_url=redis_url, rate_limit_address="4/minute")
    with make_client(database, **values) as first, make_client(database, **values) as second:
        statuses = [(first if i % 2 else second).post("/api/chat", json={"text": "x"})
                    .status_code for i in range(6)]
    assert statuses == [200, 200, 200, 200, 429, 429]


def test_redis_down_lets_people_through(database, sent):
    with make_client(database, rate_limit_url=f"redis://127.0.0.1:{free_port()}/0",
                     rate_limit_address="1/minute") as client:
        assert [client.post("/api/chat", json={"text": "x"}).status_code
                for _ in range(3)] == [200, 200, 200]


# --- header limits (bot/http/header_limit.py), through a real uvicorn ----------------------

@pytest.fixture
def gateway_url(tmp_path):
    """The gateway alone, served by uvicorn with the options of `bagou run` (httptools:
    the parser that had no limit), Rasa absent."""
    import os

    import httpx

    from bot.ops.supervisor import Stack, throwaway_settings
    from bot.settings import PROJECT_ROOT

    settings = throwaway_settings(tmp_path)
    command = Stack(settings).commands()["gateway"]
    env = dict(os.environ, BAGOU_PORT=str(settings.port), BAGOU_RASA_PORT=str(settings.rasa_port),
               BAGOU_ACTIONS_PORT=str(settings.actions_port),
               BAGOU_DATABASE_URL=settings.database_url, BAGOU_RASA_TOKEN="t")
    with (tmp_path / "gateway.log").open("wb") as log:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{settings.port}"
    try:
        for _ in range(600):  # polls until it answers (start-up, schema creation)
            assert process.poll() is None, (tmp_path / "gateway.log").read_text()
            try:
                httpx.get(url + "/widget/bagou.js", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(30)


def raw_request(url: str, headers: list[tuple[str, str]]) -> tuple[int, dict]:
    """One GET with these headers, on a plain socket (no client library limits them)."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    head = "GET /widget/bagou.js HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n{}\r\n".format(
        parts.netloc, "".join(f"{n}: {v}\r\n" for n, v in headers))
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as s:
        try:
            s.sendall(head.encode())
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before it has read everything
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    _, _, body = rest.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), (json.loads(body) if body.startswith(b"{") else {})


def test_8_mb_of_headers_or_too_many_headers_get_431_in_the_error_shape(gateway_url):
    big = [(f"X-Big-{i}", "a" * 8000) for i in range(1000)]  # 8 MB
    status, body = raw_request(gateway_url, big)
    assert status == 431
    assert body["error"] == "entetes_trop_grosses"
    assert body["message"] == text("entetes_trop_grosses")
    assert body["replies"] == [{"text": body["message"], "buttons": []}]
    status, body = raw_request(gateway_url, [(f"X-Many-{i}", "1") for i in range(200)])
    assert (status, body["error"]) == (431, "entetes_trop_grosses")
    # What browsers, proxies and Moodle send stays far below: a 20 kB cookie header passes.
    assert raw_request(gateway_url, [("Cookie", "c=" + "x" * 20_000)])[0] == 200


def test_an_unknown_console_static_file_gets_the_falc_page_not_an_empty_body(client):
    import html

    from bot.console.pages import texts as console_texts

    missing = client.get("/conseiller/static/absent.css")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    for line in console_texts()["page_introuvable"].splitlines():  # one <p> a line
        assert line in html.unescape(missing.text)
    assert client.get("/conseiller/static/console.css").status_code == 200
