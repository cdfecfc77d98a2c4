"""Who is talking, as the gateway put it in the message metadata."""

from rasa_sdk import Tracker

KINDS = ("anonymous", "learner", "adviser")


def identity_kind(tracker: Tracker) -> str:
    metadata = tracker.latest_message.get("metadata") or {}
    kind = (metadata.get("identity") or {}).get("kind")
    return kind if kind in KINDS else "anonymous"
