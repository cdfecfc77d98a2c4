"""Rasa as Bagou runs it (our graph runner, without dask's scheduler, and our in-memory
tracker store, without JSON: rasa_ext/graph_runner.py, rasa_ext/memory_tracker_store.py)
reads every message, answers every turn and keeps every conversation exactly as Rasa's
own runner and store: the same intent, ranking and response selection, the same
messages of the bot, the same stored events."""

import json
import os
import subprocess

import pytest

from bot.ops.training import RASA_BIN, model_path
from bot.settings import PROJECT_ROOT

pytestmark = [pytest.mark.stack, pytest.mark.rasa_env]

CONVERSATIONS = [
    ["bonjour", "c koi un badge", "et je le mets ou sur linkedin ?", "merci"],
    ["comment je partage mon badge sur mon CV", "j'ai pas compris", "tu sers a rien"],
    ["/mes_badges", "quel temps fait-il à Caen ?", "un lieu de la reconnaissance à Caen ?"],
    ["c'est quoi un émetteur ?", "", "badge " * 40, "au revoir"],
]


def test_rasa_as_bagou_runs_it_answers_and_keeps_as_rasas_own(trained_model):
    result = subprocess.run(
        [str(RASA_BIN.parent / "python"), "tests/rasa_env/check_rasa_patches.py",
         str(model_path(trained_model)), json.dumps(CONVERSATIONS)],
        cwd=PROJECT_ROOT, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT),
                               "BAGOU_ACTIONS_URL": "http://127.0.0.1:9",
                               "BAGOU_ACTIONS_TOKEN": "t"},
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    checked = json.loads(result.stdout.strip().splitlines()[-1])
    assert checked["turns"] == sum(map(len, CONVERSATIONS))
    assert checked["different"] == []
    assert checked["cold"] == 2  # two conversations read back from JSON
    # The turns answered by a response (no action server here: a custom action is silent).
    assert checked["answered"] >= 9
    assert checked["events"] > 4 * len(CONVERSATIONS[-1])


def test_rasa_calls_the_action_server_on_one_kept_connection():
    """Rasa's EndpointConfig.request with rasa_ext/endpoint_sessions.py: the same answers,
    headers and errors, six calls on one connection, and a call after the server restarted
    (its kept connection closed) is answered."""
    result = subprocess.run(
        [str(RASA_BIN.parent / "python"), "tests/rasa_env/check_endpoint_sessions.py"],
        cwd=PROJECT_ROOT, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    checked = json.loads(result.stdout.strip().splitlines()[-1])
    assert checked["answers"] == [{"echo": {"n": n}, "token": "secret"} for n in range(5)]
    assert checked["refused"] == 400
    assert checked["connections"] == 1
    assert checked["after"] == {"echo": {"n": "after"}, "token": "secret"}
