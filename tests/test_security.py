"""Security by default: the headers of each kind of response, no secret and no e-mail
address in any log line, Rasa and the action server on loopback only."""

import json
import logging
import time

import jwt
import psutil
import pytest
from fastapi.testclient import TestClient

from bot import log_safety
from bot.app import create_app
from bot.chat.rasa_client import RasaClient
from bot.console import accounts
from bot.db.engine import make_engine, make_sessionmaker, upgrade_schema
from bot.ops.supervisor import Stack, free_port
from bot.settings import Settings
from tests.helpers.console import look_up, sign_in

MOODLE = "https://moodle.example.org"
SITE = "https://www.mission-locale.example"
RASA_TOKEN = "jeton-rasa-" + "r" * 24
SECRET_KEY = "cle-secrete-" + "k" * 32
SITE_SECRET = "secret-du-site-" + "s" * 32
OBF_SECRET = "secret-obf-" + "o" * 20
DB_PASSWORD = "motdepasse-base-" + "p" * 8
LEARNER = "lea.martin@example.org"
PASSWORD = "un mot de passe assez long"


@pytest.fixture
def settings(tmp_path, monkeypatch):
    for name in ("OBF_BASE_URL", "OBF_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OBF_CLIENT_SECRET", OBF_SECRET)  # read into settings.obf
    lti = tmp_path / "lti.json"
    lti.write_text(json.dumps({
        f"{MOODLE}/moodle": {"client_id": "x", "deployment_ids": ["1"]},
        "https://pirate.example; script-src *": {"client_id": "y"},
    }))
    yield Settings(database_url=f"sqlite:///{tmp_path / 'bagou.db'}", rasa_port=free_port(),
                   actions_port=free_port(), rasa_token=RASA_TOKEN, rasa_timeout=2,
                   secret_key=SECRET_KEY, site_secrets={"ml": SITE_SECRET},
                   allowed_origins=SITE, lti_config=lti, lti_key_dir=tmp_path / "keys",
                   rasa_tracker_url=f"postgresql://rasa:{DB_PASSWORD}@127.0.0.1:5432/rasa")


@pytest.fixture
def client(settings, monkeypatch):
    async def rasa(_self, _sender, _text, _metadata):
        return [{"text": "Un badge montre une compétence.",
                 "utter_action": "utter_faq/badge_definition"}]

    monkeypatch.setattr(RasaClient, "send", rasa)
    engine = make_engine(settings.database_url)
    upgrade_schema(engine)
    with make_sessionmaker(engine).begin() as s:
        accounts.create_user(s, "conseil", "Conseil", "adviser", PASSWORD)
    engine.dispose()
    with TestClient(create_app(settings), base_url="https://testserver",
                    raise_server_exceptions=False) as client:
        yield client


# --- headers -----------------------------------------------------------------------------

def test_json_api_answers_and_errors_have_the_strictest_headers(client):
    for response in (client.post("/api/chat", json={"text": "bonjour"}),
                     client.post("/api/chat", json={"text": ""}),
                     client.get("/nulle-part"), client.get("/health"),
                     client.get("/openapi.json"), client.get("/lti/jwks")):
        headers = response.headers
        assert headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert "camera=()" in headers["permissions-policy"]
        assert headers["strict-transport-security"].startswith("max-age=")  # https here


@pytest.mark.parametrize("path", ["/", "/ateliers", "/conseiller/connexion"])
def test_pages_keep_their_strict_csp_and_are_never_framed(client, path):
    headers = client.get(path).headers
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert headers["x-frame-options"] == "DENY"
    # same-origin: the console's Origin check needs a real Origin on its forms.
    assert headers["referrer-policy"] == "same-origin"
    assert headers["cross-origin-opener-policy"] == "same-origin"


def test_lti_pages_may_be_framed_by_the_moodle_hosts_and_allowed_sites_only(client):
    page = client.get("/lti/ouvrir?ticket=inconnu")  # a FALC refusal page
    assert page.status_code == 403
    csp = page.headers["content-security-policy"]
    assert f"frame-ancestors 'self' {MOODLE} {SITE}" in csp
    assert "pirate" not in csp  # an issuer that would add a directive is left out
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "x-frame-options" not in page.headers
    assert page.headers["referrer-policy"] == "same-origin"


def test_the_widget_script_stays_loadable_by_other_sites(client):
    headers = client.get("/widget/bagou.js").headers
    assert headers["cross-origin-resource-policy"] == "cross-origin"
    assert headers["x-content-type-options"] == "nosniff"


