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
    # What Rasa gets: never the e-mail nor the name in clear; the e-mail only sealed.
    assert identity.metadata() == {"kind": "learner", "source": "site:ml-caen"}
    assert identity.metadata(lambda email: f"sealed({email})") == {
        "kind": "learner", "source": "site:ml-caen", "ref": "sealed(lea.martin@example.org)"}


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


def test_rasa_gets_no_email_phone_or_name_in_clear_and_the_actions_open_the_reference(
        tmp_path, monkeypatch):
    """What the gateway sends to Rasa for a learner signed in by the site who types her
    phone and address: the text masked, her e-mail only as a reference that the actions
    open for this conversation (and for no other), her name not at all."""
    from actions.identity import ref_key
    from bot.chat.rasa_client import RasaClient
    from bot.identity_ref import read_ref

    sent = []

    async def rasa(_self, sender, message, metadata):
        sent.append((sender, message, metadata))
        return [{"recipient_id": sender, "text": "Bonjour.", "utter_action": "utter_bonjour"}]

    monkeypatch.setattr(RasaClient, "send", rasa)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'bagou.db'}",
                        rasa_port=free_port(), actions_port=free_port(), rasa_token="t",
                        site_secrets=SITES)
    typed = "Léa Martin ici, mon numéro est 06 12 34 56 78 et mon adresse lea.m@exemple.fr"
    with TestClient(create_app(settings)) as client:
        first = client.post("/api/chat", json={"text": typed, "site_token": site_token()})
        assert first.status_code == 200, first.text
        client.post("/api/chat", json={"text": "mes badges",
                                       "session_id": first.json()["session_id"]})
    (sender, message, metadata), (again, _, later) = sent
    assert sender == again == first.json()["session_id"]
    # Neutral values of the same shape, the name left out (bot/privacy.mask_for_rasa).
    assert message == " ici, mon numéro est 00 00 00 00 00 et mon adresse x@x.x"
    for clear in ("lea.martin@example.org", "Lea.Martin", "Léa", "Martin", "06 12 34"):
        assert clear not in str(metadata) and clear not in str(later)
    assert set(metadata["identity"]) == {"kind", "source", "ref"}
    # The action server opens it for this conversation (both turns), and for no other.
    assert read_ref(ref_key(), sender, metadata["identity"]["ref"]) == "lea.martin@example.org"
    assert read_ref(ref_key(), sender, later["identity"]["ref"]) == "lea.martin@example.org"
    assert metadata["identity"]["ref"] != later["identity"]["ref"]  # random-looking each time
    assert read_ref(ref_key(), "another-conversation", metadata["identity"]["ref"]) is None
