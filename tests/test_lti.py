"""Bagou as an LTI 1.3 tool, launched by a platform emulator that behaves like Moodle:
its own RSA key, its JWKS served on loopback, id_tokens signed RS256 with Moodle's claims.
Most tests run the gateway in-process (no Rasa); the last ones go through the real
running Bagou, where a launched learner sees her sandbox badges."""

import asyncio
import json
import logging
import re
import socket
import threading
import time
import uuid
from contextlib import contextmanager

import httpx
import jwt
import pytest
import uvicorn
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.chat.service import STORED_IDENTITY, stored_identity
from bot.chat.topics import all_topics
from bot.console.pseudonym import load_key
from bot.db.engine import make_engine, make_sessionmaker, upgrade_schema
from bot.lti import registrations
from bot.lti.config import make_keys
from bot.lti.keyset import KeySetError, PlatformKeys
from bot.sealed import purpose_key
from bot.settings import Settings
from bot.texts import text
from tests.helpers.clock import FakeClock
from tests.helpers.console import csrf_of, sign_in
from tests.helpers.lti import (CLIENT_ID, DEPLOYMENT, INSTRUCTOR, ISS, LTI, Platform, _rsa,
                               console_for_moodle, lti_settings, refused, session_of)
from tests.helpers.processes import start_bagou


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
    config.write_text(json.dumps(platform.registrations_json()), encoding="utf-8")
    return work, config


@pytest.fixture()
def gateway(lti_files, tmp_path):
    settings = lti_settings(tmp_path, *lti_files)
    with TestClient(create_app(settings)) as client:
        client.db_url = settings.database_url
        yield client


@pytest.fixture()
def other_platform(tmp_path):
    """A platform of its own (its key set may hang or rotate), registered by file."""
    emulator = Platform()
    make_keys(tmp_path / "keys")
    config = tmp_path / "registrations.json"
    config.write_text(json.dumps(emulator.registrations_json()), encoding="utf-8")
    emulator.files = (tmp_path, config)
    yield emulator
    emulator.close()


