"""Who is talking, as the gateway put it in the message metadata.

Only the gateway sets this metadata (bot/chat/identity.py); a person cannot: Rasa's channel
accepts messages from the gateway's token only. A learner's e-mail comes from here and
never from what the person types.
"""

from rasa_sdk import Tracker

KINDS = ("anonymous", "learner", "adviser")


def identity_of(tracker: Tracker) -> dict:
    metadata = tracker.latest_message.get("metadata") or {}
    identity = metadata.get("identity") or {}
    return identity if identity.get("kind") in KINDS else {"kind": "anonymous"}


def identity_kind(tracker: Tracker) -> str:
    return identity_of(tracker)["kind"]


def learner_email(tracker: Tracker) -> str | None:
    """The signed-in learner's e-mail, or None for anyone else."""
    identity = identity_of(tracker)
    email = identity.get("email")
    return email if identity["kind"] == "learner" and isinstance(email, str) and email else None


def allowed_organisations(tracker: Tracker) -> frozenset[str] | None:
    """The OBF organisations whose badges may be looked up for this person: None for all
    of them (a site's learner); for a person launched from Moodle, those the Moodle's
    registration names (maybe none: bot/lti/organisations.py)."""
    identity = identity_of(tracker)
    if "organisations" not in identity:
        return None
    names = identity["organisations"]
    if not isinstance(names, list):
        return frozenset()  # not what the gateway sends: nothing rather than everything
    return frozenset(n for n in names if isinstance(n, str))
