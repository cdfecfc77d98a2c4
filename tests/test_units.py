"""Small pure pieces: personal-data masking, topic of a Rasa reply, closest topics,
Rasa's shared stores (how the gateway spreads messages over several Rasa instances:
tests/test_rasa_client.py)."""


import pytest
import yaml

from actions.incompris import closest_topics
from bot.chat.topics import topic_of_turn
from bot.privacy import mask_personal_data
from bot.settings import PROJECT_ROOT, Settings
from rasa_ext.stores import rasa_endpoints, topology_error


@pytest.mark.parametrize("raw, stored", [
    ("écrivez à jean.dupont+badges@exemple.fr svp", "écrivez à [e-mail masqué] svp"),
    ("mon numéro 06 12 34 56 78", "mon numéro [téléphone masqué]"),
    ("appelez le +33 6 12 34 56 78", "appelez le [téléphone masqué]"),
    ("j'ai eu 3 badges en 2024", "j'ai eu 3 badges en 2024"),
    ("rendez-vous le 12 03 2025", "rendez-vous le 12 03 2025"),
])
def test_personal_data_is_masked(raw, stored):
    assert mask_personal_data(raw) == stored


@pytest.mark.parametrize("messages, topic", [
    ([{"text": "…", "utter_action": "utter_faq/partager_cv"}], "partager_cv"),
    ([{"text": "…", "utter_action": "utter_bonjour"}], "bonjour"),
    ([{"text": "…", "utter_action": "utter_incompris", "topic": "incompris"}], "incompris"),
    ([{"text": "…", "utter_action": "utter_aide_conseiller", "topic": "aide"}], "aide"),
    # A response that names no topic of the contract: the assistant did not understand.
    ([{"text": "…", "utter_action": "utter_default"}], "incompris"),
    ([{"text": "a", "utter_action": "utter_bonjour"}, {"text": "b"}], "bonjour"),
])
def test_topic_of_a_rasa_reply(messages, topic):
    assert topic_of_turn(messages) == topic


def test_closest_topics_prefer_likely_faq_answers_and_skip_noise():
    parse = {
        "intent_ranking": [
            {"name": "nlu_fallback", "confidence": 0.6},
            {"name": "faq", "confidence": 0.5},
            {"name": "aide", "confidence": 0.3},
            {"name": "merci", "confidence": 0.2},
        ],
        "response_selector": {"faq": {"ranking": [
            {"intent_response_key": "faq/partager_cv", "confidence": 0.8},
            {"intent_response_key": "faq/partager_linkedin", "confidence": 0.15},
            {"intent_response_key": "faq/badge_gratuit", "confidence": 0.05},
        ]}},
    }
    assert closest_topics(parse) == ["partager_cv", "aide"]


def test_plus_simple_finds_the_simpler_version_of_the_last_answer():
    from rasa_sdk import Tracker

    from actions.plus_simple import SIMPLE_CONDITION, last_response_name, simple_version

    events = [
        {"event": "bot", "text": "a", "metadata": {"utter_action": "utter_faq/partager_cv"}},
        {"event": "user", "text": "j'ai pas compris"},
        {"event": "bot", "text": "b", "metadata": {}},  # a custom action's message
    ]
    tracker = Tracker("s", {}, {}, events, False, None, {}, "action_listen")
    assert last_response_name(tracker) == "utter_faq/partager_cv"
    domain = {"responses": {"utter_faq/partager_cv": [
        {"text": "usual"}, {"text": "simple", "condition": [SIMPLE_CONDITION]}]}}
    assert simple_version(domain, "utter_faq/partager_cv")["text"] == "simple"
    assert simple_version(domain, "utter_bonjour") is None


def test_a_button_with_a_web_address_becomes_a_link():
    from bot.chat.service import to_reply

    reply = to_reply({"text": "t", "buttons": [
        {"title": "Site LinkedIn", "payload": "https://www.linkedin.com/"},
        {"title": "Mettre mes badges dans mon CV", "payload": "Mettre mes badges dans mon CV"}]})
    assert [l.url for l in reply.links] == ["https://www.linkedin.com/"]
    assert [b.title for b in reply.buttons] == ["Mettre mes badges dans mon CV"]


