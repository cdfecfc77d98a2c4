"""The OBF client (bot/obf) against an OBF that speaks the v2 and v1 shapes of
docs/obf-api.md, on two backends:

- "mock": FakeObf, in memory through httpx.MockTransport;
- "sandbox": the real gateway (bot.app.create_app) with its OBF sandbox, reached
  through httpx.ASGITransport, its SQLite database holding SCENARIO (loaded with
  the sandbox's own seed loader) next to the demo data of seed.yml.

Every contract test (those taking `obf_backend`) runs on both. Tests taking
`mock_obf` inject faults (timeouts, 429 …) or count requests, so they only run in
memory. Tests taking `demo` read the sandbox's demo data (seed.yml as shipped).
"""

import asyncio
import copy
import hashlib
import json
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.app import create_app
from bot.db.engine import make_engine
from bot.db.models import SandboxToken
from bot.obf import (ObfAuthError, ObfBadResponse, ObfClient, ObfConfigError,
                     ObfDirectory, ObfInvalidRequest, ObfNotFound, ObfRateLimited,
                     ObfServerError, ObfSettings, ObfTimeout, ObfUnavailable, TokenStore,
                     build_organisations)
from bot.obf.recent import RecentLookups
from bot.obf.settings import SANDBOX_POINT_INFO_BADGE_ID, configured_organisations
from bot.obf_sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, PREFIX
from bot.obf_sandbox.seed import seed
from bot.ops.supervisor import free_port
from bot.settings import Settings
from tests.helpers.clock import FakeClock

# ------------------------------------------------------------------ scenario

LEARNER = "Jeanne.Martin+badges@exemple.fr"  # as the learner's identity gives it
OTHER = "paul.durand@exemple.fr"
TODAY = date(2025, 6, 1)
BASE_URL = "https://obf.test/obf-sandbox"  # FakeObf; a path prefix, like the sandbox's
SANDBOX_URL = "http://sandbox.test" + PREFIX  # the gateway, through ASGITransport


def ts(year, month, day) -> int:
    return int(datetime(year, month, day, tzinfo=ZoneInfo("Europe/Paris")).timestamp())


def _badge(id, name, primary="fr", english=None, category=("Accueil",)):
    return {"id": id, "fr": name, "en": english, "primary": primary,
            "category": list(category), "tags": [name.split()[0].lower()]}


# One neutral description of two organisations; FakeObf renders it as v1 or v2.
SCENARIO = {
    "ORG1": {
        "secret": "secret-org1-Xq9zT",
        "name": "Espace badges de Caen",
        "badges": [
            # Primary language English, French in the detail: the bot shows French.
            _badge("B1", "Accueil du public", primary="en", english="Welcoming the public"),
            _badge("B2", "Travail en équipe"),
            _badge("B3", "Premiers secours"),
            _badge("B4", "Animation d'atelier"),
            _badge("B5", "Médiation numérique"),
        ],
        "events": [
            {"id": "E1", "badge_id": "B1", "recipients": [LEARNER.lower(), OTHER],
             "issued_on": ts(2024, 3, 15), "expires_on": None, "revoked": []},
            {"id": "E2", "badge_id": "B2", "recipients": [LEARNER.lower()],
             "issued_on": ts(2023, 1, 10), "expires_on": ts(2024, 1, 10), "revoked": []},
            # Stored with other capitals: e-mails compare without case.
            {"id": "E3", "badge_id": "B3", "recipients": ["Jeanne.Martin+Badges@Exemple.FR", OTHER],
             "issued_on": ts(2024, 9, 1), "expires_on": None,
             "revoked": ["Jeanne.Martin+Badges@Exemple.FR"]},
            {"id": "E4", "badge_id": "B4", "recipients": [OTHER],
             "issued_on": ts(2024, 5, 5), "expires_on": None, "revoked": []},
        ],
        "earnable": [
            {"id": "EB1", "badge_id": "B1", "name": "Accueil du public",
             "approval_method": "review", "visible": 1, "draft": 0},
            {"id": "EB2", "badge_id": "B5", "name": "Médiation numérique",
             "approval_method": "instant", "visible": 0, "draft": 0},
        ],
    },
    "ORG2": {
        "secret": "secret-org2-Lm4wB",
        "name": "Association Les Ponts",
        "badges": [_badge("C1", "Bénévolat associatif", category=("Engagement",))],
        "events": [
            {"id": "F1", "badge_id": "C1", "recipients": [LEARNER.lower()],
             "issued_on": ts(2025, 2, 1), "expires_on": ts(2099, 2, 1), "revoked": []},
        ],
        "earnable": [
            {"id": "EB3", "badge_id": "C1", "name": "Bénévolat associatif",
             "approval_method": "secret", "visible": 1, "draft": 0},
        ],
    },
}


def scenario_as_seed(scenario: dict = SCENARIO) -> dict:
    """SCENARIO in the format of bot/obf_sandbox/seed.yml, with the same ids and the
    texts FakeObf serves. The sandbox speaks French only, so B1's English primary
    language (and the hunt for its French detail) exists in FakeObf alone."""
    organisations = []
    for cid, org in scenario.items():
        earnable = {e["badge_id"]: e for e in org["earnable"]}
        names = {b["id"]: b["fr"] for b in org["badges"]}
        badges = []
        for b in org["badges"]:
            badge = {"id": b["id"], "name": b["fr"], "category": b["category"],
                     "tags": b["tags"], "description": f"Description {b['fr']}",
                     "criteria": f"Montrer {b['fr']}."}
            if (e := earnable.get(b["id"])) is not None:
                badge["earnable"] = {"id": e["id"], "name": e["name"],
                                     "approval_method": e["approval_method"],
                                     "visible": bool(e["visible"])}
            badges.append(badge)
        events = [{"id": e["id"], "badge": names[e["badge_id"]], "issued_on": e["issued_on"],
                   "expires_on": e["expires_on"],
                   "recipients": [{"email": r, "revoked_on": ts(2025, 1, 20)
                                   if r in e["revoked"] else None}
                                  for r in e["recipients"]]}
                  for e in org["events"]]
        organisations.append({"id": cid, "secret": org["secret"], "name": org["name"],
                              "badges": badges, "events": events})
    return {"organisations": organisations}

# ----------------------------------------------------------- in-memory OBF


