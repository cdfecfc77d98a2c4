"""What a launch's claims say about the person: who (name, e-mail), and which help
(a learner's, or an adviser's for teachers and administrators)."""

from datetime import datetime, timedelta, timezone

from bot.chat.identity import Identity
from bot.privacy import normal_email

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
# Roles that get the adviser-oriented help (trainers, teachers, administrators).
ADVISER_ROLES = {"Instructor", "Administrator", "TeachingAssistant", "ContentDeveloper"}


def is_adviser(roles: object) -> bool:
    """LTI roles are URIs (…/membership#Instructor, …/institution/person#Administrator,
    …/membership/Instructor#TeachingAssistant) or, deprecated, short names."""
    if not isinstance(roles, list):
        return False
    for role in roles:
        if not isinstance(role, str):
            continue
        name = role.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        if name in ADVISER_ROLES or "/membership/Instructor" in role:
            return True
    return False


def identity_from_claims(claims: dict, hours: float, now: datetime | None = None,
                         organisations: tuple[str, ...] = ()) -> Identity:
    """`organisations`: those the platform's registration names (bot/lti/organisations.py),
    the only ones whose badges may be looked up for this person."""
    now = now or datetime.now(timezone.utc)
    email = claims.get("email")
    email = normal_email(email) if isinstance(email, str) and "@" in email else None
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip():
        parts = [claims.get("given_name"), claims.get("family_name")]
        name = " ".join(p for p in parts if isinstance(p, str) and p) or None
    kind = "adviser" if is_adviser(claims.get(LTI + "roles")) else "learner"
    return Identity(kind=kind, email=email, name=name, source=f"lti:{claims['iss']}",
                    expires_at=now + timedelta(hours=hours), organisations=organisations)
