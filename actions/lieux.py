"""Topic `lieux_reconnaissance`: the places near the person, from lieux.yml.

« il y en a un à Rouen ? », « près de chez moi, 14000 »: the message names a town or a
postcode, and the answer gives the places of that town or postcode, else of its
département, else says that none is listed and how to reach a person. Without a town
or a postcode the written FAQ answer is said: it asks for the town or the postcode (a
postcode alone is always understood; a town is read with the conversation).

The list is a data file that the structure keeps (BAGOU_LIEUX_FILE); its texts are read
by the FALC checker. Every wording is a response of domain.yml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.config import get_settings
from actions.wording import buttons_of, wording
from bot.chat.topics import all_topics
from bot.texts import fold_accents

TOPIC = "lieux_reconnaissance"
MAX_PLACES = 3
POSTCODE = re.compile(r"\b(\d{2}) ?(\d{3})\b")
DEPARTEMENT = re.compile(r"\b(?:d[ée]partement|dans le|le)\s+(\d{2}|2[abAB])\b", re.IGNORECASE)
# A town is a capitalised name after « à », « sur », « près de » … (« à Saint-Lô »,
# « vers Le Havre »); a town of the list is found in any case (« rouen »).
TOWN_AFTER = re.compile(
    r"(?i:\b(?:à|a|sur|vers|pr[èe]s de|proche de|autour de|du c[ôo]t[ée] de|dans|en|sur)\s+)"
    r"((?:Saint|Sainte|St|Le|La|Les|L['’])?[ -]?[A-ZÀ-Ý][\w’'-]*(?:[ -](?:sur|sous|en|la|le|[A-ZÀ-Ý][\w’'-]*))*)")
# Capitalised words that follow « à » and are not towns.
NOT_TOWNS = {"open", "badge", "badges", "passport", "factory", "moodle", "linkedin",
             "bagou", "france", "normandie", "europe", "parcoursup"}


def plain(text: str) -> str:
    """Lowercase, no accents, hyphens as spaces, « st » as « saint »: « Saint-Lô » = « st lo »."""
    text = re.sub(r"[-\s]+", " ", fold_accents(text)).strip(" ?!.,")
    return re.sub(r"\bst\b", "saint", re.sub(r"\bste\b", "sainte", text))


@dataclass(frozen=True)
class Place:
    nom: str
    ville: str
    code_postal: str
    adresse: str = ""
    telephone: str = ""
    site: str = ""
    horaires: str = ""
    aide: str = ""
    fictif: bool = False

    @property
    def departement(self) -> str:
        return self.code_postal[:2]


@dataclass(frozen=True)
class Request:
    """Where the person asks about: a postcode, a département number or a town."""
    label: str  # as said back to the person: « 14000 », « Rouen »
    postcode: str = ""
    departement: str = ""
    town: str = ""  # plain()


def load_places(path: Path) -> list[Place]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    places = []
    for entry in (data or {}).get("lieux") or []:
        fields: dict[str, Any] = {k: str(v).strip() if k != "fictif" else bool(v) for k, v in entry.items()
                  if k in Place.__dataclass_fields__}
        places.append(Place(**fields))
    return places


@lru_cache(maxsize=4)
def _places(path: Path) -> tuple[Place, ...]:
    return tuple(load_places(path))


def find_request(text: str, places: list[Place] | tuple[Place, ...]) -> Request | None:
    """The place the message asks about, or None."""
    if match := POSTCODE.search(text):
        code = match.group(1) + match.group(2)
        return Request(label=code, postcode=code, departement=code[:2])
    if match := DEPARTEMENT.search(text):
        number = match.group(1).upper()
        return Request(label=number, departement=number)
    message = f" {plain(text)} "
    for place in places:
        if f" {plain(place.ville)} " in message:
            return Request(label=place.ville, town=plain(place.ville))
    for match in TOWN_AFTER.finditer(text):
        name = match.group(1).strip(" -")
        if plain(name) and plain(name).split()[0] not in NOT_TOWNS:
            return Request(label=name, town=plain(name))
    return None


def nearby(request: Request, places) -> tuple[list[Place], bool]:
    """Places for the request, and whether they are only of the same département."""
    if request.town:
        # A town outside the list gives no département: Bagou has no list of communes.
        return [p for p in places if plain(p.ville) == request.town], False
    if request.postcode:
        exact = [p for p in places if p.code_postal == request.postcode]
        if exact:
            return exact, False
    return [p for p in places if p.departement == request.departement], True


def describe(domain: dict, place: Place) -> str:
    lines = [wording(domain, "utter_lieu_nom", nom=place.nom)]
    if place.fictif:
        lines.append(wording(domain, "utter_lieu_fictif"))
    if place.adresse:
        lines.append(wording(domain, "utter_lieu_adresse", adresse=place.adresse,
                             code_postal=place.code_postal, ville=place.ville))
    if place.telephone:
        lines.append(wording(domain, "utter_lieu_telephone", telephone=place.telephone))
    if place.horaires:
        lines.append(place.horaires)
    if place.aide:
        lines.append(wording(domain, "utter_lieu_aide"))
        lines += [line.strip() for line in place.aide.splitlines() if line.strip()]
    return "\n".join(lines)


class ActionLieux(Action):
    def name(self) -> str:
        return "action_lieux"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict):
        places = _places(get_settings().lieux_file)
        request = find_request(tracker.latest_message.get("text") or "", places)
        if request is None:
            # The written answer ends by asking for the town or the postcode.
            dispatcher.utter_message(response=f"utter_faq/{TOPIC}", topic=TOPIC)
            return []
        found, same_departement = nearby(request, places)
        if not found:
            dispatcher.utter_message(text=wording(domain, "utter_lieux_aucun", lieu=request.label),
                                     buttons=buttons_of(domain, "utter_lieux_aucun"), topic=TOPIC)
            return []
        intro = "utter_lieux_departement" if same_departement else "utter_lieux_trouves"
        dispatcher.utter_message(text=wording(domain, intro, lieu=request.label), topic=TOPIC)
        for place in found[:MAX_PLACES]:
            buttons = [{"title": wording(domain, "utter_lieu_site", nom=place.nom),
                        "payload": place.site}] if place.site.startswith("https://") else []
            dispatcher.utter_message(text=describe(domain, place), buttons=buttons, topic=TOPIC)
        more = all_topics()["parler_humain"].title
        if len(found) > MAX_PLACES:
            dispatcher.utter_message(text=wording(domain, "utter_lieux_autres",
                                                  nombre=len(found) - MAX_PLACES),
                                     buttons=[{"title": more, "payload": more}], topic=TOPIC)
        return []
