"""Who is talking, as the gateway put it in the message metadata.

Only the gateway sets this metadata (bot/chat/identity.py); a person cannot: Rasa's channel
accepts messages from the gateway's token only. A learner's e-mail comes from here and
never from what the person types: sealed by the gateway for this conversation (`ref`,
bot/identity_ref.py), opened here with the key that Rasa does not hold. An e-mail in
clear in the metadata is never read.
"""

import logging
from functools import lru_cache

from rasa_sdk import Tracker

from actions.config import get_settings
from bot.identity_ref import read_ref, reference_key

log = logging.getLogger(__name__)

KINDS = ("anonymous", "learner", "adviser")


def identity_of(tracker: Tracker) -> dict:
    metadata = tracker.latest_message.get("metadata") or {}
    identity = metadata.get("identity") or {}
    return identity if identity.get("kind") in KINDS else {"kind": "anonymous"}


def identity_kind(tracker: Tracker) -> str:
    return identity_of(tracker)["kind"]


@lru_cache(maxsize=1)
def ref_key() -> bytes | None:
    """BAGOU_IDENTITY_KEY, else derived from the server's key (as the gateway does)."""
    settings = get_settings()
    key = reference_key(settings.identity_key, settings.server_key())
    if key is None:
        log.error("BAGOU_IDENTITY_KEY is not set: no learner can be recognised.")
    return key


def learner_email(tracker: Tracker) -> str | None:
    """The signed-in learner's e-mail, or None for anyone else (no reference, or one that
    does not open for this conversation)."""
    identity = identity_of(tracker)
    if identity["kind"] != "learner" or "ref" not in identity:
        return None
    email = read_ref(ref_key(), tracker.sender_id, identity["ref"])
    if email is None:
        log.warning("A learner's identity reference does not open for this conversation.")
    return email or None


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
