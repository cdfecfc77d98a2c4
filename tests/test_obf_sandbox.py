"""The OBF sandbox, as an OBF client sees it: tokens, the v2 and v1 shapes of
docs/obf-api.md, filters, paging, errors, and the demo data it starts with."""

import base64
import json
import logging
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from bot.app import create_app
from bot.db.engine import make_engine
from bot.obf.parcours import badge_key, load_parcours, next_steps
from bot.obf.settings import SANDBOX_POINT_INFO_BADGE_ID
from bot.obf_sandbox import DEMO_CLIENT_ID as CLIENT, DEMO_CLIENT_SECRET as SECRET
from bot.obf_sandbox import credentials
from bot.obf_sandbox.seed import counts, load_seed, seed
from bot.ops.supervisor import throwaway_settings

BASE = "/obf-sandbox"
LEA, SAM, NOUR = "lea.martin@example.org", "sam.durand@example.org", "nour.benali@example.org"
ACCOMPANIER_BADGES = ["Point Info Badge", "Conseil Badge", "Référent Badge"]
# A second organisation, to show that one client's token opens nothing of another's.
OTHER = {"id": "autre-structure", "secret": "autre-secret", "name": "Autre structure",
         "badges": [{"name": "Badge privé"}],
         "events": [{"badge": "Badge privé", "issued_on": "2025-01-01",
                     "recipients": [{"email": LEA}]}]}


@pytest.fixture
def settings(tmp_path):
    return throwaway_settings(tmp_path)


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def engine(settings):
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


