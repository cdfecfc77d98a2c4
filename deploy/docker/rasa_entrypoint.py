"""Starts Rasa in its container the way bot/ops/supervisor.py starts it on one machine.

1. Writes Rasa's endpoints file in /tmp: the project's endpoints.yml (the action
   server at ${BAGOU_ACTIONS_URL}), plus the SQL tracker store from
   BAGOU_RASA_TRACKER_URL (postgresql://user:password@host:port/db?sslmode=…) and the
   Redis lock store from BAGOU_RASA_LOCK_URL (redis://[user:password@]host:port/0, or
   rediss:// for TLS), in the same shape as rasa_ext/stores.py writes for `bagou run`.
   Passwords are never written: the file says `password: ${BAGOU_RASA_…_PASSWORD}` and
   Rasa substitutes the variable, which this script puts in Rasa's environment.
2. Sets Rasa's lock lifetime (TICKET_LOCK_LIFETIME) from BAGOU_RASA_TIMEOUT, and one
   thread for the numeric libraries, as `bagou run` does.
3. Replaces itself with `rasa run` (PID 1 stays Rasa, so SIGTERM reaches it): the
   trained model, our channel (credentials.yml), all interfaces of the container (only
   the gateway can reach it: docker-compose networks, Kubernetes NetworkPolicy), and
   no --enable-api: Rasa's HTTP API stays off.

The stores come from rasa_ext/stores.py, the module `bagou run` uses: it needs only the
standard library and PyYAML, so Rasa's environment (Python 3.10) imports it as it is.
"""

import os
import sys
from pathlib import Path

APP = "/app"
sys.path.insert(0, APP)

from rasa_ext.stores import (LOCK_LIFETIME_VAR, StoreConfigError, endpoints_file,  # noqa: E402
                             lock_lifetime)

ENDPOINTS_DIR = Path("/tmp")


def fail(message: str) -> None:
    print(f"bagou-rasa: {message}", file=sys.stderr, flush=True)
    sys.exit(2)


def main() -> None:
    env = os.environ
    if not env.get("BAGOU_RASA_TOKEN"):
        fail("BAGOU_RASA_TOKEN is not set: the gateway could not talk to this engine.")
    if not env.get("BAGOU_ACTIONS_URL"):
        fail("BAGOU_ACTIONS_URL is not set (the action server, e.g. http://actions:5055).")
    if not env.get("BAGOU_ACTIONS_TOKEN"):
        fail("BAGOU_ACTIONS_TOKEN is not set: the action server would refuse every call.")
    tracker_url = env.get("BAGOU_RASA_TRACKER_URL", "")
    lock_url = env.get("BAGOU_RASA_LOCK_URL", "")
    if not (tracker_url and lock_url):
        print("bagou-rasa: BAGOU_RASA_TRACKER_URL or BAGOU_RASA_LOCK_URL is empty: "
              "in-memory stores, valid for one Rasa instance only.",
              file=sys.stderr, flush=True)
    try:
        endpoints, secrets = endpoints_file(tracker_url, lock_url, ENDPOINTS_DIR,
                                            base=Path(APP) / "endpoints.yml")
    except StoreConfigError as error:
        fail(str(error))
    env.update(secrets)
    # Rasa's lock lifetime follows the gateway's BAGOU_RASA_TIMEOUT (rasa_ext/stores.py,
    # lock_lifetime): a Rasa that dies in the middle of a turn blocks its conversation
    # for 8 s, not Rasa's default 60 s. 10 is the gateway's default timeout.
    try:
        timeout = float(env.get("BAGOU_RASA_TIMEOUT") or 10)
    except ValueError:
        fail("BAGOU_RASA_TIMEOUT must be a number of seconds, as for the gateway.")
    env[LOCK_LIFETIME_VAR] = str(lock_lifetime(timeout))
    # One thread for the numeric libraries, as `bagou run` does (bot/ops/training.py,
    # ONE_MATH_THREAD): Rasa's CPU per message halved. Scale with replicas instead.
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(name, "1")
    command = [
        "rasa", "run", "--model", env.get("BAGOU_RASA_MODEL", f"{APP}/models/bagou.tar.gz"),
        "--interface", "0.0.0.0", "--port", env.get("BAGOU_RASA_PORT", "5005"),
        "--credentials", f"{APP}/credentials.yml", "--endpoints", str(endpoints),
        *sys.argv[1:],
    ]
    os.chdir(APP)
    os.execvpe(command[0], command, env)


if __name__ == "__main__":
    main()
