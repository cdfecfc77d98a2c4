"""Open Badge Factory API client (v2 and v1), for the bot's actions.

    from bot.obf import ObfDirectory, ObfError
    async with ObfDirectory.from_settings() as obf:
        found = await obf.learner_badges(email)   # found.items, found.errors

Every failure is an ObfError subclass with a stable `kind` (see errors.py).
"""

from bot.obf.client import ObfClient
from bot.obf.directory import DirectoryResult, ObfDirectory
from bot.obf.errors import (ObfAuthError, ObfBadResponse, ObfConfigError, ObfError,
                            ObfNotFound, ObfRateLimited, ObfServerError, ObfTimeout,
                            ObfUnavailable)
from bot.obf.models import Badge, EarnableBadge, LearnerBadge
from bot.obf.settings import (ObfOrganisation, ObfSettings, build_organisations,
                              get_obf_settings)
from bot.obf.tokens import TokenStore

__all__ = [
    "Badge", "DirectoryResult", "EarnableBadge", "LearnerBadge", "ObfAuthError",
    "ObfBadResponse", "ObfClient", "ObfConfigError", "ObfDirectory", "ObfError",
    "ObfNotFound", "ObfOrganisation", "ObfRateLimited", "ObfServerError",
    "ObfSettings", "ObfTimeout", "ObfUnavailable", "TokenStore", "build_organisations",
    "get_obf_settings",
]
