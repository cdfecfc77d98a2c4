"""Site tokens: only a token signed by an allowed site identifies a learner."""

import time
from datetime import datetime, timedelta, timezone

import jwt
import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.chat.identity import ANONYMOUS, learner_from_site_token
from bot.errors import ApiError
from bot.ops.supervisor import free_port
from bot.settings import Settings
from bot.texts import text

SECRET = "secret-du-site-de-la-mission-locale-0123456789"
SITES = {"ml-caen": SECRET}


def site_token(secret=SECRET, algorithm="HS256", **claims):
    now = int(time.time())
    payload = {"iss": "ml-caen", "email": "Lea.Martin@example.org", "name": "Léa Martin",
               "exp": now + 600, "iat": now}
    payload.update(claims)
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, secret,
                      algorithm=algorithm)


def refused(token) -> str:
    with pytest.raises(ApiError) as error:
        learner_from_site_token(token, SITES)
    assert error.value.status == 401
    return error.value.code


def test_a_token_signed_by_an_allowed_site_identifies_the_learner():
    identity = learner_from_site_token(site_token(), SITES)
    assert (identity.kind, identity.email, identity.name) == (
        "learner", "lea.martin@example.org", "Léa Martin")
    assert identity.source == "site:ml-caen"
    assert identity.metadata() == {"kind": "learner", "email": "lea.martin@example.org",
                                   "name": "Léa Martin", "source": "site:ml-caen"}


def test_an_expired_token_is_refused_as_expired():
    assert refused(site_token(exp=int(time.time()) - 120)) == "jeton_expire"


@pytest.mark.parametrize("token", [
    site_token(secret="un-autre-secret-que-celui-du-site-0123456789"),  # forged
    site_token(iss="site-inconnu"),
    site_token(iss=None),
    site_token(email=None),
    site_token(email="pas-une-adresse"),
    site_token(exp=None),
    site_token(exp=int(time.time()) + 30 * 24 * 3600),  # lives far too long
    site_token(algorithm="HS512"),
    jwt.encode({"iss": "ml-caen", "email": "a@example.org", "exp": int(time.time()) + 60},
               None, algorithm="none"),
    "pas-un-jeton",
    "",
])
def test_forged_or_incomplete_tokens_are_refused(token):
    assert refused(token) == "jeton_invalide"


def test_an_identity_ends_when_its_token_expires():
    identity = learner_from_site_token(site_token(), SITES)
    later = datetime.now(timezone.utc) + timedelta(minutes=11)
    assert identity.active(later) is ANONYMOUS
    assert ANONYMOUS.metadata() == {"kind": "anonymous"}


@pytest.fixture
def client(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'bagou.db'}",
                        rasa_port=free_port(), actions_port=free_port(), rasa_token="t",
                        rasa_timeout=2, site_secrets=SITES)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize("token, key", [
    (site_token(secret="un-autre-secret-que-celui-du-site-0123456789"), "jeton_invalide"),
    (site_token(exp=int(time.time()) - 120), "jeton_expire"),
])
def test_the_chat_api_refuses_a_bad_token_with_a_french_message(client, token, key):
    response = client.post("/api/chat", json={"text": "mes badges", "site_token": token})
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == key
    assert body["message"] == text(key)
    assert body["replies"] == [{"text": text(key), "buttons": []}]
