"""Starts and stops the processes of Bagou: Rasa (one or more, BAGOU_RASA_INSTANCES),
the action server, the gateway.

`bagou run` and the integration tests both use this, so the tests start the product
the way a person does.
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bot.identity_ref import KEY_VAR as IDENTITY_KEY_VAR
from bot.ops.training import RASA_BIN, model_path, rasa_env
from bot.settings import PROJECT_ROOT, Settings
from rasa_ext.stores import LOCK_LIFETIME_VAR, lock_lifetime, rasa_endpoints, topology_error


ACTIONS_TOKEN_VAR = "BAGOU_ACTIONS_TOKEN"
# The gateway's and the actions' secrets that Rasa must not hold: the key of the sealed
# identity references (bot/identity_ref.py) and the server's key.
NOT_FOR_RASA = (IDENTITY_KEY_VAR, "BAGOU_SECRET_KEY")


class StackError(RuntimeError):
    pass


# The evaluation and the benchmark play many people from one address, faster than
# people type: they start Bagou without the gateway's rate limits (bot/http/rate_limit.py).
NO_RATE_LIMITS = {"BAGOU_RATE_LIMIT_SESSION": "", "BAGOU_RATE_LIMIT_ADDRESS": ""}


def free_port() -> int:
    """A TCP port free on loopback now (for tests, benchmarks, evaluations)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port_range(count: int) -> int:
    """The first of `count` consecutive TCP ports free on loopback now."""
    for _ in range(100):
        first = free_port()
        if all(_port_is_free(first + i) for i in range(1, count)):
            return first
    raise StackError(f"no {count} consecutive free ports")


def _port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def rasa_names(settings: Settings) -> list[str]:
    """The processes' names (and log files): `rasa`, or `rasa-1`, `rasa-2` …"""
    if settings.rasa_instances == 1:
        return ["rasa"]
    return [f"rasa-{i + 1}" for i in range(settings.rasa_instances)]


def throwaway_settings(work_dir: Path) -> Settings:
    """Settings for a private Bagou on free ports, with its own database and logs."""
    return Settings(port=free_port(), rasa_port=free_port(), actions_port=free_port(),
                    database_url=f"sqlite:///{work_dir / 'bagou.db'}", log_dir=work_dir / "log")


