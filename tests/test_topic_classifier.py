"""The topic classifier's fast scorer (rasa_ext/topic_classifier.py LinearScorer) gives
scikit-learn's own probabilities: it answers every message as the trained model would."""

import json
import os
import subprocess

import pytest

from bot.ops.training import RASA_BIN
from bot.settings import PROJECT_ROOT

RASA_PYTHON = RASA_BIN.parent / "python"
# Runs in Rasa's environment, .venv-rasa (scripts/setup.sh makes it).
pytestmark = pytest.mark.rasa_env


def test_fast_scorer_gives_scikit_learns_probabilities(tmp_path):
    result = subprocess.run(
        [str(RASA_PYTHON), "tests/rasa_env/check_topic_scorer.py", str(PROJECT_ROOT),
         str(tmp_path)],
        cwd=PROJECT_ROOT, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    checked = json.loads(result.stdout.strip().splitlines()[-1])
    assert checked["messages"] == 305
    assert checked["same_best"] == checked["messages"]
    assert checked["max_difference"] < 1e-6
    assert checked["max_boundary_difference"] < 1e-6
    assert checked["with_intent"] == checked["messages"]