class FakeObf:
    """OBF v2 + v1 in memory (a MockTransport handler), with fault injection:
    `script(fragment, *outcomes)` answers the next requests whose path contains
    `fragment` with the outcomes (a status, an httpx.Response or an exception)."""

    prefix = "/obf-sandbox"

    def __init__(self, scenario: dict, clock: FakeClock):
        self.orgs, self.clock = scenario, clock
        self.token_lifetime = 36000
        self.tokens: dict[str, str] = {}  # valid token -> client id
        self.token_times: dict[str, list[float]] = {cid: [] for cid in scenario}
        self.token_forms: list[dict] = []
        self.requests: list[httpx.Request] = []
        self.scripted: list[tuple[str, list]] = []
        self.ignore_email_filter = False  # a buggy server that sends everyone's rows
        self.issue_bodies: list[dict] = []  # what each issue request asked for
        self.answers_lost = 0  # the next N issues are done, then their answer is lost

    def script(self, fragment: str, *outcomes) -> None:
        self.scripted.append((fragment, list(outcomes)))

    def forget_tokens(self) -> None:
        self.tokens.clear()

    def api_requests(self, fragment: str = "") -> list[httpx.Request]:
        return [r for r in self.requests
                if "oauth2" not in r.url.path and fragment in r.url.path]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        for fragment, outcomes in self.scripted:
            if fragment in path and outcomes:
                outcome = outcomes.pop(0)
                if isinstance(outcome, Exception):
                    raise outcome
                if isinstance(outcome, int):
                    return httpx.Response(outcome, json={"error": "scripted"})
                return outcome
        if not path.startswith(self.prefix + "/"):
            return httpx.Response(404)
        version, *parts = path[len(self.prefix) + 1:].split("/")
        if parts == ["client", "oauth2", "token"] and request.method == "POST":
            return self._token(request)
        cid = parts[1] if len(parts) > 1 else ""
        if cid not in self.orgs:
            return httpx.Response(404, json={"error": "not found"})
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if self.tokens.get(bearer) != cid:
            return httpx.Response(403, json={"error": "access denied"})
        if request.method == "POST":
            return self._issue(version, parts, self.orgs[cid], request)
        route = self._v2 if version == "v2" else self._v1
        return route(parts, self.orgs[cid], request.url.params)

    # -- issuing: v2 POST /event/{cid}/{badge}/issue, v1 POST /badge/{cid}/{badge}
    def _issue(self, version, parts, org, request):
        route = parts[:1] + parts[2:]
        if version == "v2" and len(route) == 3 and route[::2] == ["event", "issue"]:
            badge_id = route[1]
        elif version == "v1" and len(route) == 2 and route[0] == "badge":
            badge_id = route[1]
        else:
            return httpx.Response(404, json={"error": "no such route"})
        if self._badge_by_id(org, badge_id) is None:
            return httpx.Response(404, json={"error": "not found"})
        body = json.loads(request.content)
        self.issue_bodies.append(body)
        emails = [r["email"] if isinstance(r, dict) else r.rsplit("<", 1)[-1].rstrip(">")
                  for r in body["recipient"]]
        event_id = f"N{len(self.issue_bodies)}"
        org["events"].append({"id": event_id, "badge_id": badge_id, "recipients": emails,
                              "issued_on": body["issued_on"], "expires_on": None,
                              "revoked": []})
        if self.answers_lost:  # done on OBF's side, but the answer never arrives
            self.answers_lost -= 1
            raise httpx.ReadTimeout("answer lost", request=request)
        if version == "v2":
            return httpx.Response(201, json={"success": True, "message": "",
                                             "resource_type": "event",
                                             "resource_id": event_id, "count": None})
        return httpx.Response(201, headers={
            "Location": f"{self.prefix}/v1/event/{parts[1]}/{event_id}"})

    # -- token
    def _token(self, request):
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        self.token_forms.append(form)
        org = self.orgs.get(form.get("client_id"))
        if (form.get("grant_type") != "client_credentials" or org is None
                or form.get("client_secret") != org["secret"]):
            return httpx.Response(401, json={"error": "invalid_client"})
        cid = form["client_id"]
        self.token_times[cid].append(self.clock())
        token = f"tok-{cid}-{len(self.token_times[cid])}-{os.urandom(4).hex()}"
        self.tokens[token] = cid
        return httpx.Response(200, json={"access_token": token, "token_type": "bearer",
                                         "expires_in": self.token_lifetime})

    # -- shared data views
    def _events(self, org, params):
        email = params.get("email", "").lower()
        return [e for e in org["events"] if self.ignore_email_filter or not email
                or email in [r.lower() for r in e["recipients"]]]

    def _recipients(self, event, params):
        email = params.get("email", "").lower()
        return [(i, r) for i, r in enumerate(event["recipients"])
                if self.ignore_email_filter or not email or r.lower() == email]

    @staticmethod
    def _badge_by_id(org, badge_id):
        return next((b for b in org["badges"] if b["id"] == badge_id), None)

    @staticmethod
    def _page(items, params):
        limit, offset = min(int(params.get("limit", 1000)), 1000), int(params.get("offset", 0))
        return httpx.Response(200, json={"result": items[offset:offset + limit],
                                         "total": len(items)})

    @staticmethod
    def _ldjson(items):
        body = "".join(json.dumps(item) + "\r\n" for item in items)
        return httpx.Response(200, content=body.encode(),
                              headers={"Content-Type": "application/json"})

    @staticmethod
    def _earnable(org):
        # Every row, hidden ones too: the client must leave those out itself.
        return [{**e, "apply_url": f"https://obf.test/c/earnablebadge/{e['id']}/apply"}
                for e in org["earnable"]]

    @staticmethod
    def _image(badge_id):
        return f"https://obf.test/v1/badge/_/{badge_id}.png"

    # -- v2
    def _v2_badge_item(self, b):
        primary = b["primary"]
        return {"id": b["id"], "name": b[primary], "description": f"Description {b[primary]}",
                "image": self._image(b["id"]), "primary_language": primary,
                "languages": ["fr", "en"] if b["en"] else ["fr"], "category": b["category"],
                "tag": b["tags"], "client_alias_id": [], "draft": False, "ctime": 1, "mtime": 1}

    def _v2_badge_detail(self, b):
        content = [{"language": lang, "name": b[lang], "description": f"Description {b[lang]}",
                    "criteria": f"<p>Montrer <b>{b[lang]}</b>.</p>", "tag": b["tags"]}
                   for lang in ("en", "fr") if b[lang]]
        return {"id": b["id"], "category": b["category"], "image": self._image(b["id"]),
                "primary_language": b["primary"], "content": content, "draft": False}

    def _v2_event(self, org, e):
        b = self._badge_by_id(org, e["badge_id"])
        return {"id": e["id"], "name": b[b["primary"]], "badge_id": e["badge_id"],
                "client_alias_id": None, "expires_on": e["expires_on"],
                "issued_on": e["issued_on"], "recipient_count": len(e["recipients"]),
                "api_consumer_id": "Moodle", "ctime": e["issued_on"], "mtime": e["issued_on"]}

    def _v2(self, parts, org, params):
        match parts[:1] + parts[2:]:
            case ["client", "ping"]:
                return httpx.Response(200, text=parts[1])
            case ["client"]:
                return httpx.Response(200, json={"id": parts[1], "name": org["name"],
                                                 "tier": "pro"})
            case ["badge"]:
                return self._page([self._v2_badge_item(b) for b in org["badges"]], params)
            case ["badge", badge_id]:
                b = self._badge_by_id(org, badge_id)
                return (httpx.Response(200, json=self._v2_badge_detail(b)) if b
                        else httpx.Response(404, json={"error": "not found"}))
            case ["event"]:
                return self._page([self._v2_event(org, e)
                                   for e in self._events(org, params)], params)
            case ["event", "recipient"]:
                rows = [{"event_id": e["id"], "assertion_id": f"{e['id']}-{i}", "email": r,
                         "name": "", "receive_url": f"https://obf.test/c/receive?tk={i}",
                         "assertion_json_url":
                             f"https://obf.test/obv3/credentials/{e['id']}-{i}.json",
                         "received": False, "in_passport": False,
                         "issued_on": e["issued_on"], "expires_on": e["expires_on"],
                         "revoked": r in e["revoked"]}
                        for e in org["events"] for i, r in self._recipients(e, params)]
                return self._page(rows, params)
            case ["earnablebadge"]:
                return self._page(self._earnable(org), params)
        return httpx.Response(404, json={"error": "no such route"})

    # -- v1
    def _v1(self, parts, org, params):
        match parts[:1] + parts[2:]:
            case ["ping"]:
                return httpx.Response(200, text=parts[1])
            case ["client"]:
                return httpx.Response(200, json={"id": parts[1], "name": org["name"]})
            case ["badge"]:
                return self._ldjson([self._v1_badge(b) for b in org["badges"]])
            case ["badge", badge_id]:
                b = self._badge_by_id(org, badge_id)
                return (httpx.Response(200, json=self._v1_badge(b)) if b
                        else httpx.Response(404, json={"error": "not found"}))
            case ["event"]:
                return self._ldjson([
                    {"id": e["id"], "badge_id": e["badge_id"],
                     "name": self._badge_by_id(org, e["badge_id"])["fr"],
                     "recipient": e["recipients"], "issued_on": e["issued_on"],
                     "expires": e["expires_on"], "revoked": {r: 1717000000 for r in e["revoked"]},
                     "timestamp": e["issued_on"]} for e in self._events(org, params)])
            case ["event", event_id, "assertion"]:
                e = next(e for e in org["events"] if e["id"] == event_id)
                return self._ldjson([
                    {"id": f"{event_id}-{i}", "image": self._image(e["badge_id"]),
                     "json": f"https://obf.test/v1/assertion/{event_id}-{i}.json",
                     "pdf": {}, "recipient": r, "status": "accepted"}
                    for i, r in self._recipients(e, params)])
            case ["earnablebadge", ""]:
                return self._ldjson(self._earnable(org))
        return httpx.Response(404, json={"error": "no such route"})

    def _v1_badge(self, b):
        return {"id": b["id"], "name": b["fr"], "description": f"Description {b['fr']}",
                "image": self._image(b["id"]), "criteria_html": f"<p>Montrer <b>{b['fr']}</b>.</p>",
                "category": b["category"], "tags": b["tags"], "draft": 0}


