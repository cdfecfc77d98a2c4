"""Rasa's in-memory tracker store, without turning each conversation into JSON and back.

Rasa's InMemoryTrackerStore keeps every conversation as a JSON text: at each turn it
parses the whole conversation into event objects and, once the turn is done, writes it
all out again (together, about a seventh of Rasa's CPU a turn, docs/performance.md).
This store keeps the events themselves for the conversations of the last moments: a
turn rebuilds its tracker from them, as Rasa does from the parsed text, and the saved
tuple is a copy of the tracker's list, so events that a turn adds never reach the store
before the turn is saved. Event objects take several times the memory of their JSON,
so beyond the LIVE most recently saved conversations the older ones are kept as Rasa
keeps them, as JSON text, read back as Rasa reads it. Everything else is Rasa's
(sessions, the event broker). Named in endpoints.yml, the default topology (one Rasa
process); several processes share Rasa's SQL store (stores.py).
"""

import json
from collections import OrderedDict
from typing import Any, Dict, Optional, Text, Tuple, Union

from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.conversation import Dialogue
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

# Conversations kept as event objects: more than the people who talk at once (the
# benchmark's 64 concurrent sessions; a person who reads answers every minute or two).
LIVE = 512

Kept = Union[Tuple[Event, ...], Text]


class LiveTrackerStore(InMemoryTrackerStore):
    store: Dict[Text, Kept]  # type: ignore[assignment]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._live: "OrderedDict[Text, None]" = OrderedDict()

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        self.store[tracker.sender_id] = tuple(tracker.events)
        self._live[tracker.sender_id] = None
        self._live.move_to_end(tracker.sender_id)
        while len(self._live) > LIVE:
            sender_id, _ = self._live.popitem(last=False)
            events = list(self.store[sender_id])
            self.store[sender_id] = json.dumps(Dialogue(sender_id, events).as_dict())

    def deserialise_tracker(  # type: ignore[override]
        self, sender_id: Text, serialised_tracker: Kept
    ) -> Optional[DialogueStateTracker]:
        if isinstance(serialised_tracker, str):
            return super().deserialise_tracker(sender_id, serialised_tracker)
        tracker = self.init_tracker(sender_id)
        tracker.recreate_from_dialogue(Dialogue(sender_id, list(serialised_tracker)))
        return tracker