@contextmanager
def running(app):
    """The app served by a real uvicorn on loopback (concurrent requests, real threads)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)


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
    page = platform.open(gateway)
    assert '<script src="/widget/bagou.js" defer></script>' in page.text
    assert 'layout="page"' in page.text and "Valoriser ses compétences" in page.text
    assert text("lti_nouvelle_fenetre") in page.text
    assert f"frame-ancestors 'self' {ISS}" in page.headers["content-security-policy"]
    assert "'unsafe-inline'" not in page.headers["content-security-policy"]
    session = session_of(gateway, page.text)
    assert session.identity_kind == "learner"
    # Her e-mail and name are kept sealed with the server's key (bot/chat/service.py).
    assert session.identity_email is None and session.identity_name is None
    assert "lea" not in session.identity_sealed.lower()
    kept = stored_identity(session, purpose_key(load_key(Settings(_env_file=None)),
                                                STORED_IDENTITY))
    assert (kept.email, kept.name) == ("lea.martin@example.org", "Léa Martin")
    assert session.identity_source == f"lti:{ISS}"
    assert session.identity_expires_at is not None


def test_an_instructor_launch_is_an_adviser(gateway, platform):
    page = platform.open(gateway, email="formatrice@example.org", roles=(INSTRUCTOR,))
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


# --- launches that never stall (issue 21) ---------------------------------------------------


@pytest.mark.parametrize("skew", [0.3, 4.0, -4.0])
def test_a_platform_clock_a_few_seconds_off_is_accepted(gateway, platform, skew):
    # Moodle stamps iat with its own clock: 0.3 s ahead refused one launch in four.
    for _ in range(5):
        platform.open(gateway, skew=skew, iat_offset=0)


def test_a_platform_clock_far_ahead_gets_a_page_that_says_so(gateway, platform):
    auth = platform.login(gateway)
    refused(platform.launch(gateway, auth, platform.id_token(auth, skew=120, iat_offset=0)),
            403, "lti_horloge_decalee")


def test_the_platform_key_set_is_kept_and_fetched_again_when_keys_rotate(
        other_platform, tmp_path):
    platform = other_platform
    with TestClient(create_app(lti_settings(tmp_path, *platform.files))) as client:
        for _ in range(3):
            platform.open(client)
        assert platform.jwks_requests == 1  # kept, not fetched at each launch
        platform.rotate()  # a new kid: the kept set lacks it, Bagou fetches it again
        platform.open(client)
        assert platform.jwks_requests == 2
        platform.rotate()  # again at once: not fetched again within the minute
        auth = platform.login(client)
        refused(platform.launch(client, auth, platform.id_token(auth)), 403,
                "lti_signature_invalide")
        assert platform.jwks_requests == 2


def test_a_hanging_key_set_refuses_the_launch_quickly_and_is_not_asked_again_at_once(
        other_platform, tmp_path, caplog):
    platform = other_platform
    platform.jwks_delay = 30
    settings = lti_settings(tmp_path, *platform.files, lti_keyset_timeout=0.5)
    with TestClient(create_app(settings)) as client, caplog.at_level(logging.WARNING):
        for _ in range(3):
            auth = platform.login(client)
            refused(platform.launch(client, auth, platform.id_token(auth)), 403,
                    "lti_signature_invalide")
    assert platform.jwks_requests == 1  # the next launches are refused without asking
    assert "no answer in 0.5 s" in caplog.text and "lti_signature_invalide" in caplog.text


def test_many_launches_against_a_hanging_key_set_hold_no_thread_and_health_answers(
        other_platform, tmp_path):
    """45 launches at once against a platform whose key set hangs: one request to the
    platform, and /health answers while they wait. /health reads the database in a
    worker thread, and the pool has 40: were each waiting launch holding one (as with
    pylti1p3's own fetch), /health would wait too. (How fast: bench/lti_bench.py.)"""
    platform = other_platform
    platform.jwks_delay = 30
    settings = lti_settings(tmp_path, *platform.files, lti_keyset_timeout=3,
                            rasa_urls="http://127.0.0.1:9", actions_url="http://127.0.0.1:9")
    with running(create_app(settings)) as url:
        with httpx.Client(base_url=url) as client:
            auths = [platform.login(client) for _ in range(45)]

        async def scenario():
            async with httpx.AsyncClient(base_url=url, timeout=60) as client:
                launches = [asyncio.ensure_future(client.post("/lti/launch", data={
                    "id_token": platform.id_token(a), "state": a["state"]})) for a in auths]
                await asyncio.sleep(0.3)
                health = await client.get("/health")
                pending = sum(not t.done() for t in launches)
                return health, pending, await asyncio.gather(*launches)

        health, pending, pages = asyncio.run(scenario())
    assert health.status_code in (200, 503) and "database" in health.json()
    assert pending == 45  # /health answered while every launch was still waiting
    assert all(p.status_code == 403 and 'data-error="lti_signature_invalide"' in p.text
               for p in pages)
    assert platform.jwks_requests == 1


def test_launches_at_once_against_a_slow_key_set_share_one_fetch_and_all_open(
        other_platform, tmp_path):
    platform = other_platform
    platform.jwks_delay = 1.5  # slow, within the 3 s deadline
    settings = lti_settings(tmp_path, *platform.files, rasa_urls="http://127.0.0.1:9",
                            actions_url="http://127.0.0.1:9")
    with running(create_app(settings)) as url:
        with httpx.Client(base_url=url) as client:
            auths = [platform.login(client) for _ in range(20)]
            cookies = client.cookies

        async def scenario():
            async with httpx.AsyncClient(base_url=url, timeout=60, cookies=cookies) as client:
                return await asyncio.gather(*(client.post("/lti/launch", data={
                    "id_token": platform.id_token(a), "state": a["state"]}) for a in auths))
        pages = asyncio.run(scenario())
    assert [p.status_code for p in pages] == [200] * 20
    assert platform.jwks_requests == 1


def test_lti_routes_have_a_rate_limit_per_address(lti_files, tmp_path):
    settings = lti_settings(tmp_path, *lti_files, rate_limit_lti="3/minute")
    with TestClient(create_app(settings)) as client:
        for _ in range(3):
            assert client.get("/lti/jwks").status_code == 200
        page = client.post("/lti/login", data={"iss": ISS, "login_hint": "1"})
        refused(page, 429, "lti_trop_de_demandes")
        assert int(page.headers["retry-after"]) >= 1
        assert client.get("/lti/lti.css").status_code == 200  # the style sheet is not counted
        assert client.get("/health").status_code in (200, 503)  # nor anything else


def test_a_wrong_client_id_gets_not_for_bagou_not_click_again(gateway, platform, caplog):
    with caplog.at_level(logging.WARNING):
        page = gateway.post("/lti/login", data={"iss": ISS, "login_hint": "17",
                                                "client_id": "un-autre-outil"})
    refused(page, 400, "lti_audience_invalide")
    assert "cliquez de nouveau" not in page.text
    assert "lti_audience_invalide" in caplog.text and "un-autre-outil" in caplog.text


@pytest.mark.parametrize("message_type", [
    "LtiSubmissionReviewRequest", "DataPrivacyLaunchRequest", "LtiStartProctoring"])
def test_a_message_bagou_does_not_handle_gets_a_page_that_says_so(
        gateway, platform, message_type):
    auth = platform.login(gateway)
    page = platform.launch(gateway, auth, platform.id_token(auth, message_type=message_type))
    refused(page, 400, "lti_message_non_pris_en_charge")
    assert "cliquez de nouveau" not in page.text


def test_every_refusal_is_logged_with_its_reason(gateway, platform, caplog):
    auth = platform.login(gateway)
    with caplog.at_level(logging.WARNING, logger="bot.lti"):
        platform.launch(gateway, auth, platform.id_token(auth, deployment="99"))
        gateway.post("/lti/launch", data={"state": "s"})
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("lti_deploiement_inconnu" in line and "deployment" in line for line in lines)
    assert any("lti_demande_incomplete" in line and "no id_token" in line for line in lines)


def test_a_launch_without_e_mail_is_logged_for_the_operator(gateway, platform, caplog):
    auth = platform.login(gateway)
    with caplog.at_level(logging.WARNING, logger="bot.lti"):
        page = platform.launch(gateway, auth, platform.id_token(auth, email=None))
    assert page.status_code == 200
    assert "without e-mail" in caplog.text


def test_the_page_offers_back_to_the_course_when_moodle_gives_the_address(gateway, platform):
    auth = platform.login(gateway)
    back = f"{ISS}/mod/lti/return.php?course=2&launch_container=3&instanceid=5"
    page = platform.launch(gateway, auth, platform.id_token(
        auth, **{LTI + "launch_presentation": {"return_url": back, "document_target": "iframe"}}))
    assert page.status_code == 200
    assert text("lti_retour_cours") in page.text
    assert 'href="' + back.replace("&", "&amp;") + '" target="_top"' in page.text
    # Opened in a new window (a frame that blocks Bagou), the way back is there too.
    link = re.search(r'href="(http://testserver/lti/ouvrir\?ticket=[0-9a-f]+)"', page.text).group(1)
    elsewhere = gateway.get(link)
    assert text("lti_retour_cours") in elsewhere.text
    assert 'href="' + back.replace("&", "&amp;") in elsewhere.text
    auth = platform.login(gateway)  # an address elsewhere is not offered
    page = platform.launch(gateway, auth, platform.id_token(
        auth, **{LTI + "launch_presentation": {"return_url": "https://ailleurs.example/x"}}))
    assert text("lti_retour_cours") not in page.text


# --- deep linking: a teacher chooses where the learners start ----------------------------

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
RETURN_URL = f"{ISS}/mod/lti/contentitem_return.php?course=2&id=3&sesskey=abc"


def deep_linking_request(platform, client, accept_types=("ltiResourceLink",)):
    """What Moodle sends for « Sélectionner un contenu » in the activity's form."""
    auth = platform.login(client)
    return platform.launch(client, auth, platform.id_token(
        auth, roles=(INSTRUCTOR,), email="formatrice@example.org",
        message_type="LtiDeepLinkingRequest", **{DL + "deep_linking_settings": {
            "deep_link_return_url": RETURN_URL, "accept_types": list(accept_types),
            "accept_presentation_document_targets": ["frame", "iframe", "window"],
            "accept_multiple": False, "auto_create": False, "title": "", "text": "",
            "data": "donnees-opaques-de-moodle"}}))


def tool_key(client):
    jwk = client.get("/lti/jwks").json()["keys"][0]
    return jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(jwk))


