"""Rasa's SQL tracker store, keeping no personal data in clear (issue 24).

The production topology (rasa_ext/stores.py) keeps Rasa's conversations in PostgreSQL.
Rasa's own SQL store writes each event as it is: the person's text (« mon adresse est
lea@example.org »), Rasa's parse of it (the text again, the entities), the message
metadata with the identity that the gateway gives (the learner's e-mail and name), and
the `session_started_metadata` slot, a copy of that metadata. The gateway stores its
own copy of the conversation masked (bot/privacy.py): Rasa's copy must be masked too.

What is written, for each new event (a copy: the tracker in memory is not touched, so
the actions of the current turn still get the identity they need):
- the person's text, as the gateway stores it: e-mail addresses, phone numbers, a name
  the person gives and the identified person's name masked (in `text`, in
  `parse_data.text` and in the entities' values);
- the assistant's text, as the gateway stores it: the identified person's name masked
  (e-mail addresses and phones in answers are the structure's public contact);
- every `identity` in metadata (the event's, a slot's value): its e-mail and name
  replaced by the masks.

Nothing reads these back as clear values: an action reads the learner's e-mail from the
latest message, whose metadata the gateway sends with every message; earlier events
are history, and Rasa's policies read their intents, not their text.

The rule is rasa_ext/privacy.py, the gateway's copied (Rasa cannot import the gateway).
Runs in Rasa's environment; endpoints files name it `rasa_ext.tracker_store.MaskingSQLTrackerStore`.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_ext.privacy import EMAIL_MASK, NAME_MASK, mask_names, mask_personal_data

STORE_TYPE = "rasa_ext.tracker_store.MaskingSQLTrackerStore"


def identity_name(metadata: Any) -> str | None:
    identity = metadata.get("identity") if isinstance(metadata, dict) else None
    name = identity.get("name") if isinstance(identity, dict) else None
    return name if isinstance(name, str) else None


def mask_metadata(value: Any) -> Any:
    """`value` with every `identity` mapping's e-mail and name masked, at any depth."""
    if isinstance(value, list):
        return [mask_metadata(v) for v in value]
    if not isinstance(value, dict):
        return value
    masked = {k: mask_metadata(v) for k, v in value.items()}
    identity = masked.get("identity")
    if isinstance(identity, dict):
        identity = dict(identity)
        if identity.get("email"):
            identity["email"] = EMAIL_MASK
        if identity.get("name"):
            identity["name"] = NAME_MASK
        masked["identity"] = identity
    return masked


def mask_event(data: dict, names: Iterable[str | None] = ()) -> dict:
    """An event's dict (Event.as_dict()) as it may be stored; `names`: the identified
    person's names (the turn's identity)."""
    data = mask_metadata(data)
    names = [n for n in names if n]
    kind = data.get("event")
    if kind == "user":
        if isinstance(data.get("text"), str):
            data["text"] = mask_personal_data(data["text"], names)
        parse = data.get("parse_data")
        if isinstance(parse, dict):
            if isinstance(parse.get("text"), str):
                parse["text"] = mask_personal_data(parse["text"], names)
            for entity in parse.get("entities") or ():
                if isinstance(entity, dict) and isinstance(entity.get("value"), str):
                    entity["value"] = mask_personal_data(entity["value"], names)
    elif kind == "bot" and isinstance(data.get("text"), str):
        data["text"] = mask_names(data["text"], names)
    return data


def masked_events(events: Iterable[Event], tracker: DialogueStateTracker) -> Iterator[Event]:
    """Masked copies of `events`, from the tracker that holds them."""
    turn_name = identity_name(tracker.latest_message.metadata if tracker.latest_message
                              else None)
    for event in events:
        data = event.as_dict()
        names = [turn_name, identity_name(data.get("metadata"))]
        yield Event.from_parameters(mask_event(data, names))


class MaskingSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store; the events it writes are masked (above)."""

    def _additional_events(self, session, tracker: DialogueStateTracker) -> Iterator:
        return masked_events(super()._additional_events(session, tracker), tracker)


__all__ = ["MaskingSQLTrackerStore", "STORE_TYPE", "mask_event", "mask_metadata"]
