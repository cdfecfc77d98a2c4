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


@dataclass(frozen=True)
class Suggestion:
    """A badge to aim for next: from parcours.yml (with its reason), or an earnable
    badge of the organisations (reason None). `apply_url`: the form to apply online."""

    name: str
    reason: str | None
    apply_url: str | None


def suggest_next(held: list, earnable: list, steps: list[Step] | None = None,
                 limit: int = 3) -> list[Suggestion]:
    """The next badges for a learner (`held`: LearnerBadge, `earnable`: EarnableBadge of
    bot.obf). The steps of parcours.yml that start from a valid badge come first, then
    the earnable badges; never a badge already held (even expired), at most `limit`.
    Used by the chat (actions/badges_suivants.py) and the adviser console."""
    steps = load_parcours() if steps is None else steps
    owned = {badge_key(b.badge_name) for b in held if not b.revoked}
    apply_url = {badge_key(e.name): e.url for e in earnable if e.url}
    found: dict[str, Suggestion] = {}
    for badge in held:
        if not badge.valid:
            continue
        for step in next_steps(badge.badge_name, steps):
            key = badge_key(step.to_badge)
            if key not in owned and key not in found:
                found[key] = Suggestion(step.to_badge, step.reason, apply_url.get(key))
    for item in earnable:
        key = badge_key(item.name)
        if key not in owned and key not in found:
            found[key] = Suggestion(item.name, None, apply_url.get(key))
    return list(found.values())[:limit]