def choose(client, page, start: str):
    choice = re.search(r'name="choix" value="([0-9a-f]+)"', page.text).group(1)
    return client.post("/lti/lien", data={"choix": choice, "depart": start})


def test_a_deep_linking_request_shows_the_starts_to_choose(gateway, platform):
    page = deep_linking_request(platform, gateway)
    assert page.status_code == 200, page.text
    assert 'data-page="choix"' in page.text and text("lti_choix_titre") in page.text
    starts = re.findall(r'name="depart" value="([^"]+)"', page.text)
    assert starts[0] == "discussion" and "theme:partager_badge" in starts and "cours" in starts
    assert text("lti_depart_cours") in page.text
    assert all_topics()["partager_badge"].title in page.text.replace("&#x27;", "'")


@pytest.mark.parametrize("start", ["cours", "theme:partager_badge", "discussion"])
def test_the_choice_goes_back_to_moodle_as_a_signed_deep_linking_response(
        gateway, platform, start):
    answer = choose(gateway, deep_linking_request(platform, gateway), start)
    assert answer.status_code == 200, answer.text
    action = re.search(r'<form method="post" action="([^"]+)" data-auto>', answer.text).group(1)
    assert action == RETURN_URL.replace("&", "&amp;")
    assert '<script src="/lti/lti.js" defer></script>' in answer.text  # posts it at once
    # The page may post its form to Moodle, and to Moodle only.
    csp = answer.headers["content-security-policy"]
    assert f"form-action 'self' {ISS}" in csp and "unsafe-inline" not in csp
    token = re.search(r'name="JWT" value="([^"]+)"', answer.text).group(1)
    claims = jwt.decode(token, tool_key(gateway), algorithms=["RS256"], audience=ISS)
    assert claims["iss"] == CLIENT_ID
    assert claims[LTI + "message_type"] == "LtiDeepLinkingResponse"
    assert claims[LTI + "deployment_id"] == DEPLOYMENT
    assert claims[DL + "data"] == "donnees-opaques-de-moodle"
    (item,) = claims[DL + "content_items"]
    assert item["type"] == "ltiResourceLink" and item["url"] == "http://testserver/lti/launch"
    assert item["custom"] == {"bagou_depart": start} and item["title"].startswith("Bagou")
    # A start that Bagou does not know is refused.
    refused(choose(gateway, deep_linking_request(platform, gateway), "inconnu"), 400,
            "lti_demande_incomplete")


