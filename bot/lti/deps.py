"""What the LTI routes need, built once by create_app and kept on `app.state.lti`.

The routes (bot/lti/routes.py) are a module-level router; they reach these services
through the `Lti` dependency, as FastAPI's idiom wants (docs: « Dependencies »).
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from bot.chat.identity import Identity
from bot.http.rate_limit import RateLimits
from bot.lti.adapter import DbStorage
from bot.lti.keyset import PlatformKeys
from bot.lti.registry import LtiRegistry
from bot.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class LtiTool:
    settings: Settings
    registry: LtiRegistry
    storage: DbStorage
    keys: PlatformKeys
    # ChatService.start_session: binds a launched person to a new chat session.
    start_session: Callable[[Identity], str]
    # Sends the first message of a session (a link made by deep linking opens Bagou on a
    # theme or on the course): ChatService.handle, bounded by `first_turn_timeout`.
    send_first: Callable[[str, str], Awaitable[object]] | None = None
    first_turn_timeout: float = 8.0
    # Per address, on every /lti/* route but the style sheet (BAGOU_RATE_LIMIT_LTI).
    limits: RateLimits | None = None

    def base_url(self, request: Request) -> str:
        return (self.settings.public_url or str(request.base_url)).rstrip("/")

    async def first_turn(self, session_id: str, message: str) -> bool:
        """The first message, answered before the page opens (the page then shows it).
        Bagou still opens when Rasa is slow or down: on the general welcome."""
        if self.send_first is None:
            return False
        try:
            await asyncio.wait_for(self.send_first(session_id, message), self.first_turn_timeout)
            return True
        except Exception as error:  # noqa: BLE001 - any failure: the general welcome
            log.warning("LTI launch: the first message was not answered (%s)",
                        type(error).__name__)
            return False


def lti_tool(request: Request) -> LtiTool:
    return request.app.state.lti


Lti = Annotated[LtiTool, Depends(lti_tool)]
