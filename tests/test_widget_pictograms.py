"""The pictograms of the themes (widget/pictogrammes.yml, OpenMoji) and the widget's first
message, without a browser: every FAQ file names a known pictogram, every pictogram has
its file and a FALC name, the gateway serves only those files, and the first message
follows the settings (how long messages are kept, the contact, the privacy page)."""

import pytest
import yaml
from fastapi.testclient import TestClient

from bot import pictograms
from bot.api.widget import retention, welcome, widget_texts
from bot.app import create_app
from bot.chat.topics import all_topics
from bot.ops.supervisor import free_port
from bot.settings import PROJECT_ROOT, Settings

FAQ = sorted((PROJECT_ROOT / "faq").glob("*.yml"))
CATALOGUE = yaml.safe_load((PROJECT_ROOT / "widget" / "pictogrammes.yml").read_text(encoding="utf-8"))
MESSAGES = yaml.safe_load((PROJECT_ROOT / "texts" / "widget.yml").read_text(encoding="utf-8"))["messages"]
THEMES = ["decouvrir", "recevoir", "decrire", "partager", "enrichir", "endosser", "rechercher",
          "verifier", "aide", "personne"]


def settings(**values) -> Settings:
    return Settings(database_url="sqlite://", **values)


@pytest.mark.parametrize("path", FAQ, ids=lambda p: p.stem)
def test_each_faq_file_chooses_a_known_pictogram(path):
    chosen = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("pictogramme")
    assert chosen in CATALOGUE["pictogrammes"], f"{path.name}: pictogramme: {chosen!r}"
    assert pictograms.for_topic(path.stem).id == chosen


def test_the_catalogue_has_every_theme_of_the_issue_and_each_file_exists():
    assert set(THEMES) <= set(pictograms.catalogue())
    for found in pictograms.catalogue().values():
        assert found.path.is_file(), found
        assert found.path.read_text(encoding="utf-8").lstrip().startswith("<svg")
    for topic, key in CATALOGUE["sujets"].items():
        assert topic in all_topics() and key in CATALOGUE["pictogrammes"], topic


def test_pictogram_names_are_falc_button_titles():
    from falc.checker import check
    from falc.report import render
    from falc.texts import TITLE, Text

    names = [Text(f"widget/pictogrammes.yml › {key}", TITLE, found.name)
             for key, found in pictograms.catalogue().items()]
    results = check(names)
    assert not [r for r in results if r.failed], render(results)


@pytest.fixture
def client(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'bagou.db'}", rasa_port=free_port(),
                              actions_port=free_port(), rasa_token="t", rasa_timeout=2))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_the_gateway_serves_the_pictograms_and_nothing_else(client):
    for key in pictograms.catalogue():
        response = client.get(f"/widget/pictogrammes/{key}.svg")
        assert response.status_code == 200, key
        assert response.headers["content-type"] == "image/svg+xml"
        assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    for path in ("/widget/pictogrammes/1F4A1.svg", "/widget/pictogrammes/partager",
                 "/widget/pictogrammes/..%2Fbagou.js", "/widget/pictogrammes/inconnu.svg"):
        assert client.get(path).status_code == 404, path


def test_texts_json_gives_the_welcome_the_suggestions_pictograms_and_the_credit(client):
    served = client.get("/widget/texts.json").json()
    assert served["welcome"]["text"].startswith("Bonjour, je suis Bagou.\nJe suis un programme.")
    # Above the theme buttons: who speaks and what to do; below them, the facts.
    assert served["welcome"]["text"].endswith(MESSAGES["accueil_choisir"])
    assert served["welcome"]["facts"].split("\n")[:2] == [
        "Je garde vos messages pendant 3 mois.", MESSAGES["accueil_masque"]]
    assert [s["pictogram"]["id"] for s in served["suggestions"]] == ["decouvrir", "recevoir", "partager"]
    assert served["credit"]["name"] == "OpenMoji" and served["credit"]["licence"] == "CC BY-SA 4.0"
    # The buttons of answers that ask a topic's question: found by their title.
    assert served["theme_buttons"]["Comment partager un badge ?"]["id"] == "partager"
    titles = {t.title for t in all_topics().values()}
    assert set(served["theme_buttons"]) <= titles


@pytest.mark.parametrize("days, said", [(90, "3 mois"), (30, "1 mois"), (45, "45 jours"), (1, "1 jour")])
def test_how_long_messages_are_kept_is_said_in_days_or_months(days, said):
    assert retention(days) == said
    assert f"Je garde vos messages pendant {said}." in welcome(MESSAGES, settings(retention_days=days))["facts"]


@pytest.mark.parametrize("contact, line", [
    ({}, "Pour parler à une personne, appelez La Passerelle au 02 00 00 00 00."),  # the demo's
    ({"contact_name": "Mission locale", "contact_phone": "01 23 45 67 89"},
     "Pour parler à une personne, appelez Mission locale au 01 23 45 67 89."),
    ({"contact_phone": "01 23 45 67 89"}, "Pour parler à une personne, appelez le 01 23 45 67 89."),
    ({"contact_email": "accueil@ml.example"}, "Pour parler à une personne, écrivez à accueil@ml.example."),
    ({"contact_url": "https://ml.example/contact"},
     "Pour parler à une personne, allez sur https://ml.example/contact."),
    ({"demo_contact": False}, MESSAGES["accueil_structure"]),
])
def test_the_first_message_says_how_to_reach_a_person(contact, line):
    said = welcome(MESSAGES, settings(**contact))
    assert line in said["facts"].split("\n")
    assert said["privacy_url"] is None


def test_the_privacy_page_comes_from_the_settings():
    served = widget_texts(settings(privacy_url="https://site.example/donnees"))
    assert served["welcome"]["privacy_url"] == "https://site.example/donnees"


def test_every_line_of_every_first_message_is_falc():
    from falc.checker import check
    from falc.report import render
    from falc.texts import ANSWER, Text

    variants = [{}, {"contact_phone": "01 23 45 67 89"}, {"contact_email": "a@b.example"},
                {"contact_url": "https://b.example"}, {"demo_contact": False}, {"retention_days": 45}]
    said = [welcome(MESSAGES, settings(**v)) for v in variants]
    texts = [Text(f"welcome {i}", ANSWER, f"{w['text']}\n{w['facts']}") for i, w in enumerate(said)]
    results = check(texts)
    assert not [r for r in results if r.failed], render(results)


def test_thumbs_go_under_faq_answers_and_the_course_controls_are_named(client):
    """What the widget needs to show « Utile » under FAQ answers only and to keep the
    course's « Faire une pause » and « Arrêter la formation » in a row of their own."""
    from actions.formation import PAUSE, STOP, payload

    served = client.get("/widget/texts.json").json()
    topics = all_topics()
    assert set(served["feedback_topics"]) == {t.id for t in topics.values() if t.kind == "faq"}
    for not_faq in ("autoformation_module", "bonjour", "incompris", "mes_badges", "verifier_badge"):
        assert not_faq not in served["feedback_topics"]
    assert "badge_definition" in served["feedback_topics"]
    assert served["course_controls"] == {payload(PAUSE): "pause", payload(STOP): "stop"}
    assert payload(PAUSE) == '/autoformation_module{"formation": "pause"}'
