"""The course in the chat seen through the chat API (issue 22, items 2 and 3): progress of
an identified learner kept in the database and resumed in a new session, an anonymous
person's course for the conversation only, and the Point Info badge issued once through
the OBF API (the gateway's sandbox), also when OBF fails and recovers.

Rasa is replaced by the real course action played in-process (tests/helpers/course.py:
the slots kept per conversation as Rasa keeps them, the messages as Rasa's REST channel
gives them); the real trained model plays the same conversations in tests/test_stack.py."""

import asyncio
import json
import sqlite3
import time
import uuid

import httpx
import jwt
import pytest
import yaml
from fastapi.testclient import TestClient

import bot.app
from bot.console import accounts
from bot.console.pages import texts as console_texts
from actions.formation import STATE_SLOT
from bot.chat.course_content import course
from bot.app import create_app
from bot.chat.point_info import PENDING, wait_after
from bot.chat.rasa_client import RasaClient
from bot.chat.service import asks_for_point_info
from bot.console.learners import SANDBOX_BASE, _WithLifespanState
from bot.console.pseudonym import learner_ref
from bot.db.engine import make_engine, make_sessionmaker
from bot.obf import ObfDirectory, ObfSettings, TokenStore, build_organisations
from bot.obf_sandbox.constants import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from bot.obf_sandbox.deps import SESSIONS_STATE
from bot.ops.supervisor import free_port
from bot.settings import PROJECT_ROOT, Settings
from bot.texts import text
from tests.helpers.clock import FakeClock
from tests.helpers.course import CourseRasa as FakeRasa

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
COURSE = course()
SITE, SITE_SECRET = "site-de-test", "secret-du-site-de-test-0123456789abcdef"
KEY = "cle-des-pseudonymes-de-test-0123456789"
EMAIL = "alex.nouveau@example.org"  # not in the sandbox's demo data: no badge yet
POINT_INFO = ObfSettings().point_info_badge_id


def wording(name: str, **values) -> str:
    return DOMAIN["responses"][name][0]["text"].format(**values)


def site_token(email: str = EMAIL, name: str = "Alex Nouveau") -> str:
    now = int(time.time())
    return jwt.encode({"iss": SITE, "email": email, "name": name, "exp": now + 600,
                       "iat": now}, SITE_SECRET, algorithm="HS256")


