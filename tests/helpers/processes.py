"""The real product, started with `bagou run` on free ports (the stack tests)."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.ops.supervisor import free_port
from bot.settings import PROJECT_ROOT

# The host site that the running Bagou trusts to identify learners (BAGOU_SITE_SECRETS).
TEST_SITE, TEST_SITE_SECRET = "site-de-test", "secret-du-site-de-test-" + os.urandom(16).hex()


@dataclass
class RunningBagou:
    process: subprocess.Popen
    url: str
    rasa_url: str
    token: str
    output: Path

    def chat(self, text, session_id=None, site_token=None, **kwargs) -> httpx.Response:
        body = {"text": text, "session_id": session_id}
        if site_token:
            body["site_token"] = site_token
        return httpx.post(f"{self.url}/api/chat", json=body, timeout=30, **kwargs)

    def wait_healthy(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output.read_text()
            try:  # every part, each Rasa instance too (not `partial`)
                if httpx.get(f"{self.url}/health", timeout=2).json()["status"] == "ok":
                    return
            except (httpx.HTTPError, ValueError, KeyError):
                pass
            time.sleep(1)
        raise TimeoutError(f"Bagou not healthy after {timeout} s")


@contextmanager
def start_bagou(trained_model: Path, work: Path, **extra_env: str) -> Iterator[RunningBagou]:
    """Starts Bagou in `work` (database bagou.db, logs); `extra_env` adds or overrides
    variables, e.g. BAGOU_ALLOWED_ORIGINS for the widget's cross-origin test."""
    port, rasa_port, actions_port = free_port(), free_port(), free_port()
    token = "test-token-" + os.urandom(8).hex()
    env = dict(
        os.environ,
        BAGOU_PORT=str(port),
        BAGOU_RASA_PORT=str(rasa_port),
        BAGOU_ACTIONS_PORT=str(actions_port),
        BAGOU_RASA_TOKEN=token,
        BAGOU_DATABASE_URL=f"sqlite:///{work / 'bagou.db'}",
        BAGOU_LOG_DIR=str(work / "log"),
        BAGOU_MODEL_DIR=str(trained_model),
        BAGOU_RASA_TIMEOUT="5",
        BAGOU_CONTACT_NAME="Espace badges de Caen",
        BAGOU_CONTACT_PHONE="02 31 00 00 00",
        BAGOU_CONTACT_EMAIL="",
        BAGOU_CONTACT_URL="https://example.org/contact",
        BAGOU_SITE_SECRETS=f'{{"{TEST_SITE}": "{TEST_SITE_SECRET}"}}',
    )
    env.update(extra_env)
    for name in [k for k in env if k.startswith("OBF_")]:
        del env[name]  # the embedded OBF sandbox, never a real OBF account
    output = work / "bagou-run.out"
    with output.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.ops.cli", "run"], cwd=PROJECT_ROOT, env=env,
            stdout=out, stderr=subprocess.STDOUT,
        )
    bagou = RunningBagou(process, f"http://127.0.0.1:{port}",
                         f"http://127.0.0.1:{rasa_port}", token, output)
    try:
        bagou.wait_healthy()
        yield bagou
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(60)
