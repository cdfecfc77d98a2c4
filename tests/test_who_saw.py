"""« Qui a regardé mes badges ? » (topic qui_a_vu_mes_badges) through the chat API: the
gateway fills Rasa's answer with the look-ups of the console's audit trail
(bot/chat/who_saw.py). Rasa is replaced by what its channel gives for that rule (the
response utter_qui_a_vu_mes_badges); the look-ups are made in the real console."""

import re
import time
from datetime import datetime, timedelta

import jwt
import pytest
import yaml

from bot.app import create_app
from bot.chat.identity import Identity
from bot.chat.rasa_client import RasaClient
from bot.chat.who_saw import MAX_SHOWN, TOPIC
from bot.console.pseudonym import learner_ref
from bot.db.models import ConsoleAudit, utcnow
from bot.settings import PROJECT_ROOT
from bot.texts import french_date, text
from tests.helpers.console import KEY, browser, console_settings, look_up, sign_in, with_accounts

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
SITE, SITE_SECRET = "site-de-test", "secret-du-site-de-test-0123456789abcdef"
STRUCTURE = "La Passerelle"
LEA, OTHER = "lea.martin@example.org", "autre.personne@example.org"
ADVISER_LOGIN, ADVISER_NAME = "m.durand", "Marie Durand"
QUESTION = "qui a regardé mes badges ?"


class FakeRasa:
    """Rasa's REST channel (rasa_ext/bagou_channel.py) for the rule of the topic: its
    response, with its name; a FAQ answer for anything else."""

    def __init__(self):
        self.metadata: list[dict] = []

    async def send(self, _sender: str, message: str, metadata: dict) -> list[dict]:
        self.metadata.append(metadata)
        if "regardé mes badges" in message:
            response = DOMAIN["responses"]["utter_qui_a_vu_mes_badges"][0]
            return [{"text": response["text"], "buttons": response["buttons"],
                     "utter_action": "utter_qui_a_vu_mes_badges"}]
        return [{"text": "Un Open Badge est une image numérique.",
                 "utter_action": "utter_faq/badge_definition"}]


@pytest.fixture
def rasa(monkeypatch):
    fake = FakeRasa()

    async def send(_self, sender, message, metadata):
        return await fake.send(sender, message, metadata)

    monkeypatch.setattr(RasaClient, "send", send)
    return fake


@pytest.fixture
def settings(tmp_path, monkeypatch):
    return console_settings(tmp_path, monkeypatch, site_secrets={SITE: SITE_SECRET},
                            contact_name=STRUCTURE, audit_retention_days=200)


@pytest.fixture
def db(settings):
    with with_accounts(settings, [(ADVISER_LOGIN, ADVISER_NAME, "adviser")]) as sessions:
        yield sessions


@pytest.fixture
def client(settings, db, rasa):
    with browser(create_app(settings)) as client:
        yield client


def site_token(email: str) -> str:
    now = int(time.time())
    return jwt.encode({"iss": SITE, "email": email, "exp": now + 600, "iat": now},
                      SITE_SECRET, algorithm="HS256")


