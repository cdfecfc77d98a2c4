"""What a verification found, in one object that the answer is written from."""

from dataclasses import dataclass, field
from datetime import datetime

# The status of a badge, most useful first for the person:
VALID = "valid"  # the proof holds, not expired, not withdrawn
EXPIRED = "expired"  # genuine, but its end date has passed
REVOKED = "revoked"  # withdrawn by the structure that gave it
INVALID = "invalid"  # the proof does not hold: changed, forged, or parts do not match
UNVERIFIABLE = "unverifiable"  # a badge, but it cannot be checked now (link down, no key …)
NOT_A_BADGE = "not_a_badge"  # nothing that looks like an Open Badge
STATUSES = (VALID, EXPIRED, REVOKED, INVALID, UNVERIFIABLE, NOT_A_BADGE)


@dataclass
class Verdict:
    status: str
    # A stable code of the main reason (texts/verify.yml › raisons): one sentence.
    reason: str
    version: str | None = None  # "2.0" or "3.0"
    issuer_name: str | None = None
    issuer_url: str | None = None
    # What the check proves the badge comes from: the host name of the issuer's id
    # (its site) for a hosted or web-published badge; None for a key alone (did:key).
    issuer_site: str | None = None
    badge_name: str | None = None
    description: str | None = None
    criteria: str | None = None
    criteria_url: str | None = None
    # Whether the badge was issued to the person who asks: True / False, or None when
    # the person is not identified or the badge does not say.
    recipient_match: bool | None = None
    # A name that the badge itself shows publicly (OB3 credentialSubject.name, …).
    recipient_public_name: str | None = None
    issued_on: datetime | None = None
    expires: datetime | None = None
    # What the proof shows, for a valid or expired badge (texts/verify.yml › raisons):
    # heberge_ok (found on the issuer's site), signature_site_ok (signed with a key that
    # the issuer's site publishes), preuve_ok (signed with the issuer's own key, a DID).
    origin: str | None = None
    # Where the person can see the badge (the hosted assertion or credential page).
    url: str | None = None
    notes: list[str] = field(default_factory=list)  # technical details, for logs

    def __post_init__(self):
        assert self.status in STATUSES, self.status


class VerifyFailure(Exception):
    """Raised inside a verifier to stop with a verdict (status and reason)."""

    def __init__(self, status: str, reason: str, detail: str = ""):
        super().__init__(f"{status}/{reason}: {detail}")
        self.status, self.reason, self.detail = status, reason, detail
