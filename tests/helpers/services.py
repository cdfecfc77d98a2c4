"""Throwaway PostgreSQL and Redis servers on loopback, for the production-topology tests.

Debian's packages (scripts/services.sh installs them). Each server lives in a temporary
directory with its Unix socket, listens on 127.0.0.1 on a free port, keeps nothing on
disk that matters (no fsync, no Redis persistence) and is removed at the end. PostgreSQL
refuses to run as root: when the tests run as root, it runs as the `postgres` user.
"""

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg

from bot.ops.supervisor import free_port

INSTALL_HINT = "run scripts/services.sh (as root) or apt-get install postgresql redis-server"


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                   key=lambda p: int(Path(p).parent.parent.name))
    return Path(found[-1]).parent if found else None


def redis_bin() -> str | None:
    return shutil.which("redis-server")


def password() -> str:
    # Characters that must be escaped in a URL, to prove that they are.
    return "p@ss:w/rd-" + secrets.token_hex(8)


@dataclass
class Postgres:
    port: int
    user: str
    password: str
    log: Path

    def url(self, database: str, driver: str = "postgresql") -> str:
        return (f"{driver}://{quote(self.user, safe='')}:{quote(self.password, safe='')}"
                f"@127.0.0.1:{self.port}/{database}")

    def connect(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.port, user=self.user,
                               password=self.password, dbname=database, autocommit=True)

    # pg_ctl for this server (set by postgres_server): "stop" or "start".
    control: "Callable[[str], None] | None" = None

    def stop(self) -> None:
        """A database outage: the server stops at once (fast shutdown)."""
        self.control("stop")

    def start(self) -> None:
        self.control("start")

    def create_database(self, name: str) -> None:
        with self.connect() as db:
            db.execute(f'CREATE DATABASE "{name}"')


@dataclass
class Redis:
    port: int
    password: str

    @property
    def url(self) -> str:
        return f"redis://:{quote(self.password, safe='')}@127.0.0.1:{self.port}/0"


def _owned_temp_dir(prefix: str) -> tuple[Path, list[str]]:
    """A private temporary directory, and the command prefix that runs a server in it:
    as the `postgres` user when we are root (then the directory is theirs)."""
    base = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() != 0:
        return base, []
    shutil.chown(base, "postgres", "postgres")
    return base, ["runuser", "-u", "postgres", "--"]


@contextmanager
def postgres_server() -> Iterator[Postgres]:
    bin_dir = postgres_bin()
    if bin_dir is None:
        raise RuntimeError(f"PostgreSQL is not installed: {INSTALL_HINT}")
    base, as_owner = _owned_temp_dir("bagou-pg-")
    server = Postgres(port=free_port(), user="bagou", password=password(), log=base / "server.log")
    data = base / "data"
    password_file = base / "password"
    password_file.write_text(server.password)
    if as_owner:
        shutil.chown(password_file, "postgres", "postgres")
    password_file.chmod(0o600)

    def run(*command: str) -> None:
        subprocess.run([*as_owner, *command], check=True, cwd=base,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", server.user,
            f"--pwfile={password_file}", "--auth=scram-sha-256", "-E", "UTF8",
            "--locale=C.UTF-8", "--no-sync")
        password_file.unlink()
        # Loopback only, the socket in our directory (not /var/run/postgresql), no fsync;
        # a time zone far from UTC, so that a time stored as local time would show.
        options = f"-h 127.0.0.1 -p {server.port} -k {base} -F -c TimeZone=Pacific/Auckland"
        def control(action: str) -> None:
            if action == "stop":
                run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
            else:
                run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l",
                    str(server.log), "-w", "start")

        server.control = control
        control("start")
        yield server
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run([*as_owner, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast",
                            "-w", "stop"], cwd=base, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def redis_server() -> Iterator[Redis]:
    binary = redis_bin()
    if binary is None:
        raise RuntimeError(f"Redis is not installed: {INSTALL_HINT}")
    base = Path(tempfile.mkdtemp(prefix="bagou-redis-"))
    server = Redis(port=free_port(), password=password())
    config = base / "redis.conf"  # the password in a file, not on a command line
    config.write_text(f"port {server.port}\nbind 127.0.0.1\nsave \"\"\nappendonly no\n"
                      f"dir {base}\nunixsocket {base}/redis.sock\nrequirepass {server.password}\n")
    config.chmod(0o600)
    with (base / "server.log").open("wb") as log:
        process = subprocess.Popen([binary, str(config)], stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for_redis(server, process)
        yield server
    finally:
        process.terminate()
        process.wait(30)
        shutil.rmtree(base, ignore_errors=True)


def _wait_for_redis(server: Redis, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("redis-server stopped while starting")
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=1) as s:
                s.sendall(f"AUTH {server.password}\r\nPING\r\n".encode())
                answer = b""
                while b"\r\n" not in answer.removeprefix(b"+OK\r\n"):
                    answer += s.recv(100) or b"\r\n"
                if answer == b"+OK\r\n+PONG\r\n":
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("redis-server did not answer")