def test_dates_are_written_in_full_as_people_read_them():
    from datetime import date

    from actions.wording import french_date
    assert french_date(date(2026, 3, 1)) == "1er mars 2026"
    assert french_date(date(2024, 8, 14)) == "14 août 2024"
    assert french_date(date(2025, 12, 31)) == "31 décembre 2025"


def test_a_badge_date_reads_the_same_in_the_chat_the_console_and_the_badge_check():
    from datetime import datetime, timezone

    from actions.wording import french_date
    from bot.console.pages import ENV
    from bot.verify.answer import replies_for
    from bot.verify.result import VALID, Verdict
    day = datetime(2025, 3, 1, 9, 30, tzinfo=timezone.utc)
    in_the_chat = french_date(day.date())  # the action « mes badges »
    in_the_console = ENV.from_string("{{ day | french_date }}").render(day=day)
    checked = replies_for(Verdict(VALID, "heberge_ok", issued_on=day, badge_name="Badge"))
    assert in_the_chat == "1er mars 2025"
    assert in_the_console == "samedi 1er mars 2025"
    assert "Date : samedi 1er mars 2025." in "\n".join(r.text for r in checked)


def test_the_nlu_and_the_gateway_fold_accents_the_same_way():
    # Rasa's side keeps its own copy (rasa_ext/text.py): it cannot import the gateway.
    from bot.texts import fold_accents
    from rasa_ext.text import plain
    samples = ["Numérique", "NUMÉRIQUE", "l’émetteur", "Ça veut dire quoi ?", "Saint-Lô",
               "œuvre Noël ﬁn ²", "Straße", "çàéèêëîïôûüÿ ÀÉÈÊËÎÏÔÛÜŸ", "c’est quoi l'endossement"]
    assert [fold_accents(s) for s in samples] == [plain(s) for s in samples]
    assert fold_accents("l’Émetteur") == "l'emetteur"


def test_rasa_stores_are_written_without_their_passwords(tmp_path):
    settings = Settings(rasa_instances=2,
                        rasa_tracker_url="postgresql://bagou:p%40ss%2Fword@db.local:5433/rasa",
                        rasa_lock_url="redis://:s3cret@cache.local:6380/2")
    assert topology_error(settings) is None
    path, env = rasa_endpoints(settings, tmp_path)
    endpoints = yaml.safe_load(path.read_text())
    assert endpoints["action_endpoint"] == {
        "url": "${BAGOU_ACTIONS_URL}/webhook",
        "headers": {"X-Bagou-Actions-Token": "${BAGOU_ACTIONS_TOKEN}"}}
    assert endpoints["tracker_store"] == {
        "type": "rasa_ext.tracker_store.MaskingSQLTrackerStore", "dialect": "postgresql",
        "url": "db.local", "port": 5433, "db": "rasa",
        "username": "bagou", "password": "${BAGOU_RASA_TRACKER_PASSWORD}"}
    assert endpoints["lock_store"]["url"] == "cache.local"
    assert endpoints["lock_store"]["password"] == "${BAGOU_RASA_LOCK_PASSWORD}"
    assert env == {"BAGOU_RASA_TRACKER_PASSWORD": "p@ss/word", "BAGOU_RASA_LOCK_PASSWORD": "s3cret"}
    assert "s3cret" not in path.read_text() and "p@ss" not in path.read_text()


def test_default_rasa_keeps_its_stores_in_memory(tmp_path):
    assert rasa_endpoints(Settings(), tmp_path) == (PROJECT_ROOT / "endpoints.yml", {})
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("values, says", [
    ({"rasa_instances": 2}, "BAGOU_RASA_TRACKER_URL (postgresql://…) et BAGOU_RASA_LOCK_URL"),
    ({"rasa_instances": 2, "rasa_tracker_url": "postgresql://h/rasa"}, "BAGOU_RASA_LOCK_URL"),
    ({"rasa_tracker_url": "mysql://h/rasa"}, "doit commencer par postgresql://"),
    ({"rasa_lock_url": "redis://h/zero"}, "la base Redis est un nombre"),
])
def test_bagou_run_refuses_a_rasa_topology_that_cannot_work(values, says):
    assert says in topology_error(Settings(**values))