# ------------------------------------------------------------------ backends


class Backend:
    """Builds clients of SCENARIO's organisations (or any other) for one server.
    Each backend has its own token store on a fake clock: no test waits 10 s."""

    base_url = ""

    def __init__(self):
        self.clock = FakeClock()
        self.tokens = TokenStore(clock=self.clock, sleep=self.clock.sleep)

    @property
    def origin(self) -> str:
        """Scheme and host of the server: its links must point there."""
        url = httpx.URL(self.base_url)
        return f"{url.scheme}://{url.netloc.decode()}"

    def transport(self) -> httpx.AsyncBaseTransport:
        raise NotImplementedError

    def client(self, version="v2", cid="ORG1", secret=None, **options) -> ObfClient:
        options.setdefault("transport", self.transport())
        options.setdefault("tokens", self.tokens)
        options.setdefault("today", lambda: TODAY)
        org = build_organisations(self.base_url, cid, secret or SCENARIO[cid]["secret"],
                                  version)
        return ObfClient(org[0], **options)

    def directory(self, version="v2", cids=("ORG1", "ORG2"), **options) -> ObfDirectory:
        return ObfDirectory([self.client(version, cid, **options) for cid in cids])


class MockBackend(Backend):
    base_url = BASE_URL

    def __init__(self):
        super().__init__()
        # A copy: issuing adds events, and each test starts from SCENARIO.
        self.fake = FakeObf(copy.deepcopy(SCENARIO), self.clock)

    def transport(self) -> httpx.AsyncBaseTransport:
        return httpx.MockTransport(self.fake)


@dataclass
class Sandbox:
    """The gateway's OBF sandbox, started once per module (migrations, seed.yml,
    then SCENARIO). Tests only read its badges; each brings its own token store,
    so tokens that an earlier test got or expired change nothing."""
    app: Callable  # ASGI
    engine: Engine


class SandboxBackend(Backend):
    base_url = SANDBOX_URL

    def __init__(self, sandbox: Sandbox):
        super().__init__()
        self.sandbox = sandbox

    def transport(self) -> httpx.AsyncBaseTransport:
        return httpx.ASGITransport(app=self.sandbox.app)

    def get(self, url: str) -> httpx.Response:
        """A link the client returned, opened as a browser would (no token)."""
        async def fetch():
            async with httpx.AsyncClient(transport=self.transport()) as http:
                return await http.get(url)
        return run(fetch())


