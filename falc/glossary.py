"""The project's glossary (glossaire.yml): domain words that readers learn, each with
its FALC explanation.

A rare word is allowed when it is in the glossary. A glossary word marked
`expliquer: true` must be explained in each answer that uses it, or the answer must
offer the button that explains it (see rules.glossary_explained).
"""

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import yaml

from falc import PROJECT_ROOT

# At the root, not under faq/ or data/: Rasa trains on every .yml file there.
GLOSSARY_FILE = PROJECT_ROOT / "glossaire.yml"


@dataclass(frozen=True)
class Entry:
    word: str
    forms: tuple[str, ...]  # the word itself first, then its variants
    explanation: str
    explain: bool  # must be explained in each answer that uses it
    button: str | None  # the button title that explains it, when there is one

    @cached_property
    def pattern(self) -> re.Pattern:
        alternatives = sorted(self.forms, key=len, reverse=True)
        body = "|".join(r"\s+".join(re.escape(w) for w in form.split()) for form in alternatives)
        return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", re.IGNORECASE)


@dataclass(frozen=True)
class Match:
    entry: Entry
    start: int
    end: int


class Glossary:
    def __init__(self, entries: list[Entry]):
        self.entries = entries
        self.single_words = {form.lower() for e in entries for form in e.forms if " " not in form}

    def matches(self, text: str) -> list[Match]:
        return [Match(e, m.start(), m.end()) for e in self.entries for m in e.pattern.finditer(text)]

    def knows(self, word: str) -> bool:
        return word.lower().replace("’", "'") in self.single_words


def _forms(raw: dict) -> tuple[str, ...]:
    forms = [str(raw["mot"])] + [str(f) for f in raw.get("formes") or []]
    return tuple(dict.fromkeys(forms))


@lru_cache(maxsize=4)
def load_glossary(path: Path = GLOSSARY_FILE) -> Glossary:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = [
        Entry(
            word=str(raw["mot"]),
            forms=_forms(raw),
            explanation=str(raw["explication"]).strip(),
            explain=bool(raw.get("expliquer", False)),
            button=raw.get("bouton"),
        )
        for raw in data.get("termes", [])
    ]
    return Glossary(entries)
