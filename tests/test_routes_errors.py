"""Every mounted route of the gateway, asked wrongly: a method it does not take, a name
or id that does not exist, an unknown address below it, a broken body. The answer is never empty, never a 500, and
always what a person can read (issue 24, item 5): the API's JSON error with its FALC
message, or a French page that says what happened in one of the FALC texts. In process
(the app's routes as `create_app` mounts them), Rasa replaced by a canned answer;
tests/test_slow_clients.py covers what the server answers before the app (400, 408,
414, 431)."""

import html
import re
import uuid
from collections import defaultdict

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.chat.rasa_client import RasaClient
from bot.console.pages import texts as console_texts
from bot.ops.supervisor import free_port
from bot.settings import Settings
from bot.texts import all_texts

METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")
BODIES = [(b"{", "application/json"), (b'{"text": 12, "session_id": []}', "application/json"),
          (b"\xff\xfe=%%", "application/x-www-form-urlencoded"), (b"", "text/plain"),
          (b"--x\r\nbroken", "multipart/form-data; boundary=x")]
# The OBF sandbox stands for OBF's API: its errors have OBF's shape ({"error", "message"}).
OBF_SANDBOX = "/obf-sandbox/"
ERROR_KEYS = {"error", "message", "session_id", "replies", "topic"}


def mounted_routes(app) -> dict[str, set[str]]:
    """Path → methods, for every route the app serves, in included routers too."""
    found: dict[str, set[str]] = defaultdict(set)

    def visit(routes):
        for route in routes:
            if type(route).__name__ == "_IncludedRouter":  # FastAPI's included routers
                for context in route.effective_route_contexts():
                    found[context.path].update(getattr(context.original_route, "methods",
                                                       None) or ())
            else:
                found[route.path].update(getattr(route, "methods", None) or ())
    visit(app.routes)
    return found


def concrete(path: str) -> str:
    return re.sub(r"\{([^}:]+)(:[^}]+)?\}",
                  lambda m: str(uuid.uuid4()) if "session" in m.group(1) else "x1", path)


def falc_lines() -> set[str]:
    """Every line of every French text the gateway and its console show."""
    lines = set()
    for value in [*all_texts().values(), *console_texts().values()]:
        if isinstance(value, str):
            lines.update(line.strip() for line in value.splitlines() if line.strip())
    return lines


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    database = tmp_path_factory.mktemp("routes") / "bagou.db"
    settings = Settings(database_url=f"sqlite:///{database}", rasa_port=free_port(),
                        actions_port=free_port(), rasa_token="t", rate_limit_session="",
                        rate_limit_address="", rate_limit_lti="")
    original = RasaClient.send

    async def rasa(_self, sender, _message, _metadata):
        return [{"recipient_id": sender, "text": "Un Open Badge est une image numérique.",
                 "utter_action": "utter_faq/badge_definition"}]

    RasaClient.send = rasa
    try:
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            yield client
    finally:
        RasaClient.send = original


def check(response, path: str, lines: set[str], error: bool = True) -> str:
    """What kind of readable answer `response` is; fails when it is not one."""
    where = f"{response.request.method} {response.request.url.path} → {response.status_code}"
    assert response.content, f"empty body: {where}"
    assert response.status_code < 500 or response.status_code == 503, where
    if error:
        assert response.status_code >= 400, where
    kind = response.headers.get("content-type", "")
    if kind.startswith("application/json"):
        body = response.json()
        if path.startswith(OBF_SANDBOX):
            assert {"error", "message"} <= set(body), where
            return "obf-json"
        if not error and not (isinstance(body, dict) and "error" in body):
            return "json"
        assert set(body) == ERROR_KEYS, where
        assert body["message"] == all_texts()[body["error"]], where  # a FALC text
        assert body["replies"] == [{"text": body["message"], "buttons": []}], where
        return "api-json"
    assert kind.startswith("text/html"), f"{where}: {kind}"
    assert '<html lang="fr">' in response.text, where
    if response.status_code >= 400:
        paragraphs = {html.unescape(re.sub(r"<[^>]+>", "", p)).strip()
                      for p in re.findall(r"<p\b[^>]*>(.*?)</p>", response.text, re.S)}
        assert paragraphs & lines, f"{where}: no FALC text in {sorted(paragraphs)[:5]}"
    return "page"


def test_every_route_asked_wrongly_answers_a_falc_page_or_the_json_error(client):
    routes = mounted_routes(client.app)
    assert len(routes) > 60 and "/api/chat" in routes and "/conseiller/{rest:path}" in routes
    lines = falc_lines()
    kinds: dict[str, int] = defaultdict(int)
    for path, methods in routes.items():
        address = concrete(path)
        for method in METHODS:
            if method not in methods:
                kinds[check(client.request(method, address), path, lines)] += 1
        if "GET" in methods and address != path:  # a name or id that does not exist
            kinds[check(client.get(address), path, lines, error=False)] += 1
        below = address.rstrip("/") + "/inconnu-" + uuid.uuid4().hex[:6]
        kinds[check(client.get(below), path, lines)] += 1
        kinds[check(client.post(below, content=b"{"), path, lines)] += 1
        if "POST" in methods:
            for body, content_type in BODIES:
                answer = client.post(address, content=body,
                                     headers={"content-type": content_type})
                kinds[check(answer, path, lines, error=False)] += 1
    # Both kinds of answers were seen, many times.
    assert kinds["api-json"] > 100 and kinds["page"] > 50, dict(kinds)


def test_the_api_error_of_a_wrong_method_and_of_an_unknown_address(client):
    wrong = client.get("/api/chat")
    assert (wrong.status_code, wrong.json()["error"]) == (405, "demande_invalide")
    unknown = client.get("/api/nulle-part")
    assert (unknown.status_code, unknown.json()["error"]) == (404, "page_introuvable")
    page = client.get("/conseiller/nulle-part")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert console_texts()["page_introuvable"].splitlines()[0] in html.unescape(page.text)
