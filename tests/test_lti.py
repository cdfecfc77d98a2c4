"""Bagou as an LTI 1.3 tool, launched by a platform emulator that behaves like Moodle:
its own RSA key, its JWKS served on loopback, id_tokens signed RS256 with Moodle's claims.
Most tests run the gateway in-process (no Rasa); the last ones go through the real
running Bagou, where a launched learner sees her sandbox badges."""

import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from bot.app import create_app
from bot.db.models import ChatSession
from bot.lti.config import make_keys
from bot.settings import Settings
from bot.texts import text
from tests.helpers.processes import start_bagou

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
ISS = "https://moodle.example.test"
CLIENT_ID = "bagou-client-42"
DEPLOYMENT = "3"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


def _rsa():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Platform:
    """An LTI 1.3 platform: what Moodle does around a launch, with its JWKS on loopback."""

    def __init__(self):
        self.key, self.kid = _rsa(), "moodle-key-" + uuid.uuid4().hex[:8]
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwks = json.dumps({"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]})

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                body = jwks.encode()
                self.send_response(200 if self.path == "/mod/lti/certs.php" else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.jwks_url = f"http://127.0.0.1:{self.server.server_port}/mod/lti/certs.php"

    def registrations(self) -> dict:
        """What docs/moodle.md tells an administrator to write in BAGOU_LTI_CONFIG."""
        return {ISS: [{
            "default": True, "client_id": CLIENT_ID,
            "auth_login_url": f"{ISS}/mod/lti/auth.php",
            "auth_token_url": f"{ISS}/mod/lti/token.php",
            "key_set_url": self.jwks_url, "deployment_ids": [DEPLOYMENT],
        }]}

    def login(self, client, **overrides) -> dict:
        """Third-party initiated login; returns the auth request parameters (Moodle's
        auth.php would receive them)."""
        params = {"iss": ISS, "login_hint": "17", "target_link_uri": "x",
                  "lti_message_hint": "{\"cmid\":5}", "client_id": CLIENT_ID,
                  "lti_deployment_id": DEPLOYMENT, **overrides}
        params["target_link_uri"] = str(client.base_url).rstrip("/") + "/lti/launch"
        response = client.post("/lti/login", data=params, follow_redirects=False)
        assert response.status_code == 302, response.text
        location = urlparse(response.headers["location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == f"{ISS}/mod/lti/auth.php"
        return {k: v[0] for k, v in parse_qs(location.query).items()}

    def id_token(self, auth: dict, email="lea.martin@example.org", roles=(LEARNER,),
                 key=None, aud=CLIENT_ID, exp_in=60, deployment=DEPLOYMENT, **extra) -> str:
        now = int(time.time())
        claims = {
            "iss": ISS, "aud": aud, "azp": CLIENT_ID, "sub": "17", "exp": now + exp_in,
            "iat": now - 5, "nonce": auth["nonce"],
            "email": email, "name": "Léa Martin", "given_name": "Léa", "family_name": "Martin",
            LTI + "message_type": "LtiResourceLinkRequest", LTI + "version": "1.3.0",
            LTI + "deployment_id": deployment, LTI + "target_link_uri": auth["redirect_uri"],
            LTI + "resource_link": {"id": "5", "title": "Bagou"},
            LTI + "roles": list(roles),
            LTI + "context": {"id": "2", "label": "BADGES101",
                              "title": "Valoriser ses compétences",
                              "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"]},
            LTI + "tool_platform": {"guid": "moodle.example.test", "product_family_code": "moodle",
                                    "version": "2024100700", "name": "Moodle de test"},
            **extra,
        }
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": self.kid})

    def launch(self, client, auth: dict, token: str, state=None):
        return client.post(auth["redirect_uri"].replace(str(client.base_url).rstrip("/"), ""),
                           data={"id_token": token, "state": state or auth["state"]})

    def close(self):
        self.server.shutdown()


@pytest.fixture(scope="module")
def platform():
    emulator = Platform()
    yield emulator
    emulator.close()


@pytest.fixture(scope="module")
def lti_files(platform, tmp_path_factory):
    work = tmp_path_factory.mktemp("lti")
    make_keys(work / "keys")
    config = work / "registrations.json"
    config.write_text(json.dumps(platform.registrations()), encoding="utf-8")
    return work, config


@pytest.fixture()
def gateway(lti_files, tmp_path):
    work, config = lti_files
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'bagou.db'}", lti_config=config,
                        lti_key_dir=work / "keys", _env_file=None)
    with TestClient(create_app(settings)) as client:
        client.db_url = settings.database_url
        yield client


def session_of(client, page: str) -> ChatSession:
    session_id = re.search(r'<bagou-chat session="([0-9a-f-]{36})"', page).group(1)
    with Session(create_engine(client.db_url)) as db:
        return db.get(ChatSession, session_id)


def refused(response, status: int, code: str):
    assert response.status_code == status, response.text
    assert f'data-error="{code}"' in response.text
    first_line = text(code).splitlines()[0]
    assert first_line.replace("'", "&#x27;") in response.text or first_line in response.text
    assert "<html lang=\"fr\">" in response.text


# --- in-process: login, launch, refusals -------------------------------------------------


def test_jwks_gives_the_tools_public_key(gateway):
    keys = gateway.get("/lti/jwks").json()["keys"]
    assert len(keys) == 1 and keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256"
    assert keys[0]["kid"] and "d" not in keys[0]  # never the private part


def test_login_redirects_to_the_platform_with_state_and_nonce(gateway, platform):
    auth = platform.login(gateway)
    assert auth["scope"] == "openid" and auth["response_type"] == "id_token"
    assert auth["response_mode"] == "form_post" and auth["prompt"] == "none"
    assert auth["client_id"] == CLIENT_ID and auth["login_hint"] == "17"
    assert auth["lti_message_hint"] == "{\"cmid\":5}"
    assert auth["redirect_uri"] == "http://testserver/lti/launch"
    assert auth["state"] and len(auth["nonce"]) >= 32
    # A second login gets another state and nonce.
    other = platform.login(gateway)
    assert other["state"] != auth["state"] and other["nonce"] != auth["nonce"]


def test_a_learner_launch_opens_bagou_bound_to_her(gateway, platform):
    auth = platform.login(gateway)
    page = platform.launch(gateway, auth, platform.id_token(auth))
    assert page.status_code == 200, page.text
    assert '<script src="/widget/bagou.js" defer></script>' in page.text
    assert 'layout="page"' in page.text and "Valoriser ses compétences" in page.text
    assert text("lti_nouvelle_fenetre") in page.text
    assert f"frame-ancestors 'self' {ISS}" in page.headers["content-security-policy"]
    assert "'unsafe-inline'" not in page.headers["content-security-policy"]
    session = session_of(gateway, page.text)
    assert session.identity_kind == "learner"
    assert session.identity_email == "lea.martin@example.org"
    assert session.identity_name == "Léa Martin"
    assert session.identity_source == f"lti:{ISS}"
    assert session.identity_expires_at is not None


def test_an_instructor_launch_is_an_adviser(gateway, platform):
    auth = platform.login(gateway)
    page = platform.launch(gateway, auth, platform.id_token(
        auth, email="formatrice@example.org", roles=(INSTRUCTOR,)))
    assert page.status_code == 200, page.text
    assert session_of(gateway, page.text).identity_kind == "adviser"


def test_a_replayed_launch_is_refused(gateway, platform):
    auth = platform.login(gateway)
    token = platform.id_token(auth)
    assert platform.launch(gateway, auth, token).status_code == 200
    refused(platform.launch(gateway, auth, token), 403, "lti_lancement_deja_utilise")


def test_a_nonce_from_another_login_is_refused(gateway, platform):
    first, second = platform.login(gateway), platform.login(gateway)
    token = platform.id_token(first)  # nonce of the first login, state of the second
    refused(platform.launch(gateway, second, token), 403, "lti_lancement_deja_utilise")


@pytest.mark.parametrize("case, status, code", [
    ("forged signature", 403, "lti_signature_invalide"),
    ("wrong audience", 403, "lti_audience_invalide"),
    ("expired token", 403, "lti_jeton_expire"),
    ("unknown deployment", 403, "lti_deploiement_inconnu"),
    ("missing state", 400, "lti_etat_manquant"),
    ("unknown state", 403, "lti_lancement_deja_utilise"),
    ("not a jwt", 400, "lti_demande_incomplete"),
])
def test_a_bad_launch_is_refused_with_a_clear_page(gateway, platform, case, status, code):
    auth = platform.login(gateway)
    token = {
        "forged signature": lambda: platform.id_token(auth, key=_rsa()),
        "wrong audience": lambda: platform.id_token(auth, aud="un-autre-outil"),
        "expired token": lambda: platform.id_token(auth, exp_in=-60),
        "unknown deployment": lambda: platform.id_token(auth, deployment="99"),
    }.get(case, lambda: platform.id_token(auth))()
    if case == "missing state":
        response = gateway.post("/lti/launch", data={"id_token": token})
    elif case == "unknown state":
        response = platform.launch(gateway, auth, token, state="state-" + str(uuid.uuid4()))
    elif case == "not a jwt":
        response = platform.launch(gateway, auth, "pas.un.jeton")
    else:
        response = platform.launch(gateway, auth, token)
    refused(response, status, code)


def test_a_login_from_an_unknown_platform_is_refused(gateway):
    response = gateway.post("/lti/login", data={"iss": "https://autre.example",
                                                "login_hint": "1"}, follow_redirects=False)
    refused(response, 400, "lti_plateforme_inconnue")


def test_without_registrations_lti_says_bagou_is_not_linked(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'bagou.db'}", lti_config=None,
                        _env_file=None)
    with TestClient(create_app(settings)) as client:
        refused(client.post("/lti/login", data={"iss": ISS, "login_hint": "1"}),
                503, "lti_non_configure")
        refused(client.post("/lti/launch", data={"id_token": "a.b.c", "state": "s"}),
                503, "lti_non_configure")


def test_without_cookie_the_launch_holds_and_offers_a_new_window(gateway, platform):
    auth = platform.login(gateway)
    gateway.cookies.clear()  # third-party cookies blocked in Moodle's frame
    page = platform.launch(gateway, auth, platform.id_token(auth))
    assert page.status_code == 200
    assert 'data-cookies="blocked"' in page.text
    link = re.search(r'href="(http://testserver/lti/ouvrir\?ticket=[0-9a-f]+)"', page.text).group(1)
    elsewhere = gateway.get(link)
    assert elsewhere.status_code == 200
    assert session_of(gateway, elsewhere.text).id == session_of(gateway, page.text).id
    refused(gateway.get(link), 403, "lti_lien_utilise")  # the ticket is used once


# --- the real product ------------------------------------------------------------------------


@pytest.mark.stack
def test_launched_from_moodle_a_learner_sees_her_badges_and_a_trainer_gets_adviser_help(
        trained_model, tmp_path, platform, lti_files):
    work, config = lti_files
    with start_bagou(trained_model, tmp_path, BAGOU_LTI_CONFIG=str(config),
                     BAGOU_LTI_KEY_DIR=str(work / "keys")) as bagou:
        with httpx.Client(base_url=bagou.url, timeout=30) as client:
            auth = platform.login(client)
            page = platform.launch(client, auth, platform.id_token(auth))
            assert page.status_code == 200, page.text
            session_id = re.search(r'session="([0-9a-f-]{36})"', page.text).group(1)
            answer = bagou.chat("Voir mes badges", session_id=session_id).json()
            assert answer["topic"] == "mes_badges"
            assert answer["replies"][0]["text"] == "Vous avez 4 badges."

            auth = platform.login(client)
            page = platform.launch(client, auth, platform.id_token(
                auth, email="formatrice@example.org", roles=(INSTRUCTOR,)))
            session_id = re.search(r'session="([0-9a-f-]{36})"', page.text).group(1)
            answer = bagou.chat("Que sais-tu faire ?", session_id=session_id).json()
            assert answer["topic"] == "aide"
            assert "accompagnez" in answer["replies"][0]["text"]
