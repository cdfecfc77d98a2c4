"""A Moodle sees only its own learners' badges (issue 21, item 5): each registration
names the OBF organisations whose badges its learners may see.

Played with the platform emulator (tests/helpers/lti.py) against the gateway in-process:
the launch, the chat session, the identity sent to Rasa, then the real badge action
(action_mes_badges) run on that metadata, in front of two OBF organisations that each
hold one badge of the same learner. Only OBF is played (two fake organisations that
count who asks them); Rasa is replaced by the action itself, as in
tests/test_widget_course.py. tests/test_lti.py's stack test sees the sandbox's badges
through the real model and action server."""

import asyncio
import json
import re

import pytest
import yaml
from fastapi.testclient import TestClient
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.obf_access as obf_access
from actions.badges_suivants import ActionBadgesSuivants
from actions.config import ActionSettings
from actions.mes_badges import ActionMesBadges
from bot.app import create_app
from bot.chat.rasa_client import RasaClient
from bot.chat.service import stored_identity
from bot.db.models import ChatSession
from bot.lti.config import make_keys
from bot.obf import LearnerBadge, ObfDirectory, ObfSettings
from bot.settings import PROJECT_ROOT
from tests.helpers.console import csrf_of, sign_in
from tests.helpers.identity import learner
from tests.helpers.lti import INSTRUCTOR, Platform, console_for_moodle, lti_settings, session_of

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
EMAIL = "lea.martin@example.org"
NO_LOOK_UP = DOMAIN["responses"]["utter_badges_moodle_sans_organisation"][0]["text"]
# Bagou's OBF: organisations org-a and org-b (OBF_CLIENT_ID=org-a,org-b), for the
# console (settings.obf) and the actions (the `obf` fixture).
BAGOU_OBF = ObfSettings(base_url="https://obf.invalid", client_id="org-a,org-b",
                        client_secret="sa,sb", _env_file=None)


class FakeOrganisation:
    """One OBF organisation holding one badge of Léa; it counts who asks it."""

    def __init__(self, client_id: str, badge: str):
        self.client_id, self.badge = client_id, badge
        self.asked: list[str] = []

    async def learner_badges(self, email: str) -> list[LearnerBadge]:
        self.asked.append(email)
        return [LearnerBadge(badge_id=self.client_id + "-1", badge_name=self.badge,
                             issuer_name=None, issued_on=None, expires_on=None,
                             revoked=False, expired=False, client_id=self.client_id)]

    async def earnable_badges(self):
        self.asked.append("earnable")
        return []

    async def aclose(self):
        pass


@pytest.fixture()
def obf(monkeypatch):
    """Bagou's OBF: organisations org-a and org-b (OBF_CLIENT_ID=org-a,org-b), each with
    a badge of Léa; what the console offers and what the actions read."""
    orgs = {"org-a": FakeOrganisation("org-a", "Badge de A"),
            "org-b": FakeOrganisation("org-b", "Badge de B")}
    monkeypatch.setattr(obf_access, "get_settings",
                        lambda: ActionSettings(obf=BAGOU_OBF, _env_file=None))
    monkeypatch.setattr(obf_access, "_directory", ObfDirectory(list(orgs.values())))
    return orgs


@pytest.fixture()
def rasa(monkeypatch):
    """Rasa replaced by action_mes_badges run on the metadata the gateway sends."""
    sent: list[dict] = []

    async def send(_self, sender, message, metadata):
        sent.append(metadata)
        tracker = Tracker.from_dict({
            "sender_id": sender, "slots": {"badges_vus": 0.0}, "events": [],
            "latest_message": {"text": message, "metadata": metadata,
                               "intent": {"name": "mes_badges", "confidence": 1}}})
        dispatcher = CollectingDispatcher()
        await ActionMesBadges().run(dispatcher, tracker, DOMAIN)
        return [{"text": m["text"], "topic": m.get("topic")} for m in dispatcher.messages]

    monkeypatch.setattr(RasaClient, "send", send)
    return sent


def my_badges(client, page) -> list[str]:
    """« Voir mes badges » in the session the launch opened: the texts of the replies."""
    session_id = re.search(r'<bagou-chat session="([0-9a-f-]{36})"', page.text).group(1)
    answer = client.post("/api/chat", json={"session_id": session_id,
                                            "text": "Voir mes badges"})
    assert answer.status_code == 200, answer.text
    return [reply["text"] for reply in answer.json()["replies"]]


