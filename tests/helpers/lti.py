"""An LTI 1.3 platform emulator that behaves like Moodle (its own RSA key, its JWKS,
OpenID configuration and registration endpoint on loopback, id_tokens signed RS256 with
Moodle's claims), and what the LTI tests assert with it."""

import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from bot.app import create_app
from bot.db.models import ChatSession
from bot.lti.config import make_keys
from bot.settings import Settings
from bot.texts import text
from tests.helpers.console import KEY as CONSOLE_KEY
from tests.helpers.console import browser, with_accounts

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
ISS = "https://moodle.example.test"
CLIENT_ID = "bagou-client-42"
DEPLOYMENT = "3"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


def _rsa():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Platform:
    """An LTI 1.3 platform: what Moodle does around a launch, with its JWKS on loopback.
    Its key set can hang (`jwks_delay`), rotate (`rotate()`) and say how long to keep it
    (`cache_control`); it serves Moodle's OpenID configuration and registration endpoint
    (dynamic registration), and counts what it receives."""

    def __init__(self, issuer: str | None = None):
        self.key, self.kid = _rsa(), "moodle-key-" + uuid.uuid4().hex[:8]
        self.jwks_delay = 0.0
        self.jwks_requests = 0
        self.cache_control: str | None = None
        self.registration_token = "jeton-" + uuid.uuid4().hex
        self.registrations: list[dict] = []
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status: int, data: object):
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                if platform.cache_control and self.path == "/mod/lti/certs.php":
                    self.send_header("Cache-Control", platform.cache_control)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):  # noqa: N802 - http.server's name
                if self.path == "/mod/lti/certs.php":
                    platform.jwks_requests += 1
                    time.sleep(platform.jwks_delay)
                    return self._send(200, platform.jwks())
                if self.path == "/mod/lti/openid-configuration.php":
                    return self._send(200, platform.openid_configuration())
                return self._send(404, {})

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path != "/mod/lti/openid-registration.php":
                    return self._send(404, {})
                if self.headers.get("Authorization") != f"Bearer {platform.registration_token}":
                    return self._send(401, {"error": "missing_registration_token"})
                return self._send(*platform.register(json.loads(body)))

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # close() waits for the loop to see its flag: every 20 ms, not every 0.5 s.
        threading.Thread(target=self.server.serve_forever, daemon=True,
                         kwargs={"poll_interval": 0.02}).start()
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.jwks_url = f"{self.base}/mod/lti/certs.php"
        self.iss = issuer or ISS
        self.client_id = CLIENT_ID

    def jwks(self) -> dict:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def rotate(self):
        """A new key pair, and only its public key in the key set (as Moodle rotates)."""
        self.key, self.kid = _rsa(), "moodle-key-" + uuid.uuid4().hex[:8]

    def openid_configuration(self) -> dict:
        """What Moodle's /mod/lti/openid-configuration.php answers."""
        return {
            "issuer": self.iss, "token_endpoint": f"{self.iss}/mod/lti/token.php",
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "jwks_uri": self.jwks_url, "authorization_endpoint": f"{self.iss}/mod/lti/auth.php",
            "registration_endpoint": f"{self.iss}/mod/lti/openid-registration.php",
            "scopes_supported": ["openid"], "response_types_supported": ["id_token"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": ["sub", "iss", "name", "given_name", "family_name", "email"],
            "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                "product_family_code": "moodle", "version": "4.5.1 (Build: 20241209)",
                "messages_supported": ["LtiResourceLinkRequest", "LtiDeepLinkingRequest"],
                "placements": ["AddContentMenu"]},
        }

    def register(self, payload: dict) -> tuple[int, dict]:
        """Moodle's registration_helper: the checks of registration_to_config, then the
        answer of config_to_registration (client_id, deployment_id)."""
        tool = payload.get("https://purl.imsglobal.org/spec/lti-tool-configuration") or {}
        for key in ("response_types", "initiate_login_uri", "redirect_uris", "client_name",
                    "jwks_uri", "token_endpoint_auth_method"):
            if not payload.get(key):
                return 400, {"error": f"missing required attribute {key}"}
        if not tool.get("domain") or not tool.get("target_link_uri"):
            return 400, {"error": "missing required attribute domain"}
        if "id_token" not in payload["response_types"] or not isinstance(
                payload["redirect_uris"], list):
            return 400, {"error": "invalid_response_types"}
        if payload["token_endpoint_auth_method"] != "private_key_jwt":
            return 400, {"error": "invalid_token_endpoint_auth_method"}
        if payload.get("application_type") not in (None, "web"):
            return 400, {"error": "invalid_application_type"}
        self.registrations.append(payload)
        self.client_id = "dyn-" + uuid.uuid4().hex[:10]
        return 200, {"client_id": self.client_id, "token_endpoint_auth_method": "private_key_jwt",
                     "https://purl.imsglobal.org/spec/lti-tool-configuration": {
                         "deployment_id": DEPLOYMENT,
                         "target_link_uri": tool["target_link_uri"]}}

    def registrations_json(self, organisations: tuple[str, ...] | None = ("sandbox",)
                           ) -> dict:
        """What docs/moodle.md tells an administrator to write in BAGOU_LTI_CONFIG: by
        default, its learners see the sandbox's badges; None: the entry names no
        organisation at all."""
        entry: dict = {
            "default": True, "client_id": self.client_id,
            "auth_login_url": f"{self.iss}/mod/lti/auth.php",
            "auth_token_url": f"{self.iss}/mod/lti/token.php",
            "key_set_url": self.jwks_url, "deployment_ids": [DEPLOYMENT],
        }
        if organisations is not None:
            entry["organisations"] = list(organisations)
        return {self.iss: [entry]}

    def login(self, client, **overrides) -> dict:
        """Third-party initiated login; returns the auth request parameters (Moodle's
        auth.php would receive them)."""
        params = {"iss": self.iss, "login_hint": "17", "target_link_uri": "x",
                  "lti_message_hint": "{\"cmid\":5}", "client_id": self.client_id,
                  "lti_deployment_id": DEPLOYMENT, **overrides}
        params["target_link_uri"] = str(client.base_url).rstrip("/") + "/lti/launch"
        response = client.post("/lti/login", data=params, follow_redirects=False)
        assert response.status_code == 302, response.text
        location = urlparse(response.headers["location"])
        assert (f"{location.scheme}://{location.netloc}{location.path}"
                == f"{self.iss}/mod/lti/auth.php")
        return {k: v[0] for k, v in parse_qs(location.query).items()}

    def id_token(self, auth: dict, email="lea.martin@example.org", roles=(LEARNER,),
                 key=None, aud=None, exp_in=60, deployment=DEPLOYMENT, skew=0.0, iat_offset=-5,
                 message_type="LtiResourceLinkRequest", **extra) -> str:
        """Signed as Moodle signs; `skew`: how far ahead the platform's clock is."""
        now = int(time.time() + skew)
        claims = {
            "iss": self.iss, "aud": aud or self.client_id, "azp": self.client_id, "sub": "17",
            "exp": now + exp_in, "iat": now + iat_offset, "nonce": auth["nonce"],
            "email": email, "name": "Léa Martin", "given_name": "Léa", "family_name": "Martin",
            LTI + "message_type": message_type, LTI + "version": "1.3.0",
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
        if message_type != "LtiResourceLinkRequest":
            claims.pop(LTI + "resource_link")
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": self.kid})

    def launch(self, client, auth: dict, token: str, state=None):
        return client.post(auth["redirect_uri"].replace(str(client.base_url).rstrip("/"), ""),
                           data={"id_token": token, "state": state or auth["state"]})

    def open(self, client, **claims):
        """A person opens Bagou from the course: the login, then the launch with an
        id_token of these claims (id_token's keywords); the page, answered 200."""
        auth = self.login(client)
        page = self.launch(client, auth, self.id_token(auth, **claims))
        assert page.status_code == 200, page.text
        return page

    def close(self):
        self.server.shutdown()


def lti_settings(tmp_path, work, config, **values) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'bagou.db'}", lti_config=config,
                    lti_key_dir=work / "keys", _env_file=None, **values)


@contextmanager
def console_for_moodle(tmp_path, **values) -> Iterator:
    """A Bagou without JSON file of registrations (Moodle sites register from its
    console), Rasa and the actions where nothing answers; its console holds an
    administrator « chef » and an adviser « conseil ». A client on https (the console's
    cookie is Secure) with `db_url`."""
    make_keys(tmp_path / "keys")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'bagou.db'}", lti_config=None,
                        lti_key_dir=tmp_path / "keys", secret_key=CONSOLE_KEY, _env_file=None,
                        rasa_urls="http://127.0.0.1:9", actions_url="http://127.0.0.1:9",
                        **values)
    staff = [("chef", "Chef", "admin"), ("conseil", "Conseil", "adviser")]
    with with_accounts(settings, staff), browser(create_app(settings)) as client:
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
