"""Badge pathways («parcours»): after one badge, which badge to aim for next, and why.

Product data, not sandbox data: parcours.yml (repository root) names badges by their
name, so it applies to the sandbox and to a real OBF organisation alike.
"""

import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.settings import PROJECT_ROOT

PARCOURS_FILE = PROJECT_ROOT / "parcours.yml"


@dataclass(frozen=True)
class Step:
    from_badge: str  # badge name, as written in parcours.yml
    to_badge: str
    reason: str  # FALC French, one sentence per line


def badge_key(name: str) -> str:
    """Badge names compare whatever the case, the apostrophe (' ’) and the spacing."""
    name = unicodedata.normalize("NFC", name).replace("\u2019", "'").replace("\u02bc", "'")
    return " ".join(name.casefold().split())


def load_parcours(path: Path = PARCOURS_FILE) -> list[Step]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [Step(str(item["de"]), str(item["vers"]), str(item.get("pourquoi", "")).strip())
            for item in data.get("parcours") or []]


def next_steps(badge_name: str, steps: list[Step] | None = None) -> list[Step]:
    """The steps that start from this badge (empty when none does)."""
    key = badge_key(badge_name)
    return [s for s in (load_parcours() if steps is None else steps)
            if badge_key(s.from_badge) == key]