@pytest.fixture()
def two_moodles(tmp_path):
    """Two Moodle sites registered in the JSON file: A linked to org-a, B to nothing."""
    a, b = Platform("https://moodle-a.example.test"), Platform("https://moodle-b.example.test")
    a.client_id, b.client_id = "client-a", "client-b"
    make_keys(tmp_path / "keys")
    config = tmp_path / "registrations.json"
    config.write_text(json.dumps({**a.registrations_json(("org-a",)),
                                  **b.registrations_json(None)}), encoding="utf-8")
    yield a, b, lti_settings(tmp_path, tmp_path, config)
    a.close()
    b.close()


def test_a_learner_sees_only_the_badges_of_the_organisations_of_her_moodle(
        two_moodles, obf, rasa, caplog):
    a, b, settings = two_moodles
    with TestClient(create_app(settings)) as client:
        client.db_url = settings.database_url
        # From Moodle A: the badge of org-a, never org-b's; org-b is not even asked.
        page = a.open(client, email=EMAIL)
        assert session_of(client, page.text).identity_organisations == ["org-a"]
        replies = my_badges(client, page)
        assert replies[0] == "Vous avez 1 badge."
        assert any("Badge de A" in r for r in replies)
        assert not any("Badge de B" in r for r in replies)
        assert rasa[-1]["identity"]["organisations"] == ["org-a"]
        assert obf["org-a"].asked == [EMAIL] and obf["org-b"].asked == []

        # From Moodle B, linked to no organisation: the same person, no look-up at all.
        page = b.open(client, email=EMAIL)
        assert my_badges(client, page) == [NO_LOOK_UP]
        assert rasa[-1]["identity"]["organisations"] == []
        assert obf["org-a"].asked == [EMAIL] and obf["org-b"].asked == []
    # The operator is told which registration gives no look-up.
    assert "https://moodle-b.example.test (client client-b) names no OBF organisation" \
        in caplog.text


def test_next_badges_are_looked_up_in_the_moodles_organisations_only(obf):
    """« Quel badge ensuite ? » reads the held and the earnable badges: org-a's only."""
    async def run(organisations):
        tracker = Tracker.from_dict({"sender_id": "s", "slots": {}, "events": [],
                                     "latest_message": {"text": "badge suivant", "metadata": {
                                         "identity": learner(
                                             EMAIL, organisations=organisations)}}})
        dispatcher = CollectingDispatcher()
        await ActionBadgesSuivants().run(dispatcher, tracker, DOMAIN)
        return [m["text"] for m in dispatcher.messages]

    asyncio.run(run(["org-a"]))
    assert obf["org-a"].asked == [EMAIL, "earnable"] and obf["org-b"].asked == []
    assert asyncio.run(run([])) == [NO_LOOK_UP]
    assert asyncio.run(run(["org-z"])) == [NO_LOOK_UP]  # an organisation Bagou does not read
    assert obf["org-b"].asked == []


def test_a_site_learner_and_the_sandbox_keep_their_look_ups(monkeypatch):
    """No organisations in the identity (a site's learner): every organisation; a Moodle
    linked to « sandbox » while Bagou runs on it: the sandbox's demo organisation."""
    demo, other = FakeOrganisation("bagou-demo", "Badge démo"), FakeOrganisation("x", "X")
    monkeypatch.setattr(obf_access, "_directory", ObfDirectory([demo, other]))
    monkeypatch.setattr(obf_access, "get_settings", lambda: ActionSettings(
        obf=ObfSettings(base_url="", _env_file=None), _env_file=None))

    def tracker(identity):
        return Tracker.from_dict({"sender_id": "s", "slots": {}, "events": [],
                                  "latest_message": {"metadata": {"identity": identity}}})
    site = {"kind": "learner", "email": EMAIL, "source": "site:demo"}
    assert len(obf_access.directory_for(tracker(site)).clients) == 2
    moodle = {**site, "source": "lti:https://m", "organisations": ["sandbox"]}
    assert [c.client_id for c in obf_access.directory_for(tracker(moodle)).clients] == [
        "bagou-demo"]
    assert obf_access.directory_for(tracker({**moodle, "organisations": "sandbox"})) is None