def get_token(client, client_id=CLIENT, secret=SECRET, version="v2") -> str:
    response = client.post(f"{BASE}/{version}/client/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


@pytest.fixture
def auth(client):
    return {"Authorization": f"Bearer {get_token(client)}"}


# The tests whose requests are all refused share one sandbox, made once: an app and its
# database cost a quarter of a second, and these are half of the cases of this module.
@pytest.fixture(scope="module")
def refusing_client(tmp_path_factory):
    settings = throwaway_settings(tmp_path_factory.mktemp("sandbox"))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def refusing_auth(refusing_client):
    return {"Authorization": f"Bearer {get_token(refusing_client)}"}


def get(client, auth, path, **params):
    response = client.get(f"{BASE}{path}", headers=auth, params=params)
    assert response.status_code == 200, response.text
    return response


def lines(response) -> list[dict]:
    """A v1 list, read the way OBF clients read it: split lines, parse each one."""
    assert response.headers["content-type"].startswith(("application/x-ndjson", "text/plain"))
    return [json.loads(line) for line in response.text.splitlines() if line.strip()]


def whole_list(client, auth, path, page_size, **params) -> list[dict]:
    """Pages through a v2 list as local_obf does: until offset reaches total."""
    found, offset = [], 0
    while True:
        body = get(client, auth, path, limit=page_size, offset=offset, **params).json()
        found += body["result"]
        offset += page_size
        if offset >= body["total"]:
            assert len(found) == body["total"]
            return found


def events_of(client, auth, email) -> dict[str, dict]:
    """v2 events of one learner, by badge name."""
    result = get(client, auth, f"/v2/event/{CLIENT}", email=email).json()["result"]
    return {e["name"]: e for e in result}


# --- tokens ---------------------------------------------------------------------------

def test_a_token_comes_from_form_basic_auth_or_v1_json(client):
    form = {"grant_type": "client_credentials", "client_id": CLIENT, "client_secret": SECRET}
    response = client.post(f"{BASE}/v2/client/oauth2/token", data=form)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 0 and body["access_token"]
    assert response.headers["cache-control"] == "no-store"

    basic = base64.b64encode(f"{CLIENT}:{SECRET}".encode()).decode()
    response = client.post(f"{BASE}/v2/client/oauth2/token",
                           data={"grant_type": "client_credentials"},
                           headers={"Authorization": f"Basic {basic}"})
    assert response.status_code == 200

    response = client.post(f"{BASE}/v1/client/oauth2/token", json=form)
    assert response.status_code == 200
    token = response.json()["access_token"]
    assert get(client, {"Authorization": f"Bearer {token}"}, f"/v1/ping/{CLIENT}").text == CLIENT


@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize("client_id, secret", [
    (CLIENT, "wrong-secret"), (CLIENT, ""), ("nobody", SECRET), ("", ""),
])
def test_wrong_credentials_get_401_invalid_client(refusing_client, version, client_id, secret):
    response = refusing_client.post(f"{BASE}/{version}/client/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_other_grant_types_are_refused(client):
    response = client.post(f"{BASE}/v2/client/oauth2/token", data={
        "grant_type": "password", "client_id": CLIENT, "client_secret": SECRET})
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_asking_again_within_ten_seconds_gives_the_same_token(client, monkeypatch):
    now = int(time.time())
    monkeypatch.setattr(credentials, "clock", lambda: now)
    first = get_token(client)
    monkeypatch.setattr(credentials, "clock", lambda: now + 9)
    again = client.post(f"{BASE}/v2/client/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": CLIENT, "client_secret": SECRET})
    assert again.json()["access_token"] == first
    assert again.json()["expires_in"] == credentials.TOKEN_LIFETIME - 9
    monkeypatch.setattr(credentials, "clock", lambda: now + 11)
    second = get_token(client)
    assert second != first
    # The first token stays valid until it expires.
    for token in (first, second):
        get(client, {"Authorization": f"Bearer {token}"}, f"/v2/client/{CLIENT}/ping")


AUTHENTICATED = [
    "/v2/client/{c}/ping", "/v2/client/{c}", "/v2/badge/{c}", "/v2/event/{c}",
    "/v2/event/{c}/recipient", "/v2/earnablebadge/{c}", "/v1/ping/{c}", "/v1/client/{c}",
    "/v1/badge/{c}", "/v1/event/{c}", "/v1/earnablebadge/{c}/",
]


@pytest.mark.parametrize("path", AUTHENTICATED)
def test_routes_without_a_valid_token_answer_403(refusing_client, path):
    url = BASE + path.format(c=CLIENT)
    for headers in ({}, {"Authorization": "Bearer not-a-token"},
                    {"Authorization": f"Basic {base64.b64encode(b'bagou-demo:x').decode()}"}):
        response = refusing_client.get(url, headers=headers)
        assert response.status_code == 403, (headers, response.text)
        assert response.json()["error"]


def test_an_expired_token_gets_403_and_a_new_token_works(client, monkeypatch):
    token = get_token(client)
    later = int(time.time()) + credentials.TOKEN_LIFETIME + 1
    monkeypatch.setattr(credentials, "clock", lambda: later)
    response = client.get(f"{BASE}/v2/badge/{CLIENT}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    fresh = get_token(client)
    assert fresh != token
    get(client, {"Authorization": f"Bearer {fresh}"}, f"/v2/badge/{CLIENT}")


def test_one_organisations_token_opens_nothing_of_another(client, engine, auth):
    with Session(engine) as session:
        seed(session, {"organisations": [OTHER]})
    response = client.get(f"{BASE}/v2/event/{OTHER['id']}", headers=auth)
    assert response.status_code == 403
    other_auth = {"Authorization": f"Bearer {get_token(client, OTHER['id'], OTHER['secret'])}"}
    events = get(client, other_auth, f"/v2/event/{OTHER['id']}", email=LEA).json()["result"]
    assert [e["name"] for e in events] == ["Badge privé"]
    # …and the demo organisation's events of the same learner do not include it.
    assert "Badge privé" not in events_of(client, auth, LEA)
    response = client.get(f"{BASE}/v2/event/{OTHER['id']}/{events[0]['id']}", headers=auth)
    assert response.status_code == 403


# --- organisation and ping ------------------------------------------------------------

def test_ping_and_organisation(client, auth):
    assert get(client, auth, f"/v2/client/{CLIENT}/ping").text == CLIENT
    assert get(client, auth, f"/v1/ping/{CLIENT}").text == CLIENT
    for version in ("v1", "v2"):
        organisation = get(client, auth, f"/{version}/client/{CLIENT}").json()
        assert organisation["id"] == CLIENT
        assert organisation["name"] == "Lieux de la reconnaissance — démo"


# --- badges ---------------------------------------------------------------------------

def test_v2_badge_list_has_obf_shape_and_pages(client, auth):
    body = get(client, auth, f"/v2/badge/{CLIENT}").json()
    assert set(body) == {"result", "total"} and body["total"] == len(body["result"]) == 13
    item = body["result"][0]
    assert {"id", "name", "description", "image", "primary_language", "languages", "category",
            "tag", "draft", "ctime", "mtime"} <= set(item)
    assert item["primary_language"] == "fr" and isinstance(item["ctime"], int)

    paged = whole_list(client, auth, f"/v2/badge/{CLIENT}", page_size=5)
    assert [b["id"] for b in paged] == [b["id"] for b in body["result"]]
    assert len({b["id"] for b in paged}) == 13

    published = get(client, auth, f"/v2/badge/{CLIENT}", draft=0).json()
    assert published["total"] == 12 and not any(b["draft"] for b in published["result"])
    past_the_end = get(client, auth, f"/v2/badge/{CLIENT}", offset=50).json()
    assert past_the_end == {"result": [], "total": 13}


def test_the_three_accompanier_badges_are_there_with_french_content(client, auth):
    badges = {b["name"]: b for b in get(client, auth, f"/v2/badge/{CLIENT}").json()["result"]}
    assert set(ACCOMPANIER_BADGES) <= set(badges)
    detail = get(client, auth, f"/v2/badge/{CLIENT}/{badges['Conseil Badge']['id']}").json()
    (content,) = detail["content"]
    assert content["language"] == "fr" and content["name"] == "Conseil Badge"
    assert content["description"] and "Point Info Badge" in content["criteria"]
    image = client.get(detail["image"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/svg+xml"

    v1 = get(client, auth, f"/v1/badge/{CLIENT}/{badges['Référent Badge']['id']}").json()
    assert v1["name"] == "Référent Badge" and v1["criteria_html"].startswith("<p>")


def test_v1_badge_list_is_line_delimited_json_and_filters(client, auth):
    badges = lines(get(client, auth, f"/v1/badge/{CLIENT}"))
    assert len(badges) == 13 and all(b["client_id"] == CLIENT for b in badges)
    accompanying = lines(get(client, auth, f"/v1/badge/{CLIENT}", category="Accompagnement"))
    assert sorted(b["name"] for b in accompanying) == sorted(ACCOMPANIER_BADGES)
    two = "|".join(b["id"] for b in accompanying[:2])
    assert len(lines(get(client, auth, f"/v1/badge/{CLIENT}", id=two))) == 2


def test_unknown_badge_or_event_gets_404(client, auth):
    for path in (f"/v2/badge/{CLIENT}/NOPE", f"/v1/badge/{CLIENT}/NOPE",
                 f"/v2/event/{CLIENT}/NOPE", f"/v1/event/{CLIENT}/NOPE",
                 f"/v1/event/{CLIENT}/NOPE/assertion", f"/v1/event/{CLIENT}/NOPE/revoked"):
        response = client.get(BASE + path, headers=auth)
        assert response.status_code == 404, path
        assert response.json()["error"] == "not_found"


# --- events and recipients ------------------------------------------------------------

def test_v2_events_of_a_learner_whatever_the_case_of_the_address(client, auth):
    lea = events_of(client, auth, LEA)
    assert set(lea) == {"Point Info Badge", "Communiquer à l'oral",
                        "Premiers secours citoyens", "Usages du numérique"}
    assert events_of(client, auth, "Lea.Martin@EXAMPLE.org") == lea
    assert set(events_of(client, auth, SAM)) == {"Travailler en équipe", "S'organiser"}
    assert events_of(client, auth, NOUR) == {}
    assert lea["Premiers secours citoyens"]["expires_on"] < time.time()
    event = lea["Communiquer à l'oral"]
    assert {"id", "badge_id", "issued_on", "expires_on", "recipient_count",
            "api_consumer_id", "ctime"} <= set(event)
    assert event["api_consumer_id"] == "Moodle"

    team = events_of(client, auth, SAM)["Travailler en équipe"]
    assert team["recipient_count"] == 4  # filtering by e-mail matters
    moodle = get(client, auth, f"/v2/event/{CLIENT}", api_consumer_id="Moodle").json()
    assert moodle["total"] == 2


def test_v2_event_filters_badge_and_dates(client, auth):
    lea = events_of(client, auth, LEA)
    badge_id = lea["Point Info Badge"]["badge_id"]
    by_badge = get(client, auth, f"/v2/event/{CLIENT}", badge_id=badge_id).json()
    assert [e["name"] for e in by_badge["result"]] == ["Point Info Badge"]
    issued = lea["Communiquer à l'oral"]["issued_on"]
    since = get(client, auth, f"/v2/event/{CLIENT}", email=LEA, begin=issued).json()
    assert [e["name"] for e in since["result"]] == ["Communiquer à l'oral"]
    until = get(client, auth, f"/v2/event/{CLIENT}", email=LEA, end=issued - 1).json()
    assert since["total"] + until["total"] == 4


def test_v2_single_event_embeds_its_badge(client, auth):
    event_id = events_of(client, auth, LEA)["Communiquer à l'oral"]["id"]
    event = get(client, auth, f"/v2/event/{CLIENT}/{event_id}").json()
    assert event["badge"]["content"][0]["name"] == "Communiquer à l'oral"
    assert json.loads(event["log_entry"])["course_name"] == "Prendre la parole"


def test_recipient_rows_keep_only_the_asked_learner(client, auth):
    rows = get(client, auth, f"/v2/event/{CLIENT}/recipient", email=LEA).json()
    assert rows["total"] == 4
    assert {r["email"] for r in rows["result"]} == {LEA}
    assert {"event_id", "assertion_id", "email", "name", "receive_url", "assertion_json_url",
            "received", "in_passport", "pdf_downloaded", "issued_on", "expires_on",
            "revoked"} <= set(rows["result"][0])
    by_event = {r["event_id"]: r for r in rows["result"]}
    lea = events_of(client, auth, LEA)
    assert by_event[lea["Usages du numérique"]["id"]]["revoked"] is True
    assert by_event[lea["Point Info Badge"]["id"]]["in_passport"] is True
    assert sum(r["revoked"] for r in rows["result"]) == 1

    # The group event has 4 recipients; asked for Sam, only Sam's row comes back.
    team = events_of(client, auth, SAM)["Travailler en équipe"]["id"]
    everyone = get(client, auth, f"/v2/event/{CLIENT}/recipient", event_id=team).json()
    assert everyone["total"] == 4
    sam = get(client, auth, f"/v2/event/{CLIENT}/recipient", event_id=team, email=SAM).json()
    assert [r["email"] for r in sam["result"]] == [SAM] and sam["total"] == 1
    assert get(client, auth, f"/v2/event/{CLIENT}/recipient", email=NOUR).json() == {
        "result": [], "total": 0}
    assert whole_list(client, auth, f"/v2/event/{CLIENT}/recipient", 3, email=LEA) == \
        rows["result"]


def test_assertion_json_url_resolves_on_the_host_the_client_used(client, auth):
    rows = get(client, auth, f"/v2/event/{CLIENT}/recipient", email=LEA).json()["result"]
    valid = next(r for r in rows if not r["revoked"])
    assert valid["assertion_json_url"] == (
        f"http://testserver{BASE}/obv3/credentials/{valid['assertion_id']}.json")
    credential = client.get(valid["assertion_json_url"])  # public, no token
    assert credential.status_code == 200
    body = credential.json()
    assert "OpenBadgeCredential" in body["type"]
    assert body["credentialSubject"]["achievement"]["name"]
    assert LEA not in credential.text  # only a salted hash of the address
    revoked = next(r for r in rows if r["revoked"])
    assert client.get(revoked["assertion_json_url"]).status_code == 410
    assert client.get(valid["receive_url"]).status_code == 200
    assert client.get(f"{BASE}/obv3/credentials/unknown.json").status_code == 404


# --- v1 events ------------------------------------------------------------------------

def test_v1_events_are_lines_with_recipients_and_revoked_map(client, auth):
    events = lines(get(client, auth, f"/v1/event/{CLIENT}", email=LEA))
    assert len(events) == 4 and all(LEA in e["recipient"] for e in events)
    digital = next(e for e in events if e["name"] == "Usages du numérique")
    assert set(digital["revoked"]) == {LEA}
    assert isinstance(digital["revoked"][LEA], int)

    revoked = get(client, auth, f"/v1/event/{CLIENT}/{digital['id']}/revoked").json()
    assert revoked == {"revoked": {LEA: digital["revoked"][LEA]}}
    assert get(client, auth, f"/v1/event/{CLIENT}/{digital['id']}").json()["id"] == digital["id"]

    oldest_first = lines(get(client, auth, f"/v1/event/{CLIENT}", email=LEA, order_by="asc"))
    assert [e["id"] for e in oldest_first] == [e["id"] for e in reversed(events)]
    assert len(lines(get(client, auth, f"/v1/event/{CLIENT}", email=f"{LEA}|{SAM}"))) == 6
    assert lines(get(client, auth, f"/v1/event/{CLIENT}", email=NOUR)) == []
    assert len(lines(get(client, auth, f"/v1/event/{CLIENT}", limit=2, offset=1))) == 2


def test_v1_assertions_of_an_event_filtered_by_email(client, auth):
    digital = next(e for e in lines(get(client, auth, f"/v1/event/{CLIENT}", email=LEA))
                   if e["name"] == "Usages du numérique")
    path = f"/v1/event/{CLIENT}/{digital['id']}/assertion"
    assert len(lines(get(client, auth, path))) == 2
    (camille,) = lines(get(client, auth, path, email="Camille.Petit@example.org"))
    assert set(camille) == {"id", "image", "json", "pdf", "recipient", "status"}
    assert camille["recipient"] == "camille.petit@example.org"
    assert camille["status"] == "accepted" and camille["pdf"]["fr"]
    (lea,) = lines(get(client, auth, path, email=LEA))
    assert lea["status"] == "revoked"
    assert client.get(camille["json"]).status_code == 200
    assert client.get(camille["pdf"]["fr"]).status_code == 200


# --- issuing --------------------------------------------------------------------------

def point_info_id(client, auth) -> str:
    badges = {b["name"]: b for b in get(client, auth, f"/v2/badge/{CLIENT}").json()["result"]}
    return badges["Point Info Badge"]["id"]


def test_point_info_badge_has_the_id_of_the_settings_and_the_course_criteria(client, auth):
    assert point_info_id(client, auth) == SANDBOX_POINT_INFO_BADGE_ID
    detail = get(client, auth, f"/v2/badge/{CLIENT}/{SANDBOX_POINT_INFO_BADGE_ID}").json()
    (content,) = detail["content"]
    assert "Je sais expliquer" in content["description"]
    for step in ("décrire", "obtenir", "partager", "enrichir", "endossement"):
        assert step in content["criteria"]


def test_issue_v2_makes_an_event_that_every_list_shows(client, auth):
    email = "nouvelle.apprenante@example.org"
    response = client.post(f"{BASE}/v2/event/{CLIENT}/{SANDBOX_POINT_INFO_BADGE_ID}/issue",
                           headers=auth, json={
                               "recipient": [{"email": "Nouvelle.Apprenante@Example.org",
                                              "name": "Nouvelle Apprenante"}],
                               "issued_on": 1764547200, "api_consumer_id": "Bagou",
                               "send_email": True, "log_entry": {"bagou_issue_key": "abc"}})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body == {"success": True, "message": "", "resource_type": "event",
                    "resource_id": body["resource_id"], "count": None}
    event_id = body["resource_id"]
    assert len(event_id) == 13 and response.headers["location"].endswith(f"/{event_id}")

    (event,) = get(client, auth, f"/v2/event/{CLIENT}", email=email).json()["result"]
    assert (event["id"], event["name"], event["issued_on"], event["api_consumer_id"]) == (
        event_id, "Point Info Badge", 1764547200, "Bagou")
    detail = get(client, auth, f"/v2/event/{CLIENT}/{event_id}").json()
    assert json.loads(detail["log_entry"]) == {"bagou_issue_key": "abc"}
    (row,) = get(client, auth, f"/v2/event/{CLIENT}/recipient", email=email).json()["result"]
    assert row["event_id"] == event_id and row["name"] == "Nouvelle Apprenante"
    assert row["revoked"] is False and row["received"] is False
    (v1,) = lines(get(client, auth, f"/v1/event/{CLIENT}", email=email))
    assert v1["recipient"] == [email] and v1["badge_id"] == SANDBOX_POINT_INFO_BADGE_ID
    credential = client.get(row["assertion_json_url"])
    assert credential.status_code == 200 and email not in credential.text
    assert credential.json()["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    # Issuing again makes another event, as OBF does: not issuing twice is the
    # client's job (bot/obf/client.py, issue_badge_once).
    again = client.post(f"{BASE}/v2/event/{CLIENT}/{SANDBOX_POINT_INFO_BADGE_ID}/issue",
                        headers=auth, json={"recipient": [{"email": email}]})
    assert again.status_code == 201
    assert len(get(client, auth, f"/v2/event/{CLIENT}", email=email).json()["result"]) == 2


def test_issue_v1_answers_201_with_the_event_location(client, auth):
    response = client.post(f"{BASE}/v1/badge/{CLIENT}/{SANDBOX_POINT_INFO_BADGE_ID}",
                           headers=auth, json={"recipient": ["Jo Dupont <jo.dupont@example.org>",
                                                             "autre@example.org"],
                                               "send_email": 0})
    assert response.status_code == 201 and response.content == b""
    location = response.headers["location"]
    assert location.startswith(f"/v1/event/{CLIENT}/")
    event = get(client, auth, location).json()
    assert sorted(event["recipient"]) == ["autre@example.org", "jo.dupont@example.org"]
    assert abs(event["issued_on"] - time.time()) < 60  # no issued_on: now
    (assertion,) = lines(get(client, auth, f"{location}/assertion", email="jo.dupont@example.org"))
    assert assertion["status"] == "pending" and client.get(assertion["json"]).status_code == 200


def test_issue_needs_a_token_of_the_organisation(client, engine):
    with Session(engine) as session:
        seed(session, {"organisations": [OTHER]})
    other = {"Authorization": f"Bearer {get_token(client, OTHER['id'], OTHER['secret'])}"}
    for path in (f"/v2/event/{CLIENT}/{SANDBOX_POINT_INFO_BADGE_ID}/issue",
                 f"/v1/badge/{CLIENT}/{SANDBOX_POINT_INFO_BADGE_ID}"):
        for headers in ({}, {"Authorization": "Bearer not-a-token"}, other):
            response = client.post(BASE + path, headers=headers,
                                   json={"recipient": [{"email": NOUR}]})
            assert response.status_code == 403, (path, headers)
    demo = {"Authorization": f"Bearer {get_token(client)}"}
    assert events_of(client, demo, NOUR) == {}


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_issue_refuses_what_it_cannot_issue(client, auth, version):
    def post(badge_id, **kwargs):
        path = (f"/v2/event/{CLIENT}/{badge_id}/issue" if version == "v2"
                else f"/v1/badge/{CLIENT}/{badge_id}")
        kwargs.setdefault("headers", auth)
        return client.post(BASE + path, **kwargs)

    badges = {b["name"]: b["id"] for b in get(client, auth, f"/v2/badge/{CLIENT}").json()["result"]}
    ok = {"recipient": [NOUR]}
    assert post("NOPE", json=ok).status_code == 404
    for kwargs in ({"json": {}}, {"json": {"recipient": []}}, {"json": []},
                   {"json": {"recipient": ["pas une adresse"]}},
                   {"json": {"recipient": [{"email": 3}]}},
                   {"json": {"recipient": [NOUR], "issued_on": "hier"}},
                   {"json": {"recipient": [NOUR], "issued_on": 1764547200000}},
                   {"json": {"recipient": [NOUR], "log_entry": [1]}},
                   {"json": {"recipient": [NOUR] * 1001}},
                   {"content": b"{", "headers": {**auth, "Content-Type": "application/json"}},
                   {"content": b""}):
        response = post(SANDBOX_POINT_INFO_BADGE_ID, **kwargs)
        assert response.status_code == 400, (kwargs, response.text)
        assert response.json()["error"] == "invalid_parameter"
        assert "@" not in response.text  # no address echoed back
    draft = post(badges["Résoudre un problème"], json=ok)
    assert draft.status_code == 400 and "draft" in draft.json()["message"]
    assert events_of(client, auth, NOUR) == {}


# --- earnable badges ------------------------------------------------------------------

def test_earnable_badges_v1_and_v2(client, auth):
    v1 = lines(get(client, auth, f"/v1/earnablebadge/{CLIENT}/"))
    assert len(v1) == 6
    assert set(v1[0]) == {"id", "badge_id", "name", "description", "approval_method",
                          "visible", "url"}
    assert lines(get(client, auth, f"/v1/earnablebadge/{CLIENT}")) == v1
    hidden = lines(get(client, auth, f"/v1/earnablebadge/{CLIENT}/", visible=0))
    assert [e["name"] for e in hidden] == ["Accueillir le public"]

    v2 = get(client, auth, f"/v2/earnablebadge/{CLIENT}").json()
    assert v2["total"] == 6 and [e["id"] for e in v2["result"]] == [e["id"] for e in v1]
    assert whole_list(client, auth, f"/v2/earnablebadge/{CLIENT}", 4) == v2["result"]
    badge_ids = {b["id"] for b in get(client, auth, f"/v2/badge/{CLIENT}").json()["result"]}
    assert {e["badge_id"] for e in v1} <= badge_ids
    assert client.get(v1[0]["url"]).status_code == 200


# --- errors ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", [p for p in AUTHENTICATED])
def test_unknown_client_gets_404(refusing_client, refusing_auth, path):
    response = refusing_client.get(BASE + path.format(c="no-such-client"), headers=refusing_auth)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.parametrize("path, params", [
    ("/v2/badge/{c}", {"limit": 1001}),
    ("/v2/event/{c}", {"limit": 5000}),
    ("/v2/event/{c}/recipient", {"limit": 1001}),
    ("/v2/earnablebadge/{c}", {"limit": 1001}),
    ("/v1/event/{c}", {"limit": 1001}),
    ("/v2/badge/{c}", {"limit": -1}),
    ("/v2/badge/{c}", {"offset": -5}),
    ("/v2/badge/{c}", {"limit": "ten"}),
    ("/v2/event/{c}", {"begin": "yesterday"}),
    ("/v2/event/{c}", {"end": "1.5"}),
    ("/v2/event/{c}", {"email": ""}),
    ("/v2/event/{c}/recipient", {"email": "|"}),
    ("/v2/badge/{c}", {"draft": "maybe"}),
    ("/v1/event/{c}", {"order_by": "sideways"}),
    ("/v1/earnablebadge/{c}/", {"visible": "perhaps"}),
])
def test_bad_parameters_get_400_with_an_error(refusing_client, refusing_auth, path, params):
    response = refusing_client.get(BASE + path.format(c=CLIENT), headers=refusing_auth, params=params)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_parameter"
    # The refused value is not echoed back (it may be an e-mail address).
    assert "@" not in response.text


def test_a_limit_of_exactly_1000_is_accepted(client, auth):
    assert get(client, auth, f"/v2/event/{CLIENT}", limit=1000).json()["total"] == 9


@pytest.mark.parametrize("body, content_type", [
    (b"\xff\xfe", "application/x-www-form-urlencoded"),
    (b"{bad json", "application/json"),
    (b"[1, 2]", "application/json"),
    (b"", "application/x-www-form-urlencoded"),
])
def test_broken_token_requests_get_4xx_not_500(refusing_client, body, content_type):
    response = refusing_client.post(f"{BASE}/v1/client/oauth2/token", content=body,
                           headers={"content-type": content_type})
    assert response.status_code in (400, 401)
    assert response.json()["error"]


def test_client_secrets_are_argon2id_hashes_and_older_scrypt_ones_still_open():
    import hashlib

    stored = credentials.hash_secret(SECRET)
    assert stored.startswith("$argon2id$") and SECRET not in stored
    assert credentials.verify_secret(SECRET, stored)
    assert not credentials.verify_secret("pas-le-secret", stored)
    # As a sandbox seeded before argon2 keeps it (its signing key derives from it).
    salt = bytes(range(16))
    digest = hashlib.scrypt(SECRET.encode(), salt=salt, n=2**14, r=8, p=1,
                            maxmem=64 * 1024 * 1024, dklen=32)
    legacy = f"scrypt$16384$8$1${salt.hex()}${digest.hex()}"
    assert credentials.verify_secret(SECRET, legacy)
    assert not credentials.verify_secret("pas-le-secret", legacy)
    assert not credentials.verify_secret(SECRET, "scrypt$abimé")


def test_no_email_address_reaches_the_logs(client, auth, caplog):
    caplog.set_level(logging.DEBUG)
    get(client, auth, f"/v2/event/{CLIENT}", email=LEA)
    get(client, auth, f"/v2/event/{CLIENT}/recipient", email=LEA)
    get(client, auth, f"/v1/event/{CLIENT}", email=LEA)
    client.get(f"{BASE}/v2/event/{CLIENT}", headers=auth, params={"email": "", "limit": 9999})
    get_token(client)
    # httpx logs the URLs that the test client itself requests: that is not the gateway.
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert "@" not in logged


# --- demo data ------------------------------------------------------------------------

def test_seeding_is_idempotent(client, engine, settings):
    with Session(engine) as session:
        first = counts(session)
        assert first.clients == 1 and first.badges == 13 and first.earnable_badges == 6
        assert seed(session) == 0
        assert counts(session) == first
    # A restart of the gateway on the same database does not load the data again.
    with TestClient(create_app(settings)) as again:
        assert again.get(f"{BASE}/v2/badge/{CLIENT}",
                         headers={"Authorization": f"Bearer {get_token(again)}"}
                         ).json()["total"] == 13
    with Session(engine) as session:
        assert counts(session) == first


def test_the_sandbox_can_be_turned_off(settings):
    settings.obf_sandbox = False
    with TestClient(create_app(settings)) as client:
        assert client.post(f"{BASE}/v2/client/oauth2/token").status_code == 404


def test_every_pathway_names_badges_of_the_demo_data():
    names = {badge_key(b["name"]) for org in load_seed()["organisations"] for b in org["badges"]}
    steps = load_parcours()
    assert steps
    for step in steps:
        assert badge_key(step.from_badge) in names, step
        assert badge_key(step.to_badge) in names, step
        assert step.reason
    # The accompanier badges form one path: Point Info → Conseil → Référent.
    assert [s.to_badge for s in next_steps("point info badge")] == ["Conseil Badge"]
    assert [s.to_badge for s in next_steps("Conseil Badge")] == ["Référent Badge"]
    assert [s.to_badge for s in next_steps("Communiquer à l’oral")] == ["Accueillir le public"]
    assert next_steps("Badge inconnu") == []


def test_texts_that_learners_read_pass_the_falc_checker():
    from falc.checker import check
    from falc.report import render
    from falc.texts import ANSWER, TITLE, Text

    texts = []
    for org in load_seed()["organisations"]:
        for badge in org["badges"]:
            texts.append(Text(f"seed.yml › {badge['name']}", TITLE, badge["name"]))
            for key in ("description", "criteria"):
                texts.append(Text(f"seed.yml › {badge['name']} › {key}", ANSWER, badge[key]))
    texts += [Text(f"parcours.yml › {s.from_badge}", ANSWER, s.reason) for s in load_parcours()]
    results = check(texts)
    assert not [r for r in results if r.failed], render(results)


def test_sandbox_tables_match_the_migration(client, engine):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bot.db.models import Base

    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert not [d for d in diff if "sandbox_" in repr(d)], diff