def test_a_choice_page_serves_once(gateway, platform):
    page = deep_linking_request(platform, gateway)
    assert choose(gateway, page, "cours").status_code == 200
    refused(choose(gateway, page, "cours"), 403, "lti_lien_utilise")


def test_a_deep_linking_request_for_files_only_gets_a_page_that_says_so(gateway, platform):
    page = deep_linking_request(platform, gateway, accept_types=("file", "html"))
    refused(page, 400, "lti_message_non_pris_en_charge")
    assert "cliquez de nouveau" not in page.text


@pytest.mark.parametrize("start, first", [
    ("cours", "/autoformation_module"),
    ("theme:partager_badge", None),  # the topic's title, below
    ("discussion", ""),
    ("pas-un-depart", ""),
])
def test_the_launch_of_a_chosen_link_opens_bagou_on_that_start(gateway, platform, start, first):
    sent = []

    async def send_first(session_id, message):
        sent.append((session_id, message))
    gateway.app.state.lti.send_first = send_first
    page = platform.open(gateway, **{LTI + "custom": {"bagou_depart": start}})
    session = session_of(gateway, page.text)
    if first == "":
        assert sent == []
    else:
        expected = first or all_topics()["partager_badge"].title
        assert sent == [(session.id, expected)]


def test_bagou_still_opens_when_the_first_message_gets_no_answer(gateway, platform, caplog):
    async def send_first(session_id, message):
        raise RuntimeError("Rasa ne répond pas")
    gateway.app.state.lti.send_first = send_first
    auth = platform.login(gateway)
    with caplog.at_level(logging.WARNING, logger="bot.lti"):
        page = platform.launch(gateway, auth, platform.id_token(
            auth, **{LTI + "custom": {"bagou_depart": "cours"}}))
    assert page.status_code == 200 and '<bagou-chat session="' in page.text
    assert "first message was not answered" in caplog.text


