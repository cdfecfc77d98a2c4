"""Several OBF organisations seen as one (OBF_CLIENT_ID=a,b,c).

A learner may hold badges from several organisations. When one organisation
fails and another answers, the bot still shows what it found and says that a
part could not be read: hence results with a list of errors, not one exception.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Generic, TypeVar

from bot.obf.client import ObfClient
from bot.obf.errors import ObfConfigError, ObfError
from bot.obf.models import EarnableBadge, IssueResult, LearnerBadge
from bot.obf.parsing import normal_email
from bot.obf.recent import RecentLookups
from bot.obf.settings import ObfOrganisation, ObfSettings, configured_organisations

T = TypeVar("T")


@dataclass
class DirectoryResult(Generic[T]):
    items: list[T] = field(default_factory=list)
    errors: list[ObfError] = field(default_factory=list)  # each names its client_id

    @property
    def partial(self) -> bool:
        """Some organisations answered, some did not (« une partie de vos badges
        n'a pas pu être lue »)."""
        return bool(self.errors)


class ObfDirectory:
    def __init__(self, clients: Sequence[ObfClient], recent: RecentLookups | None = None):
        self.clients = list(clients)
        # Look-ups of a conversation, reused there for a minute (bot/obf/recent.py);
        # shared with the directories that `only` makes.
        self.recent = recent or RecentLookups()

    @classmethod
    def from_organisations(cls, organisations: Sequence[ObfOrganisation],
                           **client_options) -> "ObfDirectory":
        """`client_options` go to every ObfClient (timeout, transport, tokens …)."""
        return cls([ObfClient(org, **client_options) for org in organisations])

    @classmethod
    def from_settings(cls, settings: ObfSettings, **client_options) -> "ObfDirectory":
        """The organisations of OBF_* (`settings.obf` of the gateway or the actions);
        ObfConfigError when OBF_BASE_URL is empty (the caller then builds the sandbox's
        organisations instead)."""
        if not settings.configured:
            raise ObfConfigError("OBF_BASE_URL is empty: OBF is not configured")
        client_options.setdefault("timeout", settings.timeout)
        return cls.from_organisations(configured_organisations(settings), **client_options)

    def only(self, client_ids: set[str] | frozenset[str]) -> "ObfDirectory":
        """The same organisations (and their clients: tokens and badge details stay
        cached), limited to `client_ids`; no client when none of them is configured.
        A Moodle sees only the organisations of its registration (bot/lti/organisations.py)."""
        return ObfDirectory([c for c in self.clients if c.client_id in client_ids],
                            self.recent)

    async def __aenter__(self) -> "ObfDirectory":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await asyncio.gather(*(client.aclose() for client in self.clients))

    async def _each(self, call: Callable[[ObfClient], Awaitable[list[T]]]
                    ) -> DirectoryResult[T]:
        """`call` on every organisation at once. All failed: the first error is
        raised, as a single client would; some failed: partial result."""
        outcomes = await asyncio.gather(*(call(c) for c in self.clients),
                                        return_exceptions=True)
        result: DirectoryResult[T] = DirectoryResult()
        for outcome in outcomes:
            if isinstance(outcome, ObfError):
                result.errors.append(outcome)
            elif isinstance(outcome, BaseException):
                raise outcome  # a bug, not an OBF failure: do not hide it
            else:
                result.items.extend(outcome)
        if result.errors and len(result.errors) == len(self.clients):
            raise result.errors[0]
        return result

    async def learner_badges(self, email: str, *, conversation: str | None = None,
                             fresh: bool = False) -> DirectoryResult[LearnerBadge]:
        """Badges of `email` in all organisations, newest first. With `conversation`,
        a complete answer is kept for it and given again there for a minute, unless
        `fresh` (bot/obf/recent.py)."""
        key = ("learner", normal_email(email), self._client_ids())
        return await self._recently(conversation, key, fresh, self._learner_badges, email)

    async def _learner_badges(self, email: str) -> DirectoryResult[LearnerBadge]:
        result = await self._each(lambda client: client.learner_badges(email))
        result.items.sort(key=lambda b: b.issued_on or date.min, reverse=True)
        return result

    async def earnable_badges(self, *, conversation: str | None = None
                              ) -> DirectoryResult[EarnableBadge]:
        """Badges one can apply for; with `conversation`, kept there as above."""
        key = ("earnable", self._client_ids())
        return await self._recently(conversation, key, False, self._earnable_badges)

    async def _earnable_badges(self) -> DirectoryResult[EarnableBadge]:
        return await self._each(lambda client: client.earnable_badges())

    def forget(self, conversation: str) -> None:
        """What was kept for this conversation: its learner just got a badge."""
        self.recent.forget(conversation)

    def _client_ids(self) -> tuple[str, ...]:
        return tuple(client.client_id for client in self.clients)

    async def _recently(self, conversation: str | None, key: tuple, fresh: bool,
                        read: Callable[..., Awaitable[DirectoryResult[T]]], *args
                        ) -> DirectoryResult[T]:
        if conversation is not None and not fresh:
            kept = self.recent.get(conversation, key)
            if kept is not None:
                return DirectoryResult(list(kept.items))
        result = await read(*args)
        if conversation is not None and not result.partial:
            self.recent.put(conversation, key, result)
        return result

    async def ping(self) -> DirectoryResult[str]:
        """Health: the client ids that answered, and the errors of the others."""
        async def one(client: ObfClient) -> list[str]:
            await client.ping()
            return [client.client_id]
        return await self._each(one)

    # ---------------------------------------------------------------- issuing

    def client(self, client_id: str | None = None) -> ObfClient:
        """The organisation that issues: `client_id`, or the first one configured
        (ObfConfigError when there is none or it is not configured)."""
        if not self.clients:
            raise ObfConfigError("no OBF organisation is configured")
        if not client_id:
            return self.clients[0]
        for client in self.clients:
            if client.client_id == client_id:
                return client
        raise ObfConfigError(f"OBF organisation {client_id} is not configured")

    async def find_issued(self, badge_id: str, email: str, *,
                          client_id: str | None = None) -> LearnerBadge | None:
        """Whether `email` already holds `badge_id` in that organisation."""
        return await self.client(client_id).find_issued(badge_id, email)

    async def issue_badge_once(self, badge_id: str, email: str, *, key: str,
                               client_id: str | None = None, **options) -> IssueResult:
        """ObfClient.issue_badge_once on the organisation `client_id` (or the first);
        `options`: name, send_email, api_consumer_id, log_entry."""
        return await self.client(client_id).issue_badge_once(badge_id, email, key=key,
                                                              **options)