def ask(client, session_id=None, token=None, question=QUESTION) -> dict:
    body = {"text": question, "session_id": session_id}
    if token:
        body["site_token"] = token
    response = client.post("/api/chat", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def said(answer: dict) -> str:
    return "\n".join(reply["text"] for reply in answer["replies"])


def test_a_learner_of_the_site_reads_the_look_ups_of_her_badges_and_nothing_of_the_adviser(
        client, db):
    before = ask(client, token=site_token(LEA))
    assert before["topic"] == TOPIC and said(before) == text("vus_aucun")
    # An adviser looks Léa up with her consent, then once without it, and another person.
    assert sign_in(client, ADVISER_LOGIN).status_code == 303
    assert look_up(client, LEA).status_code == 200
    assert look_up(client, LEA, consent=False).status_code == 422
    assert look_up(client, OTHER).status_code == 200
    client.cookies.clear()  # the learner's browser, not the adviser's

    answer = ask(client, token=site_token(LEA))
    assert answer["topic"] == TOPIC
    today = french_date(utcnow(), weekday=True)
    assert said(answer).splitlines() == [
        *text("vus_titre").splitlines(),
        *text("vus_ligne_rien", date=today, structure=STRUCTURE).splitlines(),
        text("vus_ligne", date=today, structure=STRUCTURE),
        *text("vus_fin", jours=200).splitlines()]
    for secret in (ADVISER_LOGIN, ADVISER_NAME, "Durand", LEA, "@"):
        assert secret not in said(answer)
    assert [b["title"] for b in answer["replies"][-1]["buttons"]] == [
        text("vus_bouton_qui_peut"), text("vus_bouton_personne")]
    # Rasa's interim answer (« je ne peux pas vous le dire ») is not given.
    assert "Pour le moment" not in said(answer)
    # The other person reads her one look-up only.
    other = said(ask(client, token=site_token(OTHER)))
    assert other.count(STRUCTURE) == 1 and text("vus_ligne", date=today, structure=STRUCTURE) in other


def test_a_learner_of_moodle_is_answered_from_the_identity_of_the_launch(client, db):
    with db.begin() as s:
        s.add(ConsoleAudit(at=datetime(2025, 7, 7, 10), user_login=ADVISER_LOGIN,
                           user_role="adviser", action="badges_lookup",
                           learner_ref=learner_ref(KEY.encode(), LEA), consent=True,
                           outcome="ok", badge_count=2))
    start = client.app.state.lti.start_session
    moodle = start(Identity(kind="learner", email=LEA, name="Léa Martin",
                            source="lti:https://moodle.example.org"))
    answer = ask(client, moodle)
    assert answer["topic"] == TOPIC
    assert text("vus_ligne", date="lundi 7 juillet 2025", structure=STRUCTURE) in said(answer)
    # Typing somebody's address changes nothing: only the launch's identity counts.
    assert said(ask(client, moodle, question=f"qui a regardé mes badges ? {OTHER}")) == said(answer)
    # Moodle gave no address: the person is told whom to ask.
    no_address = start(Identity(kind="learner", name="Léa", source="lti:https://moodle.example.org"))
    assert said(ask(client, no_address)) == text("vus_sans_adresse")


def test_an_anonymous_person_is_told_how_to_sign_in_and_reads_no_look_up(client, db):
    with db.begin() as s:
        s.add(ConsoleAudit(user_login=ADVISER_LOGIN, user_role="adviser",
                           action="badges_lookup", learner_ref=learner_ref(KEY.encode(), LEA),
                           consent=True, outcome="ok", badge_count=1))
    answer = ask(client)
    assert answer["topic"] == TOPIC and said(answer) == text("vus_anonyme")
    assert STRUCTURE not in said(answer)
    # Even after naming an address: the anonymous person is still anonymous.
    again = ask(client, answer["session_id"], question=f"qui a regardé mes badges ? {LEA}")
    assert said(again) == text("vus_anonyme")
    # A FAQ question in the same conversation still gets Rasa's answer.
    assert ask(client, answer["session_id"], question="c'est quoi un badge")["topic"] == "badge_definition"


def test_an_adviser_in_the_interview_chat_gets_no_learner_list(client, db):
    with db.begin() as s:
        s.add(ConsoleAudit(user_login=ADVISER_LOGIN, user_role="adviser",
                           action="badges_lookup", learner_ref=learner_ref(KEY.encode(), LEA),
                           consent=True, outcome="ok", badge_count=1))
    sign_in(client, ADVISER_LOGIN)
    page = client.get("/conseiller/entretien")
    chat_id = re.search(r'<bagou-chat session="([0-9a-f-]{36})"', page.text).group(1)
    answer = ask(client, chat_id)
    assert answer["topic"] == TOPIC and said(answer) == text("vus_conseiller")


def test_only_the_newest_look_ups_are_listed_and_the_rest_is_said(client, db):
    ref = learner_ref(KEY.encode(), LEA)
    first = datetime(2025, 3, 1, 9)
    with db.begin() as s:
        for day in range(MAX_SHOWN + 3):
            s.add(ConsoleAudit(at=first + timedelta(days=day), user_login=ADVISER_LOGIN,
                               user_role="adviser", action="badges_lookup", learner_ref=ref,
                               consent=True, outcome="ok", badge_count=1))
    lines = said(ask(client, token=site_token(LEA))).splitlines()
    dated = [line for line in lines if STRUCTURE in line]
    assert len(dated) == MAX_SHOWN
    assert dated[0].startswith("Le jeudi 13 mars 2025") and dated[-1].startswith("Le mardi 4 mars 2025")
    assert text("vus_plus", nombre=MAX_SHOWN) in lines
