"""Open Badge Factory API client (v2 and v1), for the bot's actions.

    from bot.obf import ObfDirectory, ObfError
    async with ObfDirectory.from_settings(settings.obf) as obf:
        found = await obf.learner_badges(email)   # found.items, found.errors
        done = await obf.issue_badge_once(badge_id, email, key=f"{learner}:{badge_id}")

Every failure is an ObfError subclass with a stable `kind` (see errors.py).
"""

from bot.obf.client import ObfClient
from bot.obf.directory import DirectoryResult, ObfDirectory
from bot.obf.errors import (ObfAuthError, ObfBadResponse, ObfConfigError, ObfError,
                            ObfInvalidRequest, ObfNotFound, ObfRateLimited, ObfServerError,
                            ObfTimeout, ObfUnavailable)
from bot.obf.models import Badge, EarnableBadge, IssueResult, LearnerBadge
from bot.obf.settings import ObfOrganisation, ObfSettings, build_organisations
from bot.obf.tokens import TokenStore

__all__ = [
    "Badge", "DirectoryResult", "EarnableBadge", "IssueResult", "LearnerBadge",
    "ObfAuthError", "ObfBadResponse", "ObfClient", "ObfConfigError", "ObfDirectory",
    "ObfError", "ObfInvalidRequest", "ObfNotFound", "ObfOrganisation", "ObfRateLimited",
    "ObfServerError", "ObfSettings", "ObfTimeout", "ObfUnavailable", "TokenStore",
    "build_organisations",
]