# --- dynamic registration: Moodle registers Bagou from one URL -----------------------------


@pytest.fixture()
def registering(tmp_path):
    """A Moodle whose issuer is its own address (as $CFG->wwwroot), not yet known."""
    emulator = Platform()
    emulator.iss = emulator.base
    with console_for_moodle(tmp_path) as client:
        yield emulator, client
    emulator.close()


def registration_url(client) -> str:
    page = client.get("/conseiller/moodle")
    made = client.post("/conseiller/moodle/lien", data={"csrf": csrf_of(page)})
    assert made.status_code == 200, made.text
    assert "data-lien-inscription" in made.text
    return re.search(r'value="(https://testserver/lti/inscription/[^"]+)"', made.text).group(1)


def open_as_moodle(client, platform, url, token=None):
    """What Moodle does with the URL pasted in « Gérer les outils »."""
    return client.get(url, params={
        "openid_configuration": f"{platform.base}/mod/lti/openid-configuration.php",
        "registration_token": token or platform.registration_token})


def decide_in_console(client, platform, decision: str):
    page = client.get("/conseiller/moodle")
    row = re.search(r'data-inscription="(\d+)"', page.text).group(1)
    answer = client.post("/conseiller/moodle/decision", data={
        "csrf": csrf_of(page), "id": row, "decision": decision})
    assert answer.status_code == 200, answer.text
    return answer