@dataclass
class Stack:
    settings: Settings
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def __post_init__(self):
        if error := topology_error(self.settings):
            raise StackError(error)
        if not self.settings.rasa_token:
            self.settings.rasa_token = secrets.token_urlsafe(32)
        # Rasa → action server (actions/server.py): BAGOU_ACTIONS_TOKEN, or a random one
        # per run. Not a gateway setting: the gateway never calls an action.
        self.actions_token = os.environ.get(ACTIONS_TOKEN_VAR) or secrets.token_urlsafe(32)
        # Gateway → action server through Rasa (bot/identity_ref.py): the key of the
        # learner's sealed identity, BAGOU_IDENTITY_KEY or a random one per run; Rasa
        # never gets it.
        self.identity_key = self.settings.identity_key or secrets.token_urlsafe(32)
        # The in-memory stores (endpoints.yml), or Rasa's shared stores in a generated
        # file next to the logs; store passwords go in the Rasa processes' environment.
        self.endpoints, self._store_secrets = rasa_endpoints(self.settings,
                                                             self.settings.log_dir)

    def _env(self, name: str) -> dict[str, str]:
        s = self.settings
        extra = {IDENTITY_KEY_VAR: self.identity_key}
        if name.startswith("rasa"):
            # Rasa's lock lifetime follows the gateway's timeout (rasa_ext/stores.py).
            extra = {**self._store_secrets,
                     LOCK_LIFETIME_VAR: str(lock_lifetime(s.rasa_timeout))}
        env = rasa_env(
            **extra,
            BAGOU_RASA_TOKEN=s.rasa_token,
            **{ACTIONS_TOKEN_VAR: self.actions_token},
            BAGOU_ACTIONS_URL=s.effective_actions_url,
            BAGOU_HOST=s.host,
            BAGOU_PORT=str(s.port),
            BAGOU_RASA_PORT=str(s.rasa_port),
            BAGOU_RASA_INSTANCES=str(s.rasa_instances),
            BAGOU_ACTIONS_PORT=str(s.actions_port),
            BAGOU_DATABASE_URL=s.database_url,
            BAGOU_RASA_TIMEOUT=str(s.rasa_timeout),
            BAGOU_MAX_MESSAGE_CHARS=str(s.max_message_chars),
            # rasa-sdk binds to all interfaces unless told otherwise.
            SANIC_HOST="127.0.0.1",
        )
        if name.startswith("rasa"):
            for var in NOT_FOR_RASA:
                env.pop(var, None)
        return env

    def commands(self) -> dict[str, list[str]]:
        s = self.settings
        rasa = {
            name: [
                str(RASA_BIN), "run", "--model", str(model_path(s.model_dir)),
                # Loopback only, and no --enable-api: the HTTP API stays off.
                "--interface", "127.0.0.1", "--port", str(port),
                "--credentials", "credentials.yml", "--endpoints", str(self.endpoints),
            ]
            for name, port in zip(rasa_names(s), s.rasa_ports)
        }
        return {
            **rasa,
            # rasa-sdk's server, after the log filter (actions/server.py).
            "actions": [sys.executable, "-m", "actions.server", "--port", str(s.actions_port)],
            "gateway": [sys.executable, "-m", "uvicorn", "bot.app:create_app", "--factory",
                        "--host", s.host, "--port", str(s.port), "--no-access-log",
                        # uvicorn's httptools protocol with deadlines for slow clients
                        # and a cap on unfinished heads (bot/http/server_protocol.py).
                        "--http", "bot.http.server_protocol:GatewayHttpProtocol",
                        # Idle connections kept 75 s, longer than clients and proxies
                        # keep theirs: with uvicorn's 5 s, a client that reused an idle
                        # connection as the gateway closed it got a reset (make soak).
                        "--timeout-keep-alive", "75",
                        # X-Forwarded-For is read only from BAGOU_TRUSTED_PROXIES
                        # (bot/http/rate_limit.py), not from any local process.
                        "--no-proxy-headers"],
        }

    def start(self, *names: str) -> None:
        self.settings.log_dir.mkdir(parents=True, exist_ok=True)
        commands = self.commands()
        for name in names or commands:
            log = (self.settings.log_dir / f"{name}.log").open("ab")
            self.processes[name] = subprocess.Popen(
                commands[name], cwd=PROJECT_ROOT, env=self._env(name), stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )
            log.close()

    def wait_ready(self, timeout: float = 300) -> None:
        """Waits until the gateway says that every part answers (each Rasa instance)."""
        deadline = time.monotonic() + timeout
        url = f"http://{self.settings.host}:{self.settings.port}/health"
        while time.monotonic() < deadline:
            if dead := self.dead():
                raise StackError(f"{dead} stopped while starting, see {self.settings.log_dir}")
            try:
                if httpx.get(url, timeout=2).json().get("status") == "ok":
                    return
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.5)
        raise StackError(f"Bagou was not ready after {timeout:.0f} s")

    def dead(self) -> str | None:
        return next((n for n, p in self.processes.items() if p.poll() is not None), None)

    def stop(self, *names: str, grace: float = 15) -> None:
        chosen = {n: p for n, p in self.processes.items() if not names or n in names}
        for process in chosen.values():
            _signal_group(process, signal.SIGTERM)
            _signal_group(process, signal.SIGCONT)  # a frozen (SIGSTOP) part gets it too
        deadline = time.monotonic() + grace
        for process in chosen.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()
        for name in chosen:
            del self.processes[name]

    def restart(self, name: str) -> None:
        self.stop(name)
        self.start(name)

    def health_urls(self) -> dict[str, str]:
        """What proves that a part answers, not only that its process lives: a request
        that its serving process handles: a frozen process lives on and keeps its port,
        and only a request tells (issue 24; with SANIC_WORKERS above 1, a dead Sanic
        worker under its living parent too). Rasa: its root route. The
        gateway: its liveness route, which asks nothing of the other parts (a Rasa that
        is down must not restart the gateway)."""
        s = self.settings
        urls = {name: f"http://127.0.0.1:{port}/"
                for name, port in zip(rasa_names(s), s.rasa_ports)}
        urls["actions"] = f"http://127.0.0.1:{s.actions_port}/health"
        urls["gateway"] = f"http://{s.host}:{s.port}/health/live"
        return urls

    def pids(self) -> dict[str, int]:
        return {n: p.pid for n, p in self.processes.items()}


class HealthWatch:
    """Which part of a running stack stopped answering its health check: `check()` probes
    each part (Stack.health_urls) and names one that has not answered for
    `unhealthy_after` seconds, every probe failing (at least `min_failures` of them).

    A part is watched once it has answered since it (re)started: Rasa takes 40 s and
    more to load its model, and the start-up has its own timeout. A part that never
    answers within `startup_grace` seconds of its start is named too.

    Why 10 s: a busy Rasa answers its root route between turns, and the gateway gives up
    on a turn after BAGOU_RASA_TIMEOUT (10 s); a restart of Rasa costs its model loading
    (about 40 s), so a slow moment must not trigger one. A dead worker never answers."""

    def __init__(self, stack: Stack, unhealthy_after: float = 10, min_failures: int = 3,
                 probe_timeout: float = 2, startup_grace: float = 600, interval: float = 1):
        self.stack, self.interval, self._last = stack, interval, float("-inf")
        self.unhealthy_after, self.min_failures = unhealthy_after, min_failures
        self.probe_timeout, self.startup_grace = probe_timeout, startup_grace
        self._state: dict[str, dict] = {}  # by part: its pid, first failure, failures …

    def answers(self, name: str) -> bool:
        try:
            return httpx.get(self.stack.health_urls()[name],
                             timeout=self.probe_timeout).status_code == 200
        except httpx.HTTPError:
            return False

    def check(self) -> str | None:
        now = time.monotonic()
        if now - self._last < self.interval:  # one probe of each part a second at most
            return None
        self._last = now
        for name, pid in self.stack.pids().items():
            if name not in self.stack.health_urls():
                continue
            state = self._state.get(name)
            if state is None or state["pid"] != pid:  # new, or restarted
                state = self._state[name] = {"pid": pid, "started": now, "seen": False,
                                             "since": None, "failures": 0}
            if self.answers(name):
                state.update(seen=True, since=None, failures=0)
                continue
            if not state["seen"]:
                if now - state["started"] > self.startup_grace:
                    return name
                continue
            state["since"] = state["since"] or now
            state["failures"] += 1
            if (state["failures"] >= self.min_failures
                    and time.monotonic() - state["since"] >= self.unhealthy_after):
                return name
        return None


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass
