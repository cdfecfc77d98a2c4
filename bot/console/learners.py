"""A learner's badges for an adviser: what they hold, what to do with each one (share,
enrich, ask for an endorsement), and the next badges (bot.obf.parcours.suggest_next, the
same logic as the chat's `badges_suivants`).

Where the badges come from: the real OBF when OBF_BASE_URL is set, else the gateway's
own sandbox, called in-process (httpx.ASGITransport): no loopback port to know, and it
works the same under uvicorn and in tests.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from bot.db.engine import make_sessionmaker
from bot.obf import LearnerBadge, ObfDirectory, ObfError, ObfSettings, TokenStore
from bot.obf.parcours import Suggestion, suggest_next
from bot.obf_sandbox.constants import PREFIX
from bot.obf_sandbox.deps import SESSIONS_STATE
from bot.obf_sandbox.reach import obf_directory

log = logging.getLogger(__name__)
MAX_NEXT_BADGES = 3
SANDBOX_BASE = "http://bagou.internal" + PREFIX

DirectoryFactory = Callable[..., ObfDirectory]  # (public_base: str | None = None)


@dataclass
class BadgeView:
    badge: LearnerBadge
    state: str  # "valide", "expire", "retire"
    todo: list[str]  # texts/console.yml keys of what to do next with this badge


@dataclass
class Lookup:
    badges: list[BadgeView] = field(default_factory=list)
    next_badges: list[Suggestion] = field(default_factory=list)
    partial: bool = False
    error: str | None = None  # an ObfError kind: the badges could not be read

    @property
    def outcome(self) -> str:
        return self.error or ("partial" if self.partial else "ok")


def todo_for(badge: LearnerBadge) -> tuple[str, list[str]]:
    if badge.revoked:
        return "retire", ["faire_retire"]
    if badge.expired:
        return "expire", ["faire_renouveler"]
    return "valide", ["faire_partager", "faire_enrichir", "faire_endosser"]


async def look_up(directory: ObfDirectory, email: str) -> Lookup:
    try:
        held = await directory.learner_badges(email)
    except ObfError as error:
        log.warning("Console: badges could not be read: %s", error)
        return Lookup(error=error.kind)
    try:
        earnable = await directory.earnable_badges()
        earnable_items, partial = earnable.items, earnable.partial
    except ObfError as error:  # the badges are there; only the suggestions lack
        log.warning("Console: earnable badges could not be read: %s", error)
        earnable_items, partial = [], True
    views = []
    for badge in held.items:
        state, todo = todo_for(badge)
        views.append(BadgeView(badge, state, todo))
    return Lookup(badges=views,
                  next_badges=suggest_next(held.items, earnable_items, limit=MAX_NEXT_BADGES),
                  partial=held.partial or partial)


class _WithLifespanState:
    """The sandbox's routes read their database sessions from the lifespan state, which
    a server puts in each request's scope; an in-process call must put it there too."""

    def __init__(self, app: FastAPI, state: dict):
        self.app, self.state = app, state

    async def __call__(self, scope, receive, send):
        await self.app({**scope, "state": dict(self.state)}, receive, send)


def directory_factory(app: FastAPI, engine: Engine, obf: ObfSettings) -> DirectoryFactory:
    """`factory(public_base)` gives the directory of one look-up. With the sandbox, the
    in-process calls are addressed to `public_base` (the gateway's address as the
    browser sees it), so that the sandbox's links (a badge's page, « Demander ce
    badge ») open in the person's browser; without it, to an internal name that only
    the gateway's own code may use (the Point Info badge of the chat)."""
    tokens = TokenStore(max_wait=2.0)  # one store for every look-up (reach.py's rule)
    state = {SESSIONS_STATE: make_sessionmaker(engine)}

    def directory(public_base: str | None = None) -> ObfDirectory:
        base = (public_base.rstrip("/") + PREFIX) if public_base else SANDBOX_BASE
        return obf_directory(obf, sandbox_url=base, tokens=tokens, sandbox_transport=(
            httpx.ASGITransport(app=_WithLifespanState(app, state))))
    return directory
