"""The lieux de la reconnaissance near the person: a town or a postcode in the message
gives the places of lieux.yml for it, or says that none is listed and who to call."""

import asyncio

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.lieux as lieux
from actions.config import PROJECT_ROOT, get_settings
from actions.lieux import ActionLieux, find_request, load_places, nearby

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
PLACES_YAML = """
lieux:
- nom: "Point Badge de Caen"
  ville: "Caen"
  code_postal: "14000"
  adresse: "3 place de la Gare"
  telephone: "02 11 11 11 11"
  site: "https://caen.example.org/"
  horaires: "Ouvert le mardi, de 9 h à 12 h."
  aide: |-
    Recevoir un badge.
    Partager un badge.
- nom: "Maison des badges"
  ville: "Hérouville-Saint-Clair"
  code_postal: "14200"
  adresse: "8 rue Haute"
- nom: "Espace du Havre"
  ville: "Le Havre"
  code_postal: "76600"
"""


@pytest.fixture
def places_file(tmp_path, monkeypatch):
    path = tmp_path / "lieux.yml"
    path.write_text(PLACES_YAML, encoding="utf-8")
    monkeypatch.setenv("BAGOU_LIEUX_FILE", str(path))
    get_settings.cache_clear()
    lieux._places.cache_clear()
    yield path
    get_settings.cache_clear()
    lieux._places.cache_clear()


def ask(text: str) -> list[dict]:
    latest = {"text": text, "intent": {"name": "lieux_proches", "confidence": 1.0}}
    tracker = Tracker("s", {}, latest, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionLieux().run(dispatcher, tracker, DOMAIN))
    return dispatcher.messages


@pytest.mark.parametrize("text, label", [
    ("il y en a un à Rouen ?", "Rouen"),
    ("un lieu de la reconnaissance près de chez moi, 14000", "14000"),
    ("lieu reco vers Saint-Lô", "Saint-Lô"),
    ("y a un lieu de la reco dans le 76 ?", "76"),
    ("je suis au Havre, un lieu de la reconnaissance sur Le Havre ?", "Le Havre"),
    ("un lieu à caen", "Caen"),
    ("14 200", "14200"),
])
def test_the_town_or_postcode_of_a_message_is_found(places_file, text, label):
    request = find_request(text, load_places(places_file))
    assert request is not None and request.label == label


@pytest.mark.parametrize("text", [
    "c'est quoi un lieu de la reconnaissance ?",
    "un lieu de la reconnaissance à côté de chez moi",
    "lieux de la reconnaissance en Normandie",
    "on m'aide à Open Badge Passport dans un lieu de la reco ?",
])
def test_a_message_without_a_town_asks_for_the_postcode_after_the_written_answer(places_file, text):
    assert find_request(text, load_places(places_file)) is None
    (message,) = ask(text)
    assert message["response"] == "utter_faq/lieux_reconnaissance"
    assert message["topic"] == "lieux_reconnaissance"
    answer = yaml.safe_load((PROJECT_ROOT / "faq" / "lieux_reconnaissance.yml").read_text(
        encoding="utf-8"))["responses"]["utter_faq/lieux_reconnaissance"][0]["text"]
    assert "code postal" in answer


def test_a_town_of_the_list_gets_its_place_with_address_phone_hours_and_link(places_file):
    messages = ask("il y en a un à Caen ?")
    assert "pour Caen" in messages[0]["text"]
    place = messages[1]
    assert "**Point Badge de Caen**" in place["text"]
    assert "3 place de la Gare, 14000 Caen" in place["text"]
    assert "02 11 11 11 11" in place["text"] and "mardi" in place["text"]
    assert "Partager un badge." in place["text"]
    assert place["buttons"] == [{"title": "Site de Point Badge de Caen",
                                 "payload": "https://caen.example.org/"}]
    assert "Maison des badges" not in " ".join(m["text"] for m in messages)


def test_a_postcode_without_a_place_gives_the_places_of_its_departement(places_file):
    messages = ask("près de chez moi, 14110")
    assert "même département" in messages[0]["text"]
    names = " ".join(m["text"] for m in messages[1:])
    assert "Point Badge de Caen" in names and "Maison des badges" in names
    assert "Le Havre" not in names


def test_a_town_without_a_place_says_so_and_who_to_call(places_file):
    (message,) = ask("il y en a un à Rouen ?")
    assert "Je ne connais pas de lieu de la reconnaissance pour Rouen." in message["text"]
    assert "Appelez la structure" in message["text"]
    assert "Parler à une personne" in [b["title"] for b in message["buttons"]]
    assert message["topic"] == "lieux_reconnaissance"


def test_the_demo_place_is_said_to_be_fictitious():
    places = load_places(PROJECT_ROOT / "lieux.yml")
    demo = [p for p in places if p.fictif]
    assert demo, "the shipped list keeps the demo place, marked as fictitious"
    found, _ = nearby(find_request(f"un lieu à {demo[0].ville}", places), places)
    assert demo[0] in found
    assert "exemple pour la démonstration" in lieux.describe(DOMAIN, demo[0])


def test_every_place_of_the_shipped_list_is_complete_and_links_are_https():
    for place in load_places(PROJECT_ROOT / "lieux.yml"):
        assert place.nom and place.ville and len(place.code_postal) == 5
        assert not place.site or place.site.startswith("https://")
