"""The French texts that people read, from the files of texts/ (beside faq/ and
domain.yml: gateway.yml, console.yml, verify.yml, widget.yml) through one loader,
`printable`, the one cleaning of a text that someone sent or a badge carries,
`fold_accents`, the one way two wordings are compared, and `french_date`, the one way a
date is written (chat, console, badge check).

Standard library and PyYAML only: the action server imports it too (its badge dates).
"""

import re
import unicodedata
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path

from bot.yaml_files import read_yaml

# The folder of the texts that content editors keep, one file per part of Bagou.
TEXTS_DIR = Path(__file__).resolve().parent.parent / "texts"
# Control characters (line breaks and tabs excepted) and lone surrogates (halves of a
# UTF-16 pair, which JSON's « \ud800 » can carry but no database can store).
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")


def printable(value: str) -> str:
    return _UNPRINTABLE.sub("", value)


def fold_accents(text: str) -> str:
    """Lowercase without accents, typographic apostrophes as plain ones: « Numérique »,
    « numerique » and « NUMÉRIQUE » agree. The NLU's copy is rasa_ext/text.py `plain`
    (Rasa's environment does not import the gateway); a test checks that both agree."""
    text = unicodedata.normalize("NFKD", text.lower().replace("\u2019", "'"))
    return "".join(c for c in text if not unicodedata.combining(c))


def french_date(day: date | datetime | None, *, weekday: bool = False) -> str:
    """The date in full, as people read it: « 1er mars 2026 », « 12 avril 2026 »; with
    `weekday`, « samedi 1er mars 2026 » (the pages that show it). A time is read in UTC,
    the time zone of the badges and of the database; no date, no text."""
    if day is None:
        return ""
    if isinstance(day, datetime):
        day = (day.astimezone(timezone.utc) if day.tzinfo else day).date()
    number = "1er" if day.day == 1 else str(day.day)
    written = f"{number} {MONTHS[day.month - 1]} {day.year}"
    return f"{DAYS[day.weekday()]} {written}" if weekday else written


def texts_file(name: str) -> Path:
    """texts/<name>.yml: "gateway", "console", "verify" or "widget"."""
    return TEXTS_DIR / f"{name}.yml"


def load_texts(name: str) -> dict:
    """A file of texts/ as content editors write it (YAML): the one loader of the
    gateway's, the console's, the badge check's and the widget's texts."""
    return read_yaml(texts_file(name))


def labels_and_messages(data: dict) -> dict[str, str]:
    """The texts of a page's file by key: its `labels` and its `messages` together."""
    return {**data.get("labels", {}), **data.get("messages", {})}


@lru_cache
def all_texts() -> dict[str, str]:
    return load_texts("gateway")


def text(key: str, **values: object) -> str:
    return all_texts()[key].format(**values)
