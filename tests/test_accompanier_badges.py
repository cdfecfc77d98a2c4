"""The quick buttons « Point Info Badge » and « Conseil Badge » of the interview page give
their own answers (issue 20, item 6). Rasa is replaced by what its channel gives for the
topic badges_accompagnateurs (the FAQ's overview of the 3 badges); the gateway narrows
it to the badge named (bot/chat/accompanier_badges.py)."""

import re

import pytest
import yaml
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.chat.accompanier_badges import COURSE_START, named_badge
from bot.chat.rasa_client import RasaClient
from bot.console import accounts
from bot.console.interview import ACCOMPANIER_BADGES
from bot.db.engine import make_engine, make_sessionmaker, upgrade_schema
from bot.ops.supervisor import free_port
from bot.settings import PROJECT_ROOT, Settings
from bot.texts import text
from tests.helpers.console import KEY, PASSWORD, sign_in

OVERVIEW = yaml.safe_load((PROJECT_ROOT / "faq" / "badges_accompagnateurs.yml").read_text(
    encoding="utf-8"))["responses"]["utter_faq/badges_accompagnateurs"][0]
QUESTIONS = dict(ACCOMPANIER_BADGES)


async def fake_rasa(_self, _sender, message, _metadata):
    """The topic the model gives these questions: the Référent Badge has its own."""
    if "Référent" in message:
        return [{"text": "Un Référent Badge fait vivre les badges dans sa structure.",
                 "utter_action": "utter_faq/devenir_referent"}]
    return [{"text": OVERVIEW["text"], "buttons": OVERVIEW["buttons"],
             "utter_action": "utter_faq/badges_accompagnateurs"}]


@pytest.fixture
def client(tmp_path, monkeypatch):
    for name in ("OBF_BASE_URL", "OBF_CLIENT_ID", "OBF_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'bagou.db'}", rasa_port=free_port(),
                        actions_port=free_port(), rasa_token="t", rasa_timeout=2,
                        secret_key=KEY, obf_sandbox=True)
    engine = make_engine(settings.database_url)
    upgrade_schema(engine)
    with make_sessionmaker(engine).begin() as s:
        accounts.create_user(s, "conseil", "Conseil", "adviser", PASSWORD)
    engine.dispose()
    monkeypatch.setattr(RasaClient, "send", fake_rasa)
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        yield client


def ask(client, session_id, question) -> dict:
    """One turn of the chat API (a new conversation when session_id is None)."""
    response = client.post("/api/chat", json={"text": question, "session_id": session_id})
    assert response.status_code == 200, response.text
    return response.json()


def test_each_accompanier_badge_button_of_the_interview_gets_its_own_answer(client):
    sign_in(client, "conseil")
    page = client.get("/conseiller/entretien")
    chat_id = re.search(r'<bagou-chat session="([0-9a-f-]{36})"', page.text).group(1)
    point_info = ask(client, chat_id, QUESTIONS["badge_point_info"])
    conseil = ask(client, chat_id, QUESTIONS["badge_conseil"])
    referent = ask(client, chat_id, QUESTIONS["badge_referent"])
    texts = [answer["replies"][0]["text"] for answer in (point_info, conseil, referent)]
    assert len(set(texts)) == 3  # three buttons, three answers
    assert texts[:2] == [text("accompagnateur_point_info"), text("accompagnateur_conseil")]
    assert point_info["topic"] == conseil["topic"] == "badges_accompagnateurs"
    # The Point Info Badge comes with the course that gives it.
    assert {"title": text("accompagnateur_bouton_formation"), "payload": COURSE_START} in (
        point_info["replies"][0]["buttons"])
    # The overview is still there for the 3 badges together.
    both = ask(client, chat_id, "Quelle différence entre le Point Info Badge et le Conseil Badge ?")
    assert both["replies"][0]["text"] == OVERVIEW["text"]
    assert ask(client, chat_id, text("accompagnateur_bouton_les_3"))["replies"][0]["text"] == (
        OVERVIEW["text"])


def test_the_referent_badge_gets_its_own_answer_also_when_rasa_gives_the_overview(client):
    answer = ask(client, None, "c'est quoi le badge référent badge")
    assert answer["replies"][0]["text"] == text("accompagnateur_referent")
    assert answer["topic"] == "badges_accompagnateurs"


@pytest.mark.parametrize("message, badge", [
    ("c koi le badge point info", "point_info"),
    ("C'est quoi le badge Point Info Badge ?", "point_info"),
    ("niveau conseil badge c quoi", "conseil"),
    ("C'est quoi le niveau Conseil Badge ?", "conseil"),
    ("badge référent badge c le niveau le plus haut ?", "referent"),
    ("quel badge pour un conseiller qui aide à créer et montrer les badges", None),
    ("point info, conseil badge, référent badge : c'est quoi la différence", None),
])
def test_the_badge_named_is_read_whatever_the_spelling(message, badge):
    assert named_badge(message) == badge