def test_a_moodle_session_kept_before_organisations_existed_gets_no_look_up():
    row = ChatSession(identity_kind="learner", identity_email=EMAIL,
                      identity_source="lti:https://moodle.example.test")
    assert stored_identity(row).organisations == ()
    assert stored_identity(row).metadata()["organisations"] == []
    site = ChatSession(identity_kind="learner", identity_email=EMAIL, identity_source="site:x")
    assert stored_identity(site).organisations is None
    assert "organisations" not in stored_identity(site).metadata()


# --- dynamic registration: the administrator chooses the organisations -----------------------


@pytest.fixture()
def console(tmp_path, obf):
    """A Bagou without JSON file, its console with an administrator and an adviser."""
    with console_for_moodle(tmp_path, obf=BAGOU_OBF) as client:
        yield client


def register(client, platform):
    """Moodle registers Bagou from the one-time URL made in the console."""
    page = client.get("/conseiller/moodle")
    made = client.post("/conseiller/moodle/lien", data={"csrf": csrf_of(page)})
    url = re.search(r'value="(https://testserver/lti/inscription/[^"]+)"', made.text).group(1)
    done = client.get(url, params={
        "openid_configuration": f"{platform.base}/mod/lti/openid-configuration.php",
        "registration_token": platform.registration_token})
    assert done.status_code == 200, done.text


def accept(client, ticked: list[str], button: str = "Accepter"):
    """Ticks the organisations in the row's form, as a person does, and sends it."""
    page = client.get("/conseiller/moodle")
    row = re.search(r'data-inscription="(\d+)"', page.text).group(1)
    boxes = dict(re.findall(r'name="(organisation_\d+)" value="([^"]+)"', page.text))
    assert f">{button}</button>" in page.text
    data = {"csrf": csrf_of(page), "id": row, "decision": "accepter"}
    data.update({name: value for name, value in boxes.items() if value in ticked})
    if "org-z" in ticked:  # a value the page never offered
        data["organisation_9"] = "org-z"
    answer = client.post("/conseiller/moodle/decision", data=data)
    assert answer.status_code == 200, answer.text
    return answer


def test_the_administrator_links_a_registered_moodle_to_its_organisations(
        console, obf, rasa):
    client = console
    platform = Platform()
    platform.iss = platform.base
    try:
        assert sign_in(client, "chef").status_code == 303
        register(client, platform)
        page = client.get("/conseiller/moodle")
        # The organisations Bagou reads are offered, none ticked yet.
        assert re.findall(r'name="organisation_\d+" value="([^"]+)"', page.text) == [
            "org-a", "org-b"]
        assert " checked" not in page.text

        listing = accept(client, ["org-b", "org-z"]).text
        assert re.search(r"<td data-organismes>org-b</td>", listing)  # org-z was ignored
        launched = platform.open(client, email=EMAIL)
        assert session_of(client, launched.text).identity_organisations == ["org-b"]
        replies = my_badges(client, launched)
        assert any("Badge de B" in r for r in replies)
        assert not any("Badge de A" in r for r in replies)
        assert obf["org-a"].asked == []

        # Accepted again with nothing ticked: its next launches get no look-up.
        listing = accept(client, [], button="Enregistrer").text
        assert "<td data-organismes>Aucun organisme</td>" in listing
        assert my_badges(client, platform.open(client, email=EMAIL)) == [NO_LOOK_UP]
        assert obf["org-a"].asked == [] and len(obf["org-b"].asked) == 1
        # A teacher launched from there is no learner: no look-up either.
        teacher = platform.open(client, email=EMAIL, roles=(INSTRUCTOR,))
        assert session_of(client, teacher.text).identity_kind == "adviser"
    finally:
        platform.close()


def test_the_console_menu_leads_administrators_to_the_moodle_page(console):
    client = console
    assert sign_in(client, "chef").status_code == 303
    for path in ("/conseiller", "/conseiller/moodle", "/conseiller/comptes"):
        nav = client.get(path).text.split("<nav", 1)[1].split("</nav>", 1)[0]
        assert '<a href="/conseiller/moodle">Bagou dans Moodle</a>' in nav
    client.cookies.clear()
    assert sign_in(client, "conseil").status_code == 303
    assert "/conseiller/moodle" not in client.get("/conseiller").text
