"""The French texts that the gateway shows, read from texts.yml (one place for all), and
`printable`, the one cleaning of a text that someone sent or a badge carries."""

import re
from functools import lru_cache
from pathlib import Path

import yaml

TEXTS_FILE = Path(__file__).with_name("texts.yml")
# Control characters (line breaks and tabs excepted) and lone surrogates (halves of a
# UTF-16 pair, which JSON's « \ud800 » can carry but no database can store).
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def printable(value: str) -> str:
    return _UNPRINTABLE.sub("", value)


@lru_cache
def all_texts() -> dict[str, str]:
    return yaml.safe_load(TEXTS_FILE.read_text(encoding="utf-8"))


def text(key: str, **values: object) -> str:
    return all_texts()[key].format(**values)