def with_lifespan_state(app, state: dict):
    """What an ASGI server (uvicorn, TestClient) does and ASGITransport does not:
    give each request a copy of the state that the app's lifespan yielded (the
    sandbox's routes take their database sessions from it)."""
    async def asgi(scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            scope = {**scope, "state": dict(state)}
        await app(scope, receive, send)
    return asgi


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Sandbox:
    database_url = f"sqlite:///{tmp_path_factory.mktemp('obf-sandbox') / 'bagou.db'}"
    app = create_app(Settings(database_url=database_url, obf_sandbox=True,
                              rasa_port=free_port(), actions_port=free_port(),
                              rasa_token="t"))
    # The lifespan runs in TestClient's thread: schema migrations, then seed.yml.
    with TestClient(app) as gateway:
        engine = make_engine(database_url)
        with Session(engine) as session:
            assert seed(session, scenario_as_seed()) == len(SCENARIO)
        yield Sandbox(with_lifespan_state(app, gateway.app_state), engine)
        engine.dispose()


@pytest.fixture(params=["mock", "sandbox"])
def obf_backend(request) -> Backend:
    if request.param == "sandbox":
        return SandboxBackend(request.getfixturevalue("sandbox"))
    return MockBackend()


@pytest.fixture
def mock_obf() -> MockBackend:
    return MockBackend()


def run(coro):
    return asyncio.run(coro)


async def call(client: ObfClient, method: str, *args):
    async with client:
        return await getattr(client, method)(*args)


VERSIONS = pytest.mark.parametrize("version", ["v2", "v1"])

# ----------------------------------------------------- contract (v2 and v1)


@VERSIONS
def test_learner_sees_her_badges_with_their_status(obf_backend, version):
    found = run(call(obf_backend.client(version), "learner_badges", LEARNER))
    by_badge = {b.badge_id: b for b in found}
    # Newest first (the client sorts); E4 belongs to another learner only.
    assert [b.badge_id for b in found] == ["B3", "B1", "B2"]
    welcome, team, first_aid = by_badge["B1"], by_badge["B2"], by_badge["B3"]
    assert welcome.badge_name == "Accueil du public"  # French (FakeObf: not the primary English)
    assert welcome.issuer_name == "Espace badges de Caen"
    assert welcome.issued_on == date(2024, 3, 15) and welcome.expires_on is None
    assert welcome.valid and welcome.link and welcome.link.startswith(obf_backend.origin + "/")
    assert welcome.image.startswith(obf_backend.origin + "/") and "B1" in welcome.image
    assert team.expired and not team.revoked and team.expires_on == date(2024, 1, 10)
    assert first_aid.revoked and not first_aid.expired and not first_aid.valid
    # One assertion per badge: E1 and E3 are shared with OTHER, whose links are not hers.
    assert all(b.link for b in found) and len({b.link for b in found}) == 3


@VERSIONS
def test_a_learner_without_badges_gets_an_empty_list(obf_backend, version):
    assert run(call(obf_backend.client(version), "learner_badges", "inconnu@exemple.fr")) == []


@VERSIONS
def test_badge_catalogue_is_in_french_with_plain_text_criteria(obf_backend, version):
    badges = run(call(obf_backend.client(version), "badges"))
    # OBF defines no order for the catalogue: compare sorted.
    assert sorted((b.id, b.name) for b in badges) == [
        ("B1", "Accueil du public"), ("B2", "Travail en équipe"), ("B3", "Premiers secours"),
        ("B4", "Animation d'atelier"), ("B5", "Médiation numérique")]
    one = run(call(obf_backend.client(version), "badge", "B1"))
    assert one.name == "Accueil du public"
    assert one.description == "Description Accueil du public"
    assert one.criteria == "Montrer Accueil du public."  # no HTML tags in the chat
    assert one.category == ["Accueil"] and one.image.startswith(obf_backend.origin + "/")


@VERSIONS
def test_unknown_badge_is_not_found(obf_backend, version):
    with pytest.raises(ObfNotFound) as caught:
        run(call(obf_backend.client(version), "badge", "NOPE"))
    assert caught.value.kind == "not_found" and caught.value.client_id == "ORG1"


@VERSIONS
def test_earnable_badges_hide_invisible_ones_and_give_the_form(obf_backend, version):
    earnable = run(call(obf_backend.client(version), "earnable_badges"))
    assert [(e.id, e.name, e.approval_method) for e in earnable] == [
        ("EB1", "Accueil du public", "review")]  # never EB2, which is hidden
    assert earnable[0].url.startswith(obf_backend.origin + "/") and "EB1" in earnable[0].url


@VERSIONS
def test_ping_and_organisation_name(obf_backend, version):
    async def scenario():
        async with obf_backend.client(version, "ORG2") as client:
            return await client.ping(), await client.organisation_name()
    assert run(scenario()) == (True, "Association Les Ponts")


@VERSIONS
def test_directory_merges_the_organisations(obf_backend, version):
    async def scenario():
        async with obf_backend.directory(version) as directory:
            return (await directory.learner_badges(LEARNER),
                    await directory.earnable_badges())
    badges, earnable = run(scenario())
    assert not badges.partial and not earnable.partial
    assert [b.badge_id for b in badges.items] == ["C1", "B3", "B1", "B2"]
    assert badges.items[0].issuer_name == "Association Les Ponts"
    assert badges.items[0].expires_on == date(2099, 2, 1) and badges.items[0].valid
    assert {e.id for e in earnable.items} == {"EB1", "EB3"}


# ------------------------------------- the sandbox's demo data (seed.yml as shipped)

LEA, SAM, NOUR = "lea.martin@example.org", "sam.durand@example.org", "nour.benali@example.org"
DEMO_ISSUER = "Lieux de la reconnaissance — démo"
DEMO_TODAY = date(2025, 7, 1)  # after every demo issue date, before S'organiser expires


@pytest.fixture
def demo(sandbox) -> SandboxBackend:
    return SandboxBackend(sandbox)


def demo_client(backend: SandboxBackend, version="v2", secret=DEMO_CLIENT_SECRET,
                **options) -> ObfClient:
    options.setdefault("today", lambda: DEMO_TODAY)
    return backend.client(version, DEMO_CLIENT_ID, secret, **options)


def summary(found) -> list[tuple]:
    return [(b.badge_name, b.issued_on, b.expires_on, b.revoked, b.expired, b.issuer_name)
            for b in found]


def test_demo_lea_gets_the_same_four_badges_from_v2_and_v1(demo):
    v2 = run(call(demo_client(demo, "v2"), "learner_badges", LEA))
    v1 = run(call(demo_client(demo, "v1"), "learner_badges", LEA))
    assert v1 == v2  # names, dates, statuses, links, images: nothing differs
    assert summary(v2) == [  # newest first
        ("Communiquer à l'oral", date(2025, 3, 12), None, False, False, DEMO_ISSUER),
        ("Point Info Badge", date(2024, 11, 5), None, False, False, DEMO_ISSUER),
        ("Usages du numérique", date(2024, 10, 2), None, True, False, DEMO_ISSUER),
        ("Premiers secours citoyens", date(2022, 5, 14), date(2024, 5, 14), False, True,
         DEMO_ISSUER),
    ]
    assert all(b.client_id == DEMO_CLIENT_ID and b.image for b in v2)
    # Her links open on the sandbox; the revoked badge's credential says it is gone.
    by_name = {b.badge_name: b for b in v2}
    assert demo.get(by_name["Communiquer à l'oral"].link).json()["name"] == "Communiquer à l'oral"
    assert demo.get(by_name["Usages du numérique"].link).status_code == 410


@VERSIONS
def test_demo_sam_never_sees_lea_or_camille(demo, version):
    found = run(call(demo_client(demo, version), "learner_badges", SAM.upper()))
    assert summary(found) == [
        ("S'organiser", date(2025, 6, 17), date(2030, 6, 17), False, False, DEMO_ISSUER),
        ("Travailler en équipe", date(2025, 4, 3), None, False, False, DEMO_ISSUER),
    ]
    lea = {b.event_id for b in run(call(demo_client(demo, version), "learner_badges", LEA))}
    assert not lea & {b.event_id for b in found}
    # "Travailler en équipe" has 4 recipients (Camille among them): his link is his own
    # credential, made for his address.
    for badge in found:
        credential = demo.get(badge.link).json()
        subject = credential["credentialSubject"]["identifier"][0]
        assert credential["name"] == badge.badge_name
        assert subject["identityHash"] == "sha256$" + hashlib.sha256(
            (SAM + subject["salt"]).encode()).hexdigest()


@VERSIONS
def test_demo_nour_has_no_badge(demo, version):
    assert run(call(demo_client(demo, version), "learner_badges", NOUR)) == []


@VERSIONS
def test_demo_earnable_badges_are_the_visible_ones(demo, version):
    earnable = run(call(demo_client(demo, version), "earnable_badges"))
    assert sorted((e.name, e.approval_method) for e in earnable) == [
        ("Bénévole engagé", "review"), ("Communiquer à l'oral", "review"),
        ("Point Info Badge", "review"), ("Travailler en équipe", "peer"),
        ("Usages du numérique", "instant")]  # never "Accueillir le public" (hidden)
    assert all(e.url.startswith(demo.origin + PREFIX + "/") for e in earnable)
    assert demo.get(earnable[0].url).status_code == 200  # the form page opens


@VERSIONS
def test_demo_wrong_secret_is_an_auth_error(demo, version):
    with pytest.raises(ObfAuthError) as caught:
        run(call(demo_client(demo, version, secret="not-the-demo-secret"), "ping"))
    assert caught.value.status == 401 and caught.value.client_id == DEMO_CLIENT_ID


def test_demo_token_expired_in_the_database_is_replaced_transparently(demo):
    def demo_tokens() -> dict[str, int]:
        with Session(demo.sandbox.engine) as session:
            rows = session.scalars(select(SandboxToken)
                                   .where(SandboxToken.client_id == DEMO_CLIENT_ID))
            return {row.token: row.expires_at for row in rows}

    async def scenario():
        async with demo_client(demo) as client:
            assert await client.ping()
            before = demo_tokens()
            with Session(demo.sandbox.engine) as session:  # the sandbox expires it
                session.execute(sql_update(SandboxToken)
                                .where(SandboxToken.client_id == DEMO_CLIENT_ID)
                                .values(expires_at=0))
                session.commit()
            return before, await client.learner_badges(LEA)

    before, found = run(scenario())
    assert len(found) == 4  # the learner never noticed
    new = set(demo_tokens()) - set(before)
    assert len(new) == 1  # one new token (its 10-s wait was on the fake clock)
    assert demo.clock.slept == [10.0]


# ------------------------------------------------------------ tokens (mock)


def test_one_token_serves_many_calls(mock_obf):
    async def scenario():
        async with mock_obf.client() as client:
            await client.ping()
            await client.badges()
            await client.learner_badges(LEARNER)
            # Another client of the same organisation shares the token store.
            async with mock_obf.client() as again:
                await again.badges()
    run(scenario())
    assert len(mock_obf.fake.token_times["ORG1"]) == 1
    assert mock_obf.fake.token_forms == [{"grant_type": "client_credentials",
                                          "client_id": "ORG1",
                                          "client_secret": SCENARIO["ORG1"]["secret"]}]
    paths = {r.url.path for r in mock_obf.fake.requests}
    assert "/obf-sandbox/v2/client/oauth2/token" in paths  # the prefix is kept
    assert "/obf-sandbox/v2/client/ORG1/ping" in paths


def test_concurrent_calls_ask_for_one_token(mock_obf):
    async def scenario():
        async with mock_obf.client() as client:
            return await asyncio.gather(*(client.ping() for _ in range(5)))
    assert run(scenario()) == [True] * 5
    assert len(mock_obf.fake.token_times["ORG1"]) == 1


def test_token_is_renewed_before_it_expires(mock_obf):
    mock_obf.fake.token_lifetime = 600  # safety margin: 60 s

    async def scenario():
        async with mock_obf.client() as client:
            await client.ping()
            mock_obf.clock.now += 530
            await client.ping()  # still 10 s before the margin
            mock_obf.clock.now += 15
            await client.ping()  # inside the margin: a new token, no 403 seen
    run(scenario())
    assert len(mock_obf.fake.token_times["ORG1"]) == 2
    assert len(mock_obf.fake.api_requests("ping")) == 3  # no refused call to retry
    assert not mock_obf.clock.slept


def test_never_more_than_one_token_per_ten_seconds(mock_obf):
    mock_obf.fake.token_lifetime = 2  # expires almost at once

    async def scenario():
        async with mock_obf.client() as client:
            for _ in range(3):
                assert await client.ping()
                mock_obf.clock.now += 3
    run(scenario())
    times = mock_obf.fake.token_times["ORG1"]
    assert len(times) == 3
    assert all(b - a >= 10 for a, b in zip(times, times[1:]))
    assert mock_obf.clock.slept == [7.0, 7.0]  # waited, on the fake clock only


def test_rate_limited_token_request_waits_ten_seconds_before_the_next(mock_obf):
    mock_obf.fake.script("/oauth2/token", 429)
    with pytest.raises(ObfRateLimited):
        run(call(mock_obf.client(), "ping"))
    assert run(call(mock_obf.client(), "ping"))  # the next message still works
    token_posts = [r for r in mock_obf.fake.requests if "oauth2" in r.url.path]
    assert len(token_posts) == 2 and mock_obf.clock.slept == [10.0]


def test_refused_token_is_replaced_once_and_the_call_retried(mock_obf):
    async def scenario():
        async with mock_obf.client() as client:
            await client.ping()
            mock_obf.fake.forget_tokens()  # OBF expired our token early: 403
            return await client.badge("B2")
    assert run(scenario()).name == "Travail en équipe"
    assert len(mock_obf.fake.token_times["ORG1"]) == 2
    assert [r.url.path.rsplit("/", 1)[-1] for r in mock_obf.fake.api_requests()] == [
        "ping", "B2", "B2"]


def test_forbidden_even_with_a_new_token_is_an_auth_error(mock_obf):
    mock_obf.fake.script("/badge/ORG1", 403, 403, 403)
    with pytest.raises(ObfAuthError) as caught:
        run(call(mock_obf.client(), "badges"))
    assert caught.value.kind == "auth" and caught.value.status == 403
    assert len(mock_obf.fake.api_requests("/badge/")) == 2  # one retry, not more
    assert len(mock_obf.fake.token_times["ORG1"]) == 2


def test_wrong_secret_is_an_auth_error_without_the_secret_in_logs(mock_obf, caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ObfAuthError) as caught:
        run(call(mock_obf.client(secret="not-the-good-one-77"), "ping"))
    assert caught.value.status == 401
    assert "not-the-good-one-77" not in caplog.text + str(caught.value)
    assert not mock_obf.fake.api_requests()  # no API call without a token


def test_unauthorised_api_call_is_an_auth_error(mock_obf):
    mock_obf.fake.script("/event/ORG1", 401, 401)
    with pytest.raises(ObfAuthError):
        run(call(mock_obf.client(), "learner_badges", LEARNER))


# ---------------------------------------------------------- lists (mock)


def test_v2_lists_are_read_page_by_page(mock_obf):
    badges = run(call(mock_obf.client(page_size=2), "badges"))
    assert [b.id for b in badges] == ["B1", "B2", "B3", "B4", "B5"]
    pages = [r for r in mock_obf.fake.api_requests("/badge/ORG1")
             if r.url.path.endswith("/ORG1")]
    assert [(r.url.params["limit"], r.url.params["offset"]) for r in pages] == [
        ("2", "0"), ("2", "2"), ("2", "4")]


def test_v2_learner_lookup_filters_by_email(mock_obf):
    run(call(mock_obf.client(), "learner_badges", LEARNER))
    lookups = mock_obf.fake.api_requests("/event/ORG1")
    assert {r.url.path.rsplit("/", 1)[-1] for r in lookups} == {"ORG1", "recipient"}
    assert all(r.url.params["email"] == LEARNER.lower() for r in lookups)


def test_v1_lists_are_line_delimited_json(mock_obf):
    mock_obf.fake.script("/v1/badge/ORG1", httpx.Response(200, content=(
        b'{"id": "X1", "name": "Un"}\r\n\r\n{"id": "X2", "name": "Deux"}\n')))
    assert [b.name for b in run(call(mock_obf.client("v1"), "badges"))] == ["Un", "Deux"]


@VERSIONS
def test_rows_of_other_recipients_are_never_returned(mock_obf, version, caplog):
    mock_obf.fake.ignore_email_filter = True  # the server sends everybody's rows
    found = run(call(mock_obf.client(version), "learner_badges", LEARNER))
    assert sorted(b.badge_id for b in found) == ["B1", "B2", "B3"]  # never B4
    assert "other recipients" in caplog.text


def test_v2_event_missing_from_the_list_is_read_alone(mock_obf):
    # Lists can move while we page: the row's event is fetched by its id.
    mock_obf.fake.script("/v2/event/ORG1", httpx.Response(200, json={"result": [], "total": 0}))
    mock_obf.fake.script("/v2/event/ORG1/E1", httpx.Response(200, json={
        "id": "E1", "name": "Accueil du public", "badge": {"id": "B1"},
        "issued_on": ts(2024, 3, 15), "expires_on": None}))
    found = run(call(mock_obf.client(), "learner_badges", LEARNER))
    assert "B1" in [b.badge_id for b in found]


def test_deleted_badge_still_shows_in_the_learners_list(mock_obf):
    mock_obf.fake.script("/v2/badge/ORG1/B2", 404)
    found = {b.badge_id: b for b in run(call(mock_obf.client(), "learner_badges", LEARNER))}
    assert found["B2"].badge_name == "Travail en équipe"  # the event's name
    assert found["B2"].image is None and found["B2"].expired
    assert found["B1"].image


# ---------------------------------------------------------- failures (mock)


def test_timeout(mock_obf):
    mock_obf.fake.script("/badge/", httpx.ReadTimeout("timed out"))
    with pytest.raises(ObfTimeout) as caught:
        run(call(mock_obf.client(), "badges"))
    assert caught.value.kind == "timeout"


def test_connection_refused_on_a_real_socket():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    org = build_organisations(f"http://127.0.0.1:{port}/obf-sandbox", "ORG1", "s", "v2")[0]
    with pytest.raises(ObfUnavailable) as caught:
        run(call(ObfClient(org, tokens=TokenStore(), timeout=2), "ping"))
    assert caught.value.kind == "unavailable"


def test_rate_limit_backs_off_then_succeeds(mock_obf):
    mock_obf.fake.script("/badge/", httpx.Response(429, headers={"Retry-After": "3"}),
                         httpx.Response(429))
    badges = run(call(mock_obf.client(), "badges"))
    assert len(badges) == 5
    assert mock_obf.clock.slept == [3.0, 2.0]  # Retry-After honoured, then 2 s


def test_rate_limit_gives_up_after_two_retries(mock_obf):
    mock_obf.fake.script("/badge/", 429, 429, 429, 429)
    with pytest.raises(ObfRateLimited) as caught:
        run(call(mock_obf.client(), "badges"))
    assert caught.value.kind == "rate_limited"
    assert len(mock_obf.fake.api_requests("/badge/")) == 3
    assert mock_obf.clock.slept == [1.0, 2.0]


def test_rate_limit_with_a_long_retry_after_gives_up_at_once(mock_obf):
    mock_obf.fake.script("/badge/", httpx.Response(429, headers={"Retry-After": "120"}))
    with pytest.raises(ObfRateLimited) as caught:
        run(call(mock_obf.client(), "badges"))
    assert caught.value.retry_after == 120 and not mock_obf.clock.slept


def test_server_error(mock_obf):
    mock_obf.fake.script("/event/", 503)
    with pytest.raises(ObfServerError) as caught:
        run(call(mock_obf.client(), "learner_badges", LEARNER))
    assert caught.value.kind == "server_error" and caught.value.status == 503


@pytest.mark.parametrize("version, body", [
    ("v2", b"<html>Maintenance</html>"),
    ("v2", b'{"result": [{"id": "B1"'),
    ("v1", b'{"id": "B1"}\n{"id": '),
])
def test_malformed_json_is_a_bad_response(mock_obf, version, body):
    mock_obf.fake.script("/badge/", httpx.Response(200, content=body))
    with pytest.raises(ObfBadResponse) as caught:
        run(call(mock_obf.client(version), "badges"))
    assert caught.value.kind == "bad_response"


@pytest.mark.parametrize("version, body", [
    ("v2", {"data": []}),
    ("v2", {"result": "none", "total": 0}),
    ("v2", {"result": [{"name": "no id"}], "total": 1}),
    ("v2", {"result": ["B1"], "total": 1}),
    ("v1", ["B1", "B2"]),
])
def test_wrong_shape_is_a_bad_response(mock_obf, version, body):
    mock_obf.fake.script("/badge/", httpx.Response(200, json=body))
    with pytest.raises(ObfBadResponse):
        run(call(mock_obf.client(version), "badges"))


def test_garbage_inside_a_row_is_a_bad_response(mock_obf):
    mock_obf.fake.script("/event/ORG1/recipient", httpx.Response(200, json={"result": [
        {"event_id": "E1", "email": LEARNER, "issued_on": {"oops": 1}}], "total": 1}))
    with pytest.raises(ObfBadResponse):
        run(call(mock_obf.client(), "learner_badges", LEARNER))


def test_token_answer_without_token_is_a_bad_response(mock_obf):
    mock_obf.fake.script("/oauth2/token", httpx.Response(200, json={"token": "x"}))
    with pytest.raises(ObfBadResponse):
        run(call(mock_obf.client(), "ping"))


def test_v2_without_earnable_badges_route_gives_an_empty_list(mock_obf):
    mock_obf.fake.script("/earnablebadge/", 404)
    assert run(call(mock_obf.client(), "earnable_badges")) == []


# ------------------------------------------------- several organisations


def test_one_failing_organisation_gives_partial_results(mock_obf):
    mock_obf.fake.script("/v2/event/ORG2", 500)

    async def scenario():
        async with mock_obf.directory() as directory:
            return await directory.learner_badges(LEARNER)
    result = run(scenario())
    assert result.partial
    assert [b.badge_id for b in result.items] == ["B3", "B1", "B2"]
    assert [(e.kind, e.client_id) for e in result.errors] == [("server_error", "ORG2")]


def test_a_conversation_reads_its_learner_badges_again_without_asking_obf(mock_obf):
    """« mes badges », « voir plus », « quel badge ensuite ? » within a minute: OBF is
    asked once; another conversation, a first page (`fresh`) and a minute later ask
    again; a badge given in the conversation shows at once after `forget`."""
    recent = RecentLookups(timer=mock_obf.clock)
    email = LEARNER.upper()  # the same learner, however her address is written

    async def scenario():
        async with mock_obf.directory() as directory:
            directory.recent = recent
            first = await directory.learner_badges(LEARNER, conversation="c1")
            asked = len(mock_obf.fake.api_requests())
            again = await directory.learner_badges(email, conversation="c1")
            earnable = await directory.earnable_badges(conversation="c1")
            earnable_again = await directory.earnable_badges(conversation="c1")
            counts = [asked, len(mock_obf.fake.api_requests())]
            await directory.learner_badges(LEARNER, conversation="c2")
            await directory.learner_badges(LEARNER, conversation="c1", fresh=True)
            counts.append(len(mock_obf.fake.api_requests()))
            await directory.issue_badge_once("B5", LEARNER, key="k-recent", client_id="ORG1")
            stale = await directory.learner_badges(LEARNER, conversation="c1")
            directory.forget("c1")
            given = await directory.learner_badges(LEARNER, conversation="c1")
            mock_obf.clock.now += 61
            counts.append(len(mock_obf.fake.api_requests()))
            await directory.learner_badges(LEARNER, conversation="c2")
            counts.append(len(mock_obf.fake.api_requests()))
            return first, again, earnable, earnable_again, stale, given, counts

    first, again, earnable, earnable_again, stale, given, counts = run(scenario())
    ids = [b.badge_id for b in first.items]
    assert [b.badge_id for b in again.items] == ids == ["C1", "B3", "B1", "B2"]
    assert [e.id for e in earnable_again.items] == [e.id for e in earnable.items]
    asked, after_reuse, after_fresh, before_expiry, after_expiry = counts
    assert after_reuse == asked + 2  # the earnable badges of ORG1 and ORG2, once
    assert after_fresh > after_reuse + 2  # c2 and the fresh read both asked OBF
    assert "B5" not in [b.badge_id for b in stale.items]
    assert "B5" in [b.badge_id for b in given.items]
    assert after_expiry > before_expiry  # a minute later, OBF is asked again


def test_a_partial_answer_is_not_kept(mock_obf):
    mock_obf.fake.script("/v2/event/ORG2", 500)

    async def scenario():
        async with mock_obf.directory() as directory:
            partial = await directory.learner_badges(LEARNER, conversation="c1")
            whole = await directory.learner_badges(LEARNER, conversation="c1")
            return partial, whole
    partial, whole = run(scenario())
    assert partial.partial and not whole.partial
    assert [b.badge_id for b in whole.items] == ["C1", "B3", "B1", "B2"]


def test_all_organisations_failing_raises(mock_obf):
    mock_obf.fake.script("/event/", httpx.ConnectError("refused"), httpx.ConnectError("refused"))

    async def scenario():
        async with mock_obf.directory() as directory:
            return await directory.learner_badges(LEARNER)
    with pytest.raises(ObfUnavailable):
        run(scenario())


def test_logs_never_show_an_email_a_secret_or_a_token(mock_obf, caplog):
    caplog.set_level(logging.DEBUG)
    mock_obf.fake.ignore_email_filter = True
    mock_obf.fake.script("/event/ORG2", httpx.Response(429, headers={"Retry-After": "1"}), 500)

    async def scenario():
        async with mock_obf.directory() as directory:
            await directory.learner_badges(LEARNER)
        async with mock_obf.client("v1") as client:
            await client.learner_badges(LEARNER)
    run(scenario())
    logged = caplog.text.lower()
    assert "learner:" in logged  # the lookups were logged, by reference
    for secret in (LEARNER.lower(), OTHER, "exemple.fr", SCENARIO["ORG1"]["secret"].lower(),
                   "tok-org1"):
        assert secret not in logged


# ----------------------------------------------------------------- settings


def test_settings_from_environment(monkeypatch):
    monkeypatch.setenv("OBF_BASE_URL", "http://127.0.0.1:8000/obf-sandbox")
    monkeypatch.setenv("OBF_CLIENT_ID", "ORG1, ORG2")
    monkeypatch.setenv("OBF_CLIENT_SECRET", "s1,s2")
    monkeypatch.setenv("OBF_API_VERSION", "v1")
    monkeypatch.setenv("OBF_TIMEOUT", "2.5")
    settings = ObfSettings(_env_file=None)
    orgs = configured_organisations(settings)
    assert settings.configured and settings.timeout == 2.5
    assert [(o.client_id, o.client_secret.get_secret_value(), o.api_version) for o in orgs] == [
        ("ORG1", "s1", "v1"), ("ORG2", "s2", "v1")]
    assert "s1" not in repr(orgs) and "s1" not in repr(settings)


def test_settings_defaults_and_mistakes(monkeypatch):
    for name in ("OBF_BASE_URL", "OBF_CLIENT_ID", "OBF_CLIENT_SECRET", "OBF_API_VERSION",
                 "OBF_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    settings = ObfSettings(_env_file=None)
    assert not settings.configured and configured_organisations(settings) == []
    assert settings.api_version == "v2" and settings.timeout == 5
    with pytest.raises(ObfConfigError):
        ObfDirectory.from_settings(settings)
    with pytest.raises(ObfConfigError, match="2 value"):
        build_organisations("http://x", "a,b", "only-one")


# ------------------------------------------------------------------ issuing


def newcomer(backend: Backend, version: str) -> str:
    """An address that holds nothing yet: the sandbox is shared by the module."""
    return f"Nouvelle.Personne+{version}.{os.urandom(4).hex()}@Exemple.fr"


@VERSIONS
def test_issue_once_then_the_badge_is_in_her_list_and_a_retry_issues_nothing(
        obf_backend, version):
    email = newcomer(obf_backend, version)
    key = f"formation-point-info:{email.lower()}"

    async def scenario():
        async with obf_backend.client(version) as client:
            assert await client.find_issued("B5", email) is None
            first = await client.issue_badge_once("B5", email, key=key, name="Nouvelle Personne")
            again = await client.issue_badge_once("B5", email, key=key)
            found = await client.find_issued("B5", email.upper())
            listed = await client.learner_badges(email)
        return first, again, found, listed

    first, again, found, listed = run(scenario())
    assert first.issued and first.event_id and first.client_id == "ORG1"
    assert first.badge is not None and first.badge.event_id == first.event_id
    assert first.badge.badge_name == "Médiation numérique" and first.badge.valid
    assert not again.issued and again.event_id == first.event_id and again.badge == first.badge
    assert found == first.badge
    # « Mes badges » shows it, once.
    assert [(b.badge_id, b.event_id) for b in listed] == [("B5", first.event_id)]
    assert listed[0].link and listed[0].link.startswith(obf_backend.origin + "/")


@VERSIONS
def test_a_badge_she_already_had_is_not_issued_again(obf_backend, version):
    # B1 was issued to the learner in SCENARIO (event E1), before Bagou existed.
    async def scenario():
        async with obf_backend.client(version) as client:
            return await client.issue_badge_once("B1", LEARNER, key="k-b1")
    result = run(scenario())
    assert not result.issued and result.event_id == "E1" and result.badge.badge_id == "B1"
    # Revoked counts too: she had it; issuing again would undo the issuer's decision.
    async def revoked():
        async with obf_backend.client(version) as client:
            return await client.issue_badge_once("B3", LEARNER, key="k-b3")
    result = run(revoked())
    assert not result.issued and result.event_id == "E3" and result.badge.revoked


@VERSIONS
def test_issue_errors_are_obf_errors(obf_backend, version):
    async def scenario(badge_id, email):
        async with obf_backend.client(version) as client:
            return await client.issue_badge_once(badge_id, email, key="k")
    with pytest.raises(ObfNotFound) as caught:
        run(scenario("NOPE", newcomer(obf_backend, version)))
    assert caught.value.kind == "not_found" and caught.value.client_id == "ORG1"
    for email in ("", "pas une adresse", "a@b", "a b@exemple.fr", "x" * 320 + "@a.fr", None):
        with pytest.raises(ObfInvalidRequest) as caught:
            run(scenario("B5", email))
        assert caught.value.kind == "invalid_request"
    with pytest.raises(ObfInvalidRequest):
        run(scenario("../B5", newcomer(obf_backend, version)))

    async def without_key():
        async with obf_backend.client(version) as client:
            return await client.issue_badge_once("B5", newcomer(obf_backend, version), key=" ")
    with pytest.raises(ObfInvalidRequest):
        run(without_key())


@VERSIONS
def test_what_the_issue_request_says(mock_obf, version):
    email = "Jeanne.Martin+badges@exemple.fr"

    async def scenario():
        async with mock_obf.client(version) as client:
            return await client.issue_badge("B5", email, name="Jeanne <Martin>",
                                            key="secret-key:" + email, send_email=False)
    event_id = run(scenario())
    (body,) = mock_obf.fake.issue_bodies
    (post,) = [r for r in mock_obf.fake.requests
               if r.method == "POST" and "oauth2" not in r.url.path]
    assert post.headers["content-type"] == "application/json"
    assert event_id == "N1" and isinstance(body["issued_on"], int)
    assert body["api_consumer_id"] == "Bagou"
    if version == "v2":
        assert post.url.path == "/obf-sandbox/v2/event/ORG1/B5/issue"
        assert body["recipient"] == [{"email": email.lower(), "name": "Jeanne Martin"}]
        assert body["send_email"] is False
    else:
        assert post.url.path == "/obf-sandbox/v1/badge/ORG1/B5"
        assert body["recipient"] == [f"Jeanne Martin <{email.lower()}>"]
        assert body["send_email"] == 0
    # OBF keeps a hash of the key, never the key (it may hold the address).
    assert len(body["log_entry"]["bagou_issue_key"]) == 24
    assert email.lower() not in json.dumps(body["log_entry"])


@VERSIONS
def test_an_answer_lost_after_obf_issued_is_not_issued_twice(mock_obf, version):
    mock_obf.fake.answers_lost = 1
    email = "timeout@exemple.fr"

    async def attempt():
        async with mock_obf.client(version) as client:
            return await client.issue_badge_once("B5", email, key="k-timeout")
    with pytest.raises(ObfTimeout):
        run(attempt())  # OBF did it, we could not know
    retry = run(attempt())
    assert not retry.issued and retry.event_id == "N1"
    assert len(mock_obf.fake.issue_bodies) == 1


@VERSIONS
def test_obf_failing_then_recovering_issues_once(mock_obf, version):
    email = "panne@exemple.fr"
    fragment = "/B5/issue" if version == "v2" else "/v1/badge/ORG1/B5"

    async def attempt():
        async with mock_obf.client(version) as client:
            return await client.issue_badge_once("B5", email, key="k-panne")
    mock_obf.fake.script(fragment, 503)
    with pytest.raises(ObfServerError):
        run(attempt())
    mock_obf.fake.script(fragment, httpx.ConnectError("refused"))
    with pytest.raises(ObfUnavailable):
        run(attempt())
    # A 429 is waited out within the call; then OBF answers.
    mock_obf.fake.script(fragment, httpx.Response(429, headers={"Retry-After": "1"}))
    result = run(attempt())
    assert result.issued and len(mock_obf.fake.issue_bodies) == 1
    assert not run(attempt()).issued and len(mock_obf.fake.issue_bodies) == 1


def test_two_calls_at_once_with_the_same_key_issue_once(mock_obf):
    async def scenario():
        async with mock_obf.client("v2") as client:
            return await asyncio.gather(*(client.issue_badge_once(
                "B5", "double.clic@exemple.fr", key="k-double") for _ in range(3)))
    results = run(scenario())
    assert sorted(r.issued for r in results) == [False, False, True]
    assert len({r.event_id for r in results}) == 1 and len(mock_obf.fake.issue_bodies) == 1


@pytest.mark.parametrize("answer", [
    httpx.Response(200, json={"success": False, "message": "quota"}),
    httpx.Response(201),  # neither a body nor a Location: which event?
    httpx.Response(400, json={"error": "invalid_parameter"}),
])
def test_issue_answers_that_cannot_be_used(mock_obf, answer):
    mock_obf.fake.script("/issue", answer)

    async def scenario():
        async with mock_obf.client("v2") as client:
            return await client.issue_badge("B5", "jeanne@exemple.fr")
    with pytest.raises(ObfBadResponse):
        run(scenario())


def test_directory_issues_in_the_named_organisation(obf_backend):
    email = newcomer(obf_backend, "dir")

    async def scenario():
        async with obf_backend.directory("v2") as directory:
            done = await directory.issue_badge_once("C1", email, key="k-dir", client_id="ORG2")
            found = await directory.find_issued("C1", email, client_id="ORG2")
            mine = await directory.learner_badges(email)
            with pytest.raises(ObfConfigError):
                directory.client("ORG9")
            return done, found, mine
    done, found, mine = run(scenario())
    assert done.issued and done.client_id == "ORG2" and found.event_id == done.event_id
    assert [b.badge_id for b in mine.items] == ["C1"]


def test_point_info_badge_id_setting(monkeypatch):
    monkeypatch.delenv("BAGOU_POINT_INFO_BADGE_ID", raising=False)
    assert ObfSettings(_env_file=None).point_info_badge_id == SANDBOX_POINT_INFO_BADGE_ID
    monkeypatch.setenv("BAGOU_POINT_INFO_BADGE_ID", "REALOBFBADGE1")
    monkeypatch.setenv("BAGOU_POINT_INFO_CLIENT_ID", "ORG2")
    settings = ObfSettings(_env_file=None)
    assert (settings.point_info_badge_id, settings.point_info_client_id) == (
        "REALOBFBADGE1", "ORG2")


def test_demo_point_info_badge_is_issued_once_and_listed(demo):
    email = f"apprenant.{os.urandom(3).hex()}@example.org"

    async def scenario():
        async with demo_client(demo, "v2") as client:
            first = await client.issue_badge_once(SANDBOX_POINT_INFO_BADGE_ID, email,
                                                  key=f"point-info:{email}")
        async with demo_client(demo, "v1") as client:
            again = await client.issue_badge_once(SANDBOX_POINT_INFO_BADGE_ID, email,
                                                  key=f"point-info:{email}")
            listed = await client.learner_badges(email)
        return first, again, listed
    first, again, listed = run(scenario())
    assert first.issued and not again.issued and again.event_id == first.event_id
    assert [b.badge_name for b in listed] == ["Point Info Badge"]
    credential = demo.get(first.badge.link).json()
    assert credential["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert credential["credentialSubject"]["achievement"]["name"] == "Point Info Badge"
