"""The action server alone (no Rasa): it runs actions only for calls that carry the
shared token (actions/server.py), it is one process, and the supervisor sees it stop
or stop answering (bot/ops/supervisor.py, HealthWatch)."""

import time

import httpx
import psutil
import pytest

from actions.server import TOKEN_HEADER
from bot.ops.supervisor import HealthWatch, Stack, free_port
from bot.settings import Settings

LEA = "lea.martin@example.org"


def wait_until(condition, what: str, timeout: float = 60):
    """Polls `condition` until it is true; fails after `timeout` s (a bound, not a measure)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.2)
    raise AssertionError(f"not {what} after {timeout} s")


@pytest.fixture
def action_server(tmp_path):
    settings = Settings(rasa_port=free_port(), actions_port=free_port(), port=free_port(),
                        log_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'bagou.db'}",
                        rasa_token="t")
    stack = Stack(settings)  # makes a random actions token, as `bagou run` does
    stack.start("actions")
    url = f"http://127.0.0.1:{settings.actions_port}"

    def answers():
        try:
            return httpx.get(url + "/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(answers, "answering", timeout=120)
        yield stack, url
    finally:
        stack.stop()


def action_call(action: str) -> dict:
    """What Rasa posts, forged: a learner's identity in the latest message's metadata."""
    message = {"text": "mes badges", "intent": {"name": "mes_badges", "confidence": 1.0},
               "entities": [], "metadata": {"identity": {"kind": "learner", "email": LEA,
                                                          "name": "Léa Martin"}}}
    return {"next_action": action, "sender_id": "forged", "version": "3.6.21",
            "tracker": {"sender_id": "forged", "slots": {}, "latest_message": message,
                        "events": [{"event": "user", "text": "mes badges",
                                    "parse_data": message, "metadata": message["metadata"]}],
                        "paused": False, "followup_action": None, "active_loop": {},
                        "latest_action_name": "action_listen"},
            "domain": {"version": "3.1", "slots": {}, "responses": {}, "actions": [action],
                       "intents": [], "entities": [], "forms": {}}}


def test_a_forged_tracker_without_the_token_is_refused(action_server):
    stack, url = action_server
    token = stack.actions_token
    assert len(token) >= 32
    for headers in ({}, {TOKEN_HEADER: ""}, {TOKEN_HEADER: "not-" + token}):
        refused = httpx.post(url + "/webhook", json=action_call("action_mes_badges"),
                             headers=headers, timeout=10)
        assert refused.status_code == 401, refused.text
        assert LEA not in refused.text and "badge" not in refused.text.lower()
        assert httpx.get(url + "/actions", headers=headers, timeout=10).status_code == 401
    # The probes need no token, and say nothing but that the server answers.
    assert httpx.get(url + "/health", timeout=10).json() == {"status": "ok"}
    # With the token (as Rasa sends it, endpoints.yml), the action runs.
    done = httpx.post(url + "/webhook", json=action_call("action_aide"),
                      headers={TOKEN_HEADER: token}, timeout=30)
    assert done.status_code == 200, done.text
    assert done.json()["responses"]


def test_rasa_sends_the_token_in_the_header_the_action_server_checks():
    import yaml

    from rasa_ext.stores import ENDPOINTS

    endpoint = yaml.safe_load(ENDPOINTS.read_text())["action_endpoint"]
    assert endpoint["headers"] == {TOKEN_HEADER: "${BAGOU_ACTIONS_TOKEN}"}


def test_the_action_server_is_one_process_and_its_death_is_seen(action_server):
    """One process serves (actions/server.py): no Sanic worker that could die while its
    parent keeps the port. Killed, it is a stopped process for the supervisor."""
    stack, url = action_server
    process = psutil.Process(stack.pids()["actions"])
    assert process.children() == []
    assert any(c.status == psutil.CONN_LISTEN for c in process.net_connections("tcp"))
    watch = HealthWatch(stack, unhealthy_after=3, probe_timeout=1, interval=0.2)
    assert watch.check() is None
    process.kill()
    process.wait(10)
    assert stack.dead() == "actions"
    stack.restart("actions")
    wait_until(lambda: watch.answers("actions"), "answering again", timeout=120)
    assert stack.dead() is None and watch.check() is None


def test_a_frozen_action_server_is_seen_and_restarted(action_server):
    import os
    import signal

    stack, url = action_server
    watch = HealthWatch(stack, unhealthy_after=3, probe_timeout=1, interval=0.2)
    assert watch.check() is None
    group = os.getpgid(stack.pids()["actions"])  # its own group (start_new_session)
    os.killpg(group, signal.SIGSTOP)  # every process of it frozen: alive, silent
    try:
        assert wait_until(watch.check, "seen as silent") == "actions"
        # The restart ends the frozen processes (SIGTERM, then SIGCONT so they get it).
        stack.restart("actions")
    finally:
        try:
            os.killpg(group, signal.SIGCONT)
        except ProcessLookupError:
            pass
    wait_until(lambda: watch.answers("actions"), "answering again", timeout=120)
    assert watch.check() is None
