"""Trains the Rasa model when its inputs changed since the last training."""

import hashlib
import json
import os
import resource
import subprocess
import time
from pathlib import Path

import yaml

from bot.settings import PROJECT_ROOT

MODEL_NAME = "bagou"
RASA_BIN = PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa"
# Our own pipeline components are part of the model; the channel (rasa_ext/bagou_channel.py)
# is not, so it is left out.
TRAINING_INPUTS = ("config.yml", "domain.yml", "data", "faq", "topics.yml", "glossaire.yml",
                   "requirements/rasa.lock", "rasa_ext/text.py", "rasa_ext/domain_gate.py",
                   "rasa_ext/topic_classifier.py", "rasa_ext/word_questions.py",
                   "rasa_ext/faq_actions.py")


def model_path(model_dir: Path) -> Path:
    return model_dir / f"{MODEL_NAME}.tar.gz"


def fingerprint() -> str:
    """A hash of every file the model is trained from (and the engine's versions)."""
    digest = hashlib.sha256()
    for name in TRAINING_INPUTS:
        path = PROJECT_ROOT / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(PROJECT_ROOT)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


# One thread for the numeric libraries (OpenBLAS, OpenMP, MKL). Rasa computes on one
# short message at a time: the extra threads of NumPy and spaCy only spun and took CPU
# from the other processes (measured in docs/performance.md).
ONE_MATH_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                   "MKL_NUM_THREADS": "1"}


def rasa_env(**extra: str) -> dict[str, str]:
    """Environment for Rasa processes: our channel importable, no telemetry, quiet TF,
    one thread for the numeric libraries."""
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(PROJECT_ROOT),
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        **ONE_MATH_THREAD,
    )
    env.update(extra)
    return env


def count_examples() -> int:
    """NLU examples in faq/ and data/nlu/ (what the training time grows with)."""
    total = 0
    for path in [*(PROJECT_ROOT / "faq").glob("*.yml"), *(PROJECT_ROOT / "data" / "nlu").glob("*.yml")]:
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            total += sum(1 for line in str(item.get("examples", "")).splitlines() if line.strip())
    return total


def ensure_model(model_dir: Path, log_file: Path, force: bool = False) -> bool:
    """Trains when needed; returns True when it trained. Raises on a failed training."""
    model, stamp = model_path(model_dir), model_dir / f"{MODEL_NAME}.json"
    wanted = fingerprint()
    if not force and model.exists() and stamp.exists():
        if json.loads(stamp.read_text()).get("fingerprint") == wanted:
            return False
    model_dir.mkdir(parents=True, exist_ok=True)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    command = [
        str(RASA_BIN), "train", "--config", "config.yml", "--domain", "domain.yml",
        "--data", "data", "faq", "--out", str(model_dir),
        "--fixed-model-name", MODEL_NAME, "--force",
    ]
    started = time.monotonic()
    with log_file.open("ab") as log:
        done = subprocess.run(command, cwd=PROJECT_ROOT, env=rasa_env(),
                              stdout=log, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        raise RuntimeError(f"rasa train failed (exit {done.returncode}), see {log_file}")
    stamp.write_text(json.dumps({
        "fingerprint": wanted,
        "training_seconds": round(time.monotonic() - started, 1),
        "training_examples": count_examples(),
        # ru_maxrss of the largest finished child: the training process, in KiB.
        "training_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
    }, indent=2))
    return True
