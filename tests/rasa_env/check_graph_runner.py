"""Run with Rasa's Python (tests/test_graph_runner.py): loads the trained model twice,
with Rasa's dask runner and with ours (rasa_ext/graph_runner.py), plays the same
conversations through both processors and prints one JSON line: the messages played,
and those where the parse or the bot's answers differ."""

import asyncio
import json
import sys
from pathlib import Path

import rasa.core.processor
from rasa.core.agent import load_agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.engine.runner.dask import DaskGraphRunner

from rasa_ext.graph_runner import SequentialGraphRunner, install

model = Path(sys.argv[1])
conversations = json.loads(sys.argv[2])


async def play(runner) -> list:
    rasa.core.processor.DaskGraphRunner = runner
    agent = await load_agent(model_path=str(model))
    assert type(agent.processor.graph_runner) is runner
    seen = []
    for number, conversation in enumerate(conversations):
        for text in conversation:
            parse = await agent.processor.parse_message(UserMessage(text))
            output = CollectingOutputChannel()
            await agent.handle_message(UserMessage(text, output, sender_id=f"c{number}"))
            seen.append({"intent": parse["intent"], "ranking": parse.get("intent_ranking"),
                         "response": parse.get("response_selector"),
                         "answers": [(m.get("text"), m.get("utter_action"))
                                     for m in output.messages]})
    return seen


dask = asyncio.run(play(DaskGraphRunner))
install()
ours = asyncio.run(play(SequentialGraphRunner))
print(json.dumps({"messages": len(dask),
                  "different": [i for i, (a, b) in enumerate(zip(dask, ours)) if a != b],
                  "answered": sum(bool(s["answers"]) for s in ours)}))
