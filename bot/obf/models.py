"""What the bot gets from OBF, the same for API v1 and v2.

The models are deliberately small: only what the assistant shows to a learner.
Raw OBF shapes are read in bot/obf/parsing.py.
"""

from datetime import date

from pydantic import BaseModel, ConfigDict


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Badge(_Model):
    id: str
    name: str
    description: str = ""
    image: str | None = None
    criteria: str = ""          # plain text (v1 criteria_html is stripped of its tags)
    criteria_url: str | None = None
    category: list[str] = []
    tags: list[str] = []
    client_id: str = ""         # the organisation that owns the badge


class LearnerBadge(_Model):
    """One badge received by the learner (one recipient row of an issuing event)."""

    badge_id: str
    badge_name: str
    issuer_name: str | None      # organisation name; None if OBF would not tell it
    issued_on: date | None
    expires_on: date | None
    revoked: bool
    expired: bool                # expires_on is before "today" (injectable clock)
    link: str | None = None      # assertion JSON (v2: OB3 credential) or public assertion
    image: str | None = None
    event_id: str = ""
    client_id: str = ""

    @property
    def valid(self) -> bool:
        return not (self.revoked or self.expired)


class EarnableBadge(_Model):
    """A badge one can apply for (OBF "earnable badge")."""

    id: str
    badge_id: str | None
    name: str
    description: str = ""
    url: str | None = None       # OBF's apply_url: the public application form
    approval_method: str | None = None  # review | instant | secret | peer
    client_id: str = ""


class IssueResult(_Model):
    """What `issue_badge_once` did for one learner and one badge.

    `issued` is True when this call made OBF issue the badge, False when the learner
    already had it (issued earlier, by a call that timed out, by another worker, or by
    hand in OBF): either way the learner has the badge once, and `badge` is that row
    when OBF could list it (it may lag just after issuing)."""

    issued: bool
    event_id: str
    badge_id: str
    client_id: str
    badge: LearnerBadge | None = None