def test_moodle_registers_bagou_from_one_url_and_launches_wait_for_approval(registering):
    platform, client = registering
    refused(client.post("/lti/login", data={"iss": platform.iss, "login_hint": "1"}),
            503, "lti_non_configure")
    assert sign_in(client, "chef").status_code == 303
    assert text("lti_console_aucun_site") in client.get("/conseiller/moodle").text.replace(
        "&#39;", "'")
    url = registration_url(client)

    page = open_as_moodle(client, platform, url)
    assert page.status_code == 200, page.text
    assert 'data-message="lti_inscription_faite"' in page.text and "data-lti-close" in page.text
    assert '<script src="/lti/lti.js" defer></script>' in page.text
    # Moodle shows it in a frame of its own page.
    assert f"frame-ancestors 'self' {platform.base}" in page.headers["content-security-policy"]
    (sent,) = platform.registrations  # Moodle's checks passed (registration_to_config)
    assert sent["initiate_login_uri"] == "https://testserver/lti/login"
    assert sent["redirect_uris"] == ["https://testserver/lti/launch"]
    assert sent["jwks_uri"] == "https://testserver/lti/jwks"
    tool = sent["https://purl.imsglobal.org/spec/lti-tool-configuration"]
    assert "email" in tool["claims"] and tool["domain"] == "testserver"
    assert {m["type"] for m in tool["messages"]} == {"LtiResourceLinkRequest",
                                                   "LtiDeepLinkingRequest"}
    refused_again = open_as_moodle(client, platform, url)  # the URL serves once
    assert refused_again.status_code == 403
    assert 'data-message="lti_inscription_lien_invalide"' in refused_again.text

    # Pending: Moodle's launches get « waiting for approval », at login and at launch.
    refused(client.post("/lti/login", data={"iss": platform.iss, "login_hint": "17",
                                            "client_id": platform.client_id}),
            403, "lti_en_attente")
    listing = client.get("/conseiller/moodle").text
    assert platform.client_id in listing and 'data-etat="pending"' in listing
    assert platform.iss in listing and "4.5.1" in listing

    decide_in_console(client, platform, "accepter")
    auth = platform.login(client)
    page = platform.launch(client, auth, platform.id_token(auth))
    assert page.status_code == 200, page.text
    assert session_of(client, page.text).identity_source == f"lti:{platform.iss}"
    assert f"frame-ancestors 'self' {platform.iss}" in page.headers["content-security-policy"]

    decide_in_console(client, platform, "refuser")
    refused(client.post("/lti/login", data={"iss": platform.iss, "login_hint": "17",
                                            "client_id": platform.client_id}),
            400, "lti_plateforme_inconnue")


def test_a_failed_registration_says_so_and_the_url_works_again(registering, caplog):
    platform, client = registering
    assert sign_in(client, "chef").status_code == 303
    url = registration_url(client)
    right_issuer, platform.iss = platform.iss, "https://ailleurs.example"
    with caplog.at_level(logging.WARNING, logger="bot.lti"):
        page = open_as_moodle(client, platform, url)
    assert page.status_code == 502 and 'data-message="lti_inscription_echec"' in page.text
    assert "is not the origin of" in caplog.text and platform.registrations == []
    platform.iss = right_issuer
    # A token that Moodle did not make: Moodle refuses the registration.
    assert open_as_moodle(client, platform, url, token="un-autre-jeton").status_code == 502
    assert "HTTP 401" in caplog.text
    assert open_as_moodle(client, platform, url).status_code == 200


def test_the_json_file_and_the_registrations_work_side_by_side(
        platform, lti_files, tmp_path):
    work, config = lti_files
    other = Platform()
    other.iss, other.client_id = other.base, "dyn-client"
    settings = lti_settings(tmp_path, work, config)
    try:
        with TestClient(create_app(settings)) as client:
            client.db_url = settings.database_url
            sessions = make_sessionmaker(make_engine(settings.database_url))
            registrations.store(sessions, registrations.Registered(
                issuer=other.iss, client_id=other.client_id, deployment_id=DEPLOYMENT,
                auth_login_url=f"{other.iss}/mod/lti/auth.php",
                auth_token_url=f"{other.iss}/mod/lti/token.php", key_set_url=other.jwks_url,
                platform={}))
            (row,) = registrations.all_registrations(sessions)
            registrations.decide(sessions, row.id, registrations.APPROVED, "chef")
            for emulator in (platform, other):  # the file's Moodle, the registered one
                client.cookies.clear()
                auth = emulator.login(client)
                page = emulator.launch(client, auth, emulator.id_token(auth))
                assert page.status_code == 200, page.text
                assert session_of(client, page.text).identity_source == f"lti:{emulator.iss}"
    finally:
        other.close()