class Breakable(httpx.AsyncBaseTransport):
    """OBF behind a switch: down (503 for everything), or answering; `lose_answer`
    lets the next issue through but loses OBF's answer (a timeout after the fact)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, switch: dict):
        self.inner, self.switch = inner, switch

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.switch["down"]:
            return httpx.Response(503, json={"error": "maintenance"})
        issue = request.method == "POST" and request.url.path.endswith("/issue")
        if issue:
            self.switch["issues"] += 1
        response = await self.inner.handle_async_request(request)
        if issue and self.switch.pop("lose_answer", False):
            await response.aread()
            raise httpx.ReadTimeout("answer lost", request=request)
        return response


@pytest.fixture
def obf(monkeypatch):
    """The sandbox reached in-process through a switch (bot.app's directory factory).
    Its tokens are kept for this test only, on a fake clock: the one-token-per-10-s rule
    holds without waiting 10 real seconds (and no token of an earlier test's sandbox)."""
    switch = {"down": False, "issues": 0}
    clock = FakeClock()
    tokens = TokenStore(clock=clock, sleep=clock.sleep)

    def factory(app, engine, _obf):
        state = {SESSIONS_STATE: make_sessionmaker(engine)}
        organisations = build_organisations(SANDBOX_BASE, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)

        def directory() -> ObfDirectory:
            inner = httpx.ASGITransport(app=_WithLifespanState(app, state))
            return ObfDirectory.from_organisations(organisations, timeout=5, tokens=tokens,
                                                   transport=Breakable(inner, switch))
        switch["directory"] = directory
        return directory

    monkeypatch.setattr(bot.app, "directory_factory", factory)
    return switch


@pytest.fixture
def database(tmp_path):
    return tmp_path / "bagou.db"


@pytest.fixture
def rasa(monkeypatch):
    fake = FakeRasa()  # the course starts with « je veux apprendre »

    async def send(_self, sender, message, metadata):
        return await fake.send(sender, message, metadata)

    monkeypatch.setattr(RasaClient, "send", send)
    return fake


@pytest.fixture
def client(database, rasa, obf, monkeypatch):
    for name in ("OBF_BASE_URL", "BAGOU_POINT_INFO_BADGE_ID", "BAGOU_POINT_INFO_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)  # settings.obf: the sandbox's badge
    settings = Settings(database_url=f"sqlite:///{database}", rasa_port=free_port(),
                        actions_port=free_port(), rasa_token="t", rasa_timeout=2,
                        site_secrets={SITE: SITE_SECRET}, secret_key=KEY,
                        rate_limit_session="", rate_limit_address="")  # a course is many clicks
    # https: the console's session cookie is Secure, as in a browser.
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        yield client


class Person:
    """Someone in the widget: one conversation, signed in by the site or not."""

    def __init__(self, client: TestClient, token: str | None = None,
                 session_id: str | None = None):
        self.client, self.token, self.session_id = client, token, session_id
        self.replies: list[dict] = []

    def say(self, message: str) -> list[str]:
        body = {"text": message, "session_id": self.session_id}
        if self.token:
            body["site_token"] = self.token
        response = self.client.post("/api/chat", json=body)
        assert response.status_code == 200, response.text
        self.session_id = response.json()["session_id"]
        self.replies = response.json()["replies"]
        return [r["text"] for r in self.replies]

    def click(self, title: str) -> list[str]:
        buttons = {b["title"]: b["payload"] for r in self.replies for b in r["buttons"]}
        assert title in buttons, (title, list(buttons))
        return self.say(buttons[title])

    def state(self, rasa: FakeRasa) -> dict:
        return rasa.slots[self.session_id][STATE_SLOT]

    def take_course(self, rasa: FakeRasa, right: bool = True) -> None:
        """From where the person is to the end: « La suite », the right answer (or a
        wrong one, twice, when `right` is False)."""
        while self.state(rasa)["status"] != "finished":
            state = self.state(rasa)
            if state["screen"] == "question":
                question = COURSE.step(state["step"]).questions[state["index"]]
                choice = question.reponses[question.right] if right else next(
                    a for a in question.reponses if not a.juste)
                self.click(choice.texte)
            elif state["screen"] == "end":
                first_left = next(b["title"] for r in self.replies for b in r["buttons"]
                                  if b["title"].startswith("Étape"))
                self.click(first_left)
            else:
                self.click(wording("utter_bouton_la_suite"))


def rows(database, query: str, *args) -> list[tuple]:
    with sqlite3.connect(database) as db:
        return list(db.execute(query, args))


def badges_of(obf: dict, email: str = EMAIL) -> list:
    async def look():
        async with obf["directory"]() as directory:
            return (await directory.learner_badges(email)).items
    held = asyncio.run(look())
    return [b for b in held if b.badge_id == POINT_INFO]


def progress(number: int, step: str) -> str:
    return wording("utter_formation_etape", numero=number, total=6,
                   titre=COURSE.step(step).titre)


# --- persistence ----------------------------------------------------------------------

def test_an_identified_learner_pauses_and_resumes_in_a_new_session(client, rasa, database):
    monday = Person(client, site_token())
    monday.say("je veux apprendre")
    monday.click(wording("utter_formation_bouton_passer"))  # to step 2
    monday.click(wording("utter_bouton_la_suite"))  # its 2nd message
    assert monday.click(wording("utter_formation_bouton_pause"))[0] == wording(
        "utter_formation_pause", numero=2, total=6)

    # Another day, another device: a new conversation of the same learner.
    tuesday = Person(client, site_token())
    tuesday.say("bonjour")
    assert tuesday.session_id != monday.session_id
    assert rasa.metadata[-1]["course"]["state"]["status"] == "paused"
    said = tuesday.say('/autoformation_module{"formation": "reprendre"}')
    assert said == [progress(2, "recevoir") + "\n" + COURSE.step("recevoir").messages[1]]

    # Kept under the learner's keyed pseudonym, never the address.
    stored = rows(database, "SELECT learner_ref, session_id, state, last_event, step "
                            "FROM course_progress")
    assert len(stored) == 1
    ref, session, state, event, step = stored[0]
    assert ref == learner_ref(KEY.encode(), EMAIL) and session is None
    assert (json.loads(state)["status"], event, step) == ("active", "resumed", "recevoir")
    assert "alex" not in "".join(str(v) for v in stored[0])


def test_a_moodle_learner_resumes_what_she_began_on_the_site(client, rasa, database):
    site = Person(client, site_token())
    site.say("je veux apprendre")
    site.click(wording("utter_formation_bouton_passer"))
    # A session that an LTI launch bound to the same person (bot/lti).
    session = str(uuid.uuid4())
    with sqlite3.connect(database) as db:
        db.execute("INSERT INTO chat_sessions (id, created_at, last_active_at, identity_kind,"
                   " identity_email, identity_name, identity_source, identity_expires_at)"
                   " VALUES (?, datetime('now'), datetime('now'), 'learner', ?, 'Alex',"
                   " 'lti:https://moodle.example.org', datetime('now', '+1 hour'))",
                   (session, EMAIL))
    moodle = Person(client, session_id=session)
    said = moodle.say("je veux apprendre")
    assert said == [wording("utter_formation_deja", numero=2, total=6)]


def test_an_anonymous_course_lives_in_the_conversation_only(client, rasa, database):
    first = Person(client)
    first.say("je veux apprendre")
    first.click(wording("utter_formation_bouton_passer"))
    first.click(wording("utter_formation_bouton_pause"))
    assert rows(database, "SELECT * FROM course_progress") == []
    assert all("course" not in m for m in rasa.metadata)
    # The same conversation resumes (Rasa's slot); a new one starts from the beginning.
    assert first.say('/autoformation_module{"formation": "reprendre"}')[0].startswith(
        progress(2, "recevoir"))
    other = Person(client)
    assert other.say("je veux apprendre")[0] == wording("utter_formation_accueil", total=6)
    # The dashboard's events are kept for everyone, without identity.
    events = [e for (e,) in rows(database, "SELECT event FROM course_events ORDER BY id")]
    assert events == ["started", "skipped", "paused", "resumed", "started"]


# --- the Point Info badge ---------------------------------------------------------------

def test_a_learner_who_passes_gets_the_badge_once_and_sees_it_in_mes_badges(
        client, rasa, obf, database):
    learner = Person(client, site_token())
    learner.say("je veux apprendre")
    learner.take_course(rasa)
    assert learner.replies[-1]["text"] == text("point_info_recu")
    assert learner.replies[-1]["buttons"] == [{"title": text("point_info_bouton_badges"),
                                               "payload": "/mes_badges"}]
    assert obf["issues"] == 1
    held = badges_of(obf)
    assert len(held) == 1 and held[0].event_id
    award = rows(database, "SELECT status, email, attempts, notified_at FROM course_awards")
    assert award[0][:3] == ("issued", None, 1) and award[0][3] is not None

    # Again: the course done once more, « mon badge Point Info », a new session.
    learner.click(wording("utter_formation_bouton_recommencer"))
    learner.take_course(rasa)
    assert learner.replies[-1]["text"] == text("point_info_deja")
    assert Person(client, site_token()).say("Mon badge Point Info !") == [text("point_info_deja")]
    assert obf["issues"] == 1 and len(badges_of(obf)) == 1
    assert rows(database, "SELECT count(*) FROM course_awards") == [(1,)]


def test_a_course_not_passed_gives_no_badge(client, rasa, obf, database):
    learner = Person(client, site_token())
    learner.say("je veux apprendre")
    learner.take_course(rasa, right=False)
    assert not any(t.startswith("Bravo, vous recevez") for t in
                   [r["text"] for r in learner.replies])
    assert learner.say("mon badge point info")[0] == text("point_info_pas_fini")
    assert learner.replies[0]["buttons"] == [{"title": text("point_info_bouton_formation"),
                                              "payload": "/autoformation_module"}]
    assert obf["issues"] == 0 and rows(database, "SELECT * FROM course_awards") == []


def test_obf_failing_at_the_end_then_recovering_gives_exactly_one_badge(
        client, rasa, obf, database):
    learner = Person(client, site_token())
    learner.say("je veux apprendre")
    obf["down"] = True
    learner.take_course(rasa)
    assert learner.replies[-1]["text"] == text("point_info_plus_tard")
    award = rows(database, "SELECT status, email, attempts, last_error FROM course_awards")
    assert award == [(PENDING, EMAIL, 1, "server_error")]

    # Still down at the learner's next turn, after the wait: nothing said, still kept.
    due_now(database)
    assert learner.say("bonjour") == ["Un Open Badge est une image numérique."]
    assert rows(database, "SELECT status, attempts FROM course_awards") == [(PENDING, 2)]

    # OBF is back; the first try after it loses OBF's answer (the badge is issued
    # there, the gateway does not know): the next try finds it and issues no other.
    obf["down"], obf["lose_answer"] = False, True
    due_now(database)
    assert learner.say("bonjour") == ["Un Open Badge est une image numérique."]
    assert obf["issues"] == 1
    due_now(database)
    said = learner.say("bonjour")
    assert said == ["Un Open Badge est une image numérique.", text("point_info_arrive")]
    assert obf["issues"] == 1 and len(badges_of(obf)) == 1
    assert rows(database, "SELECT status, email FROM course_awards") == [("issued", None)]
    # Told once.
    assert learner.say("bonjour") == ["Un Open Badge est une image numérique."]


def test_the_periodic_retry_issues_a_pending_badge_and_the_learner_hears_it_later(
        client, rasa, obf, database):
    learner = Person(client, site_token())
    learner.say("je veux apprendre")
    obf["down"] = True
    learner.take_course(rasa)
    assert learner.replies[-1]["text"] == text("point_info_plus_tard")
    awards = awards_of(client)
    # Not due yet: the periodic task leaves it alone.
    assert asyncio.run(awards.retry_due()) == 0
    obf["down"] = False
    due_now(database)
    assert asyncio.run(awards.retry_due()) == 1
    assert asyncio.run(awards.retry_due()) == 0
    assert obf["issues"] == 1 and len(badges_of(obf)) == 1
    # The person was away: told at their next turn, in a new session.
    assert Person(client, site_token()).say("bonjour")[-1] == text("point_info_arrive")


def test_an_anonymous_person_who_passes_is_told_how_to_get_the_badge_then_gets_it(
        client, rasa, obf, database):
    person = Person(client)
    person.say("je veux apprendre")
    person.take_course(rasa)
    assert person.replies[-1]["text"] == text("point_info_connexion")
    assert person.say("mon badge Point Info") == [text("point_info_connexion")]
    assert obf["issues"] == 0
    # Signed in on the structure's site, in the same conversation.
    person.token = site_token()
    assert person.say("mon badge Point Info") == [text("point_info_recu")]
    assert obf["issues"] == 1 and len(badges_of(obf)) == 1
    assert rows(database, "SELECT learner_ref, session_id, passed FROM course_progress") == [
        (learner_ref(KEY.encode(), EMAIL), None, 1)]


def test_wait_between_tries_grows_up_to_an_hour():
    assert [wait_after(n).total_seconds() for n in (1, 2, 3, 7, 20)] == [
        60, 120, 240, 3600, 3600]


@pytest.mark.parametrize("message, asks", [
    ("mon badge Point Info", True), ("Je veux mon badge point-info !", True),
    ("mon point info badge", True), ("c'est quoi le badge Point Info ?", False),
    ("mes badges", False), ("le badge point info est pour qui", False),
])
def test_which_messages_ask_for_the_badge(message, asks):
    assert asks_for_point_info(message) is asks


def due_now(database) -> None:
    """As if the wait before the next try were over."""
    with sqlite3.connect(database) as db:
        db.execute("UPDATE course_awards SET next_attempt_at = '2000-01-01 00:00:00.000000'")


def awards_of(client: TestClient):
    """The gateway's PointInfoAwards (the periodic task's object)."""
    route = next(r for r in client.app.routes if getattr(r, "path", "") == "/api/chat")
    cells = [c.cell_contents for c in route.endpoint.__closure__]
    chat = next(c for c in cells if hasattr(c, "_awards"))
    return chat._awards


# --- the editors' dashboard (item 4) -------------------------------------------------------

def test_the_dashboard_shows_starts_ends_stops_and_the_questions_most_often_wrong(
        client, rasa, database):
    finisher = Person(client, site_token())
    finisher.say("je veux apprendre")
    finisher.take_course(rasa)
    for pause in (True, False):  # two stop at step 1, after a wrong answer to its 1st question
        quitter = Person(client)
        quitter.say("je veux apprendre")
        while quitter.state(rasa)["screen"] == "lesson":
            quitter.click(wording("utter_bouton_la_suite"))
        question = COURSE.step("decrire").questions[0]
        quitter.click(next(a for a in question.reponses if not a.juste).texte)
        if pause:  # the other one just leaves
            quitter.click(wording("utter_formation_bouton_pause"))

    engine = make_engine(f"sqlite:///{database}")
    with make_sessionmaker(engine).begin() as db:
        accounts.create_user(db, "redac", "Rédactrice", "editor", "un mot de passe assez long")
    engine.dispose()
    page = client.get("/conseiller/connexion")
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    signed = client.post("/conseiller/connexion", follow_redirects=False, data={
        "csrf": csrf, "identifiant": "redac", "mot_de_passe": "un mot de passe assez long"})
    assert signed.status_code == 303

    labels = console_texts()
    board = client.get("/conseiller/tableau")
    assert board.status_code == 200 and labels["titre_formation"] in board.text
    figures = board.text.split(labels["formation_commencee"], 1)[1]
    assert "<dd>3</dd>" in figures.split(labels["formation_finie"])[0]

    follow = client.get("/conseiller/tableau/formation-suivi.csv")
    assert follow.status_code == 200 and follow.headers["content-type"].startswith("text/csv")
    lines = follow.text.lstrip("\ufeff").splitlines()
    assert lines[:4] == ["mesure;etape;titre;nombre", "commencee;;;3", "finie;;;1",
                         "reussie;;;1"]
    assert f"arret;1;{COURSE.step('decrire').titre};2" in lines
    assert f"arret;2;{COURSE.step('recevoir').titre};0" in lines

    wrong = client.get("/conseiller/tableau/formation-questions.csv").text
    rows_ = wrong.lstrip("\ufeff").splitlines()
    assert rows_[0] == "erreurs;reponses;question;etape;texte"
    assert rows_[1].startswith("2;3;decrire.1;"), rows_  # 2 wrong of 3
    assert len(rows_) == 2  # the finisher made no mistake
