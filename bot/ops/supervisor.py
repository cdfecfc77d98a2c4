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

from bot.ops.training import RASA_BIN, model_path, rasa_env
from bot.settings import PROJECT_ROOT, Settings
from rasa_ext.stores import LOCK_LIFETIME_VAR, lock_lifetime, rasa_endpoints, topology_error


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
        # The in-memory stores (endpoints.yml), or Rasa's shared stores in a generated
        # file next to the logs; store passwords go in the Rasa processes' environment.
        self.endpoints, self._store_secrets = rasa_endpoints(self.settings,
                                                             self.settings.log_dir)

    def _env(self, name: str) -> dict[str, str]:
        s = self.settings
        extra = {}
        if name.startswith("rasa"):
            # Rasa's lock lifetime follows the gateway's timeout (rasa_ext/stores.py).
            extra = {**self._store_secrets,
                     LOCK_LIFETIME_VAR: str(lock_lifetime(s.rasa_timeout))}
        return rasa_env(
            **extra,
            BAGOU_RASA_TOKEN=s.rasa_token,
            BAGOU_ACTIONS_URL=s.actions_url,
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

    def pids(self) -> dict[str, int]:
        return {n: p.pid for n, p in self.processes.items()}


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass
