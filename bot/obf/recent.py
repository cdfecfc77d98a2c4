"""What OBF said a moment ago in one conversation, to say it again without asking.

In a conversation a learner often asks for her badges, then the next page (« voir
plus »), then what to earn next: three look-ups of the same list within a minute, each
two or more requests to OBF, whose API is rate limited. The list read for a
conversation is reused there for a short while; the first page of « mes badges » always
reads it again, and the course that gives a badge forgets it (actions/formation.py),
so a new badge shows at once. Only complete answers are kept (an organisation that
failed is asked again), in this process's memory only, never written anywhere.
"""

from collections.abc import Hashable
from typing import Any

from cachetools import TTLCache

KEEP_SECONDS = 60.0
MOST = 2048  # conversations at once; the oldest is dropped first


class RecentLookups:
    def __init__(self, seconds: float = KEEP_SECONDS, most: int = MOST, timer=None):
        options = {"timer": timer} if timer else {}
        self._kept: TTLCache = TTLCache(maxsize=most, ttl=seconds, **options)

    def get(self, conversation: str, key: Hashable) -> Any | None:
        return self._kept.get((conversation, key))

    def put(self, conversation: str, key: Hashable, value: Any) -> None:
        self._kept[(conversation, key)] = value

    def forget(self, conversation: str) -> None:
        """Everything kept for this conversation (its learner just got a badge)."""
        for kept in [k for k in list(self._kept.keys()) if k[0] == conversation]:
            self._kept.pop(kept, None)
