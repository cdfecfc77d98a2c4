"""Run with Rasa's Python (tests/test_rasa_patches.py): loads the trained model twice,
as Rasa runs it (dask's runner, Rasa's InMemoryTrackerStore) and as Bagou runs it (our
patches, rasa_ext/patches.py, and our store, rasa_ext/memory_tracker_store.py), plays
the same conversations through both and prints one JSON line: the turns played, the
turns where the parse, the bot's messages or the stored conversation differ."""

import asyncio
import json
import sys
from pathlib import Path

import rasa.core.processor
from rasa.core.agent import load_agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.core.utils import AvailableEndpoints
from rasa.engine.runner.dask import DaskGraphRunner

from rasa_ext import memory_tracker_store, patches
from rasa_ext.graph_runner import SequentialGraphRunner
from rasa_ext.memory_tracker_store import LiveTrackerStore

model = Path(sys.argv[1])
conversations = json.loads(sys.argv[2])


def stored(events: list) -> list:
    """The stored events without their times (two runs never share them)."""
    return [{k: v for k, v in e.as_dict().items() if k != "timestamp"} for e in events]


async def play(runner, store, endpoints: AvailableEndpoints) -> list:
    assert rasa.core.processor.DaskGraphRunner is runner
    agent = await load_agent(model_path=str(model), endpoints=endpoints)
    assert type(agent.processor.graph_runner) is runner
    assert type(agent.tracker_store._tracker_store) is store  # in Rasa's awaitable wrapper
    store = agent.tracker_store
    global ours_store
    ours_store = store._tracker_store
    seen = []
    for number, conversation in enumerate(conversations):
        for turn, text in enumerate(conversation):
            parse = await agent.processor.parse_message(UserMessage(text))
            output = CollectingOutputChannel()
            await agent.handle_message(UserMessage(text, output, sender_id=f"c{number}",
                                                   message_id=f"m{number}-{turn}"))
            tracker = await store.retrieve(f"c{number}")
            seen.append({"parse": without_message_ids(parse),
                         "answers": [(m.get("text"), m.get("utter_action"))
                                     for m in output.messages],
                         "stored": stored(tracker.events)})
    # Every conversation read back at the end: with ours, the first ones from JSON.
    for number in range(len(conversations)):
        seen.append({"stored": stored((await store.retrieve(f"c{number}")).events)})
    return seen


def without_message_ids(parse: dict) -> dict:
    return {k: v for k, v in parse.items() if k != "message_id"}


rasas = asyncio.run(play(DaskGraphRunner, InMemoryTrackerStore, AvailableEndpoints()))
patches.install()
# Two conversations kept as objects, the others as JSON: both ways are read back.
memory_tracker_store.LIVE = 2
# The project's endpoints file names our store.
ours = asyncio.run(play(SequentialGraphRunner, LiveTrackerStore,
                        AvailableEndpoints.read_endpoints("endpoints.yml")))
print(json.dumps({"turns": len(rasas) - len(conversations),
                  "cold": sum(isinstance(kept, str) for kept in
                              ours_store.store.values()),
                  "different": [i for i, (a, b) in enumerate(zip(rasas, ours)) if a != b],
                  "answered": sum(bool(s.get("answers")) for s in ours),
                  "events": len(ours[-1]["stored"])}))
