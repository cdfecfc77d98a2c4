"""LTI launches under stress (issue 21): does /health stay fast while many launches wait
for a platform whose key set hangs? How long does a launch take, and how often is the
key set fetched? Prints numbers; asserts nothing.

    .venv/bin/python bench/lti_bench.py [--launches 45] [--hang 30]

The gateway runs in its own process (uvicorn, as `bagou run` starts it), with no Rasa
(/health then answers « degraded » at once: what is measured is the gateway's own
latency). A small platform emulator (Moodle's claims, RS256, its JWKS on loopback, which
can hang) runs in this process.
"""

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bot.lti.config import make_keys  # noqa: E402

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
ISS, CLIENT_ID, DEPLOYMENT = "https://moodle.bench.test", "bench-client", "1"


class Platform:
    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid, self.delay, self.requests = "bench-key", 0.0, 0
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                platform.requests += 1
                time.sleep(platform.delay)
                jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(platform.key.public_key()))
                body = json.dumps({"keys": [{**jwk, "kid": platform.kid, "alg": "RS256"}]})
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(body.encode())
                except OSError:
                    pass  # the gateway gave up waiting

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.jwks_url = f"http://127.0.0.1:{self.server.server_port}/mod/lti/certs.php"

    def token(self, auth: dict, skew: float = 0.0) -> str:
        now = int(time.time() + skew)
        return jwt.encode({
            "iss": ISS, "aud": CLIENT_ID, "sub": "17", "exp": now + 60, "iat": now,
            "nonce": auth["nonce"], "email": "lea.martin@example.org", "name": "Léa Martin",
            LTI + "message_type": "LtiResourceLinkRequest", LTI + "version": "1.3.0",
            LTI + "deployment_id": DEPLOYMENT, LTI + "target_link_uri": auth["redirect_uri"],
            LTI + "resource_link": {"id": "5"},
            LTI + "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
        }, self.key, algorithm="RS256", headers={"kid": self.kid})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gateway(work: Path, platform: Platform, timeout: float) -> tuple[subprocess.Popen, str]:
    make_keys(work / "keys")
    config = work / "lti.json"
    config.write_text(json.dumps({ISS: [{
        "default": True, "client_id": CLIENT_ID, "auth_login_url": f"{ISS}/mod/lti/auth.php",
        "auth_token_url": f"{ISS}/mod/lti/token.php", "key_set_url": platform.jwks_url,
        "deployment_ids": [DEPLOYMENT], "organisations": ["sandbox"]}]}))
    port = free_port()
    env = {**os.environ, "BAGOU_DATABASE_URL": f"sqlite:///{work / 'bagou.db'}",
           "BAGOU_LTI_CONFIG": str(config), "BAGOU_LTI_KEY_DIR": str(work / "keys"),
           "BAGOU_LTI_KEYSET_TIMEOUT": str(timeout), "BAGOU_RATE_LIMIT_LTI": "",
           "BAGOU_RASA_URLS": "http://127.0.0.1:9", "BAGOU_ACTIONS_URL": "http://127.0.0.1:9",
           "BAGOU_SECRET_KEY": "bench-" + "x" * 32}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bot.app:create_app", "--factory", "--host",
         "127.0.0.1", "--port", str(port), "--log-level", "error"],
        cwd=ROOT, env=env, stderr=(work / "gateway.log").open("w"))
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(url + "/lti/jwks", timeout=1)
            return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the gateway did not start")


def logins(url: str, n: int) -> tuple[httpx.Cookies, list[dict]]:
    auths = []
    with httpx.Client(base_url=url) as client:
        for _ in range(n):
            answer = client.post("/lti/login", data={
                "iss": ISS, "login_hint": "17", "client_id": CLIENT_ID,
                "target_link_uri": url + "/lti/launch", "lti_deployment_id": DEPLOYMENT})
            auths.append({k: v[0] for k, v in parse_qs(
                urlparse(answer.headers["location"]).query).items()})
        return client.cookies, auths


def ms(values: list[float]) -> str:
    if not values:
        return "-"
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    return (f"p50 {statistics.median(values) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms   "
            f"max {values[-1] * 1000:7.1f} ms   (n={len(values)})")


async def health_while(url: str, busy: asyncio.Future) -> list[float]:
    times = []
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        while not busy.done():
            started = time.perf_counter()
            await client.get("/health")
            times.append(time.perf_counter() - started)
            await asyncio.sleep(0.05)
    return times


async def launches(url: str, platform: Platform, cookies, auths, skew=0.0):
    async with httpx.AsyncClient(base_url=url, timeout=120, cookies=cookies) as client:
        async def one(auth):
            started = time.perf_counter()
            answer = await client.post("/lti/launch", data={
                "id_token": platform.token(auth, skew), "state": auth["state"]})
            return answer.status_code, time.perf_counter() - started
        return await asyncio.gather(*(one(a) for a in auths))


async def scenario(url, platform, cookies, auths, skew=0.0):
    busy = asyncio.ensure_future(launches(url, platform, cookies, auths, skew))
    health = await health_while(url, busy)
    return await busy, health


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=45)
    parser.add_argument("--hang", type=float, default=30.0, help="seconds the key set hangs")
    parser.add_argument("--timeout", type=float, default=3.0, help="BAGOU_LTI_KEYSET_TIMEOUT")
    args = parser.parse_args()
    platform = Platform()
    with tempfile.TemporaryDirectory() as work:
        process, url = start_gateway(Path(work), platform, args.timeout)
        try:
            async def idle():
                done = asyncio.get_running_loop().create_future()
                asyncio.get_running_loop().call_later(2, done.set_result, None)
                return await health_while(url, done)
            print(f"/health, idle                               {ms(asyncio.run(idle()))}")

            platform.delay = args.hang
            cookies, auths = logins(url, args.launches)
            started = time.perf_counter()
            results, health = asyncio.run(scenario(url, platform, cookies, auths))
            statuses = {s for s, _ in results}
            print(f"{args.launches} launches, key set hanging {args.hang:g} s:")
            print(f"  launches (refused {sorted(statuses)})          {ms([t for _, t in results])}")
            print(f"  /health meanwhile                         {ms(health)}")
            print(f"  all answered in {time.perf_counter() - started:.1f} s; "
                  f"key set requests: {platform.requests}")

            platform.delay, platform.requests = 0.0, 0
            time.sleep(11)  # past the back-off after the failure
            for skew, label in ((0.0, "on time"), (0.3, "clock 0.3 s ahead")):
                cookies, auths = logins(url, args.launches)
                results, health = asyncio.run(scenario(url, platform, cookies, auths, skew))
                accepted = sum(s == 200 for s, _ in results)
                print(f"{args.launches} launches at once, {label}: {accepted} accepted")
                print(f"  launches                                  {ms([t for _, t in results])}")
                print(f"  /health meanwhile                         {ms(health)}")
            print(f"  key set requests for all of them: {platform.requests}")
        finally:
            process.terminate()
            process.wait(10)
            platform.server.shutdown()


if __name__ == "__main__":
    main()
