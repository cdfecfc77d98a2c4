"""The French texts that the gateway shows, read from texts.yml (one place for all)."""

from functools import lru_cache
from pathlib import Path

import yaml

TEXTS_FILE = Path(__file__).with_name("texts.yml")


@lru_cache
def all_texts() -> dict[str, str]:
    return yaml.safe_load(TEXTS_FILE.read_text(encoding="utf-8"))


def text(key: str, **values: object) -> str:
    return all_texts()[key].format(**values)