def test_refusals_of_the_limits_have_the_headers_too(client):
    refused = client.post("/api/chat", content=b"x" * 300_000,
                          headers={"content-type": "application/json", "Origin": SITE})
    assert refused.status_code == 413
    assert refused.headers["x-frame-options"] == "DENY"
    assert refused.headers["access-control-allow-origin"] == SITE  # the widget reads it
    # ... and how long to wait before it sends a kept thumb again.
    assert "retry-after" in refused.headers["access-control-expose-headers"].lower()


# --- logs --------------------------------------------------------------------------------

def test_no_secret_and_no_email_address_in_the_logs(client, caplog):
    caplog.set_level(logging.DEBUG)
    # A chat turn of a learner identified by the host site.
    token = jwt.encode({"iss": "ml", "email": LEARNER, "name": "Léa Martin",
                        "exp": int(time.time()) + 600}, SITE_SECRET, algorithm="HS256")
    assert client.post("/api/chat", json={"text": "mes badges", "site_token": token}
                       ).status_code == 200
    assert client.post("/api/chat", json={"text": "x", "site_token": token + "x"}
                       ).status_code == 401
    # A failed sign-in, then an adviser's look-up in OBF (the sandbox) by e-mail.
    assert sign_in(client, "conseil", "pas le bon mot de passe").status_code == 401
    sign_in(client, "conseil")
    assert look_up(client, LEARNER).status_code == 200
    # And what careless code could log: the values themselves, a URL with a query.
    logging.getLogger("bot.test").warning(
        "oops %s %s %s %s %s", RASA_TOKEN, SECRET_KEY, SITE_SECRET, OBF_SECRET, token)
    logging.getLogger("httpx").info(
        "HTTP Request: GET https://obf.example/v2/event/X?email=lea.martin%%40example.org")
    try:
        raise RuntimeError(f"failed for {LEARNER} with {SITE_SECRET}")
    except RuntimeError:
        logging.getLogger("bot.test").exception("traceback")
    logging.getLogger("bot.test").info("db postgresql://rasa:%s@127.0.0.1/rasa", DB_PASSWORD)

    logged = caplog.text
    assert "HTTP Request" in logged and "traceback" in logged  # the records are there
    for secret in (RASA_TOKEN, SECRET_KEY, SITE_SECRET, OBF_SECRET, DB_PASSWORD, token,
                   LEARNER, "lea.martin%40example.org", "lea.martin", PASSWORD):
        assert secret not in logged, secret
    assert "[secret masqué]" in logged and "[e-mail masqué]" in logged


def test_uvicorn_access_log_arguments_stay_usable():
    # uvicorn's access formatter reads record.args as a tuple of 5: they stay one.
    record = logging.getLogger("uvicorn.access").makeRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/lti/ouvrir?ticket=secret-ticket", "1.1", 200), None)
    assert len(record.args) == 5 and record.args[4] == 200
    assert "secret-ticket" not in record.getMessage()


def test_short_values_are_not_taken_for_secrets():
    log_safety.add_secrets(["t", "abc"])
    assert log_safety.scrub("a test of the abc") == "a test of the abc"


# --- loopback ---------------------------------------------------------------------------

def test_rasa_listens_on_loopback_with_its_http_api_off(tmp_path):
    settings = Settings(rasa_port=free_port(), actions_port=free_port(), log_dir=tmp_path,
                        database_url=f"sqlite:///{tmp_path / 'bagou.db'}", rasa_instances=1)
    commands = Stack(settings).commands()
    rasa = commands["rasa"]
    assert rasa[rasa.index("--interface") + 1] == "127.0.0.1"
    assert "--enable-api" not in rasa and "--cors" not in rasa
    assert settings.host == "127.0.0.1"  # the gateway too, unless told otherwise


def test_the_action_server_listens_on_loopback_only(tmp_path):
    settings = Settings(rasa_port=free_port(), actions_port=free_port(), log_dir=tmp_path,
                        database_url=f"sqlite:///{tmp_path / 'bagou.db'}")
    stack = Stack(settings)
    stack.start("actions")
    try:
        process = psutil.Process(stack.pids()["actions"])
        listening = []
        deadline = time.monotonic() + 60
        while not listening and time.monotonic() < deadline:
            assert process.is_running(), (tmp_path / "actions.log").read_text()
            for proc in [process, *process.children(recursive=True)]:
                listening += [c.laddr for c in proc.net_connections("tcp")
                              if c.status == "LISTEN"]
            time.sleep(0.5)
        assert listening, (tmp_path / "actions.log").read_text()
        assert all(addr.ip == "127.0.0.1" for addr in listening), listening
        assert settings.actions_port in {addr.port for addr in listening}
    finally:
        stack.stop()