def test_only_an_administrator_of_bagou_makes_registration_urls(registering):
    platform, client = registering
    assert sign_in(client, "conseil").status_code == 303
    assert client.get("/conseiller/moodle").status_code == 403
    refused_page = client.post("/lti/inscription/un-jeton-invente", params={})
    assert refused_page.status_code == 405
    page = open_as_moodle(client, platform, "https://testserver/lti/inscription/invente")
    assert page.status_code == 403 and platform.registrations == []


def test_lti_tables_match_the_migrations(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bot.db.models import Base

    engine = make_engine(f"sqlite:///{tmp_path / 'bagou.db'}")
    upgrade_schema(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert not [d for d in diff if "lti_" in repr(d)], diff


# --- the key set cache, alone (a fake clock, httpx's mock transport) ---------------------


def key_server(answers: list):
    """A transport that gives the next answer at each request, and counts them."""
    seen = []

    def handle(request):
        seen.append(request.url)
        return answers[min(len(seen), len(answers)) - 1]
    return httpx.MockTransport(handle), seen


def jwks_of(*kids):
    return {"keys": [{"kty": "RSA", "kid": kid, "n": "x", "e": "AQAB"} for kid in kids]}


def test_key_sets_are_kept_as_long_as_their_cache_control_says_within_bounds():
    clock = FakeClock()
    transport, seen = key_server([httpx.Response(
        200, json=jwks_of("a"), headers={"Cache-Control": "public, max-age=120"})])
    keys = PlatformKeys(transport=transport, clock=clock)
    url = "https://moodle.example.test/mod/lti/certs.php"
    assert asyncio.run(keys.key_set(url, "a"))["keys"][0]["kid"] == "a"
    clock.now += 119
    asyncio.run(keys.key_set(url, "a"))
    assert len(seen) == 1
    clock.now += 2
    asyncio.run(keys.key_set(url, "a"))
    assert len(seen) == 2
    assert keys._ttl("max-age=5") == keys.min_ttl and keys._ttl("max-age=999999") == keys.max_ttl
    assert keys._ttl("no-store") == keys.min_ttl and keys._ttl("") == keys.default_ttl


@pytest.mark.parametrize("answer, reason", [
    (httpx.Response(200, content=b"{" + b" " * 300_000 + b"}"), "larger than"),
    (httpx.Response(200, content=b"<html>"), "not JSON"),
    (httpx.Response(200, json={"clés": []}), "not a JWKS"),
    (httpx.Response(500, text="oops"), "HTTP 500"),
])
def test_a_broken_key_set_is_refused_and_not_asked_again_for_a_while(answer, reason):
    clock = FakeClock()
    transport, seen = key_server([answer])
    keys = PlatformKeys(transport=transport, clock=clock)
    url = "https://moodle.example.test/mod/lti/certs.php"
    with pytest.raises(KeySetError, match=reason):
        asyncio.run(keys.key_set(url, "a"))
    with pytest.raises(KeySetError, match="failed"):
        asyncio.run(keys.key_set(url, "a"))
    assert len(seen) == 1
    clock.now += keys.failure_backoff + 1
    with pytest.raises(KeySetError):
        asyncio.run(keys.key_set(url, "a"))
    assert len(seen) == 2


def test_concurrent_launches_share_one_fetch_and_an_old_set_outlives_an_outage():
    clock = FakeClock()
    transport, seen = key_server([httpx.Response(200, json=jwks_of("a")),
                                  httpx.Response(503)])
    keys = PlatformKeys(transport=transport, clock=clock)
    url = "https://moodle.example.test/mod/lti/certs.php"

    async def many():
        return await asyncio.gather(*(keys.key_set(url, "a") for _ in range(30)))
    assert len(asyncio.run(many())) == 30 and len(seen) == 1
    clock.now += keys.max_ttl + 1  # expired, and the platform is down: the old set serves
    assert asyncio.run(keys.key_set(url, "a"))["keys"][0]["kid"] == "a"
    assert len(seen) == 2


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
