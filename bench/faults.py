"""Faults under load: the production topology on this machine, 16 paced people, and
faults injected one after the other while they talk.

Starts PostgreSQL and Redis on loopback (tests/helpers/services.py), then Bagou with two Rasa
processes sharing the tracker and lock stores and the gateway on PostgreSQL (bot.ops.supervisor,
as bench/chat_bench.py does, the gateway's rate limits off: every simulated person comes
from this one address). OBF is a loopback server in front of the gateway's own OBF
sandbox (OBF_BASE_URL points to it), which can answer slowly, not at all, 403, 429 or
garbage.

While 16 people play the benchmark's conversations (bench/chat_bench.py; one of five is
Léa, signed in by the site, who looks at her badges) with 2 s between messages on
average, and give a thumb to about one answer in four, an adviser signed in to the
console looks up Léa's badges (with her consent) every 4 s. In sequence:

1. baseline;
2. OBF slow (longer than OBF_TIMEOUT), down (connection refused), 403, 429, garbage;
3. the action server killed (SIGKILL), restarted 10 s later;
4. one Rasa process killed (SIGKILL) and restarted at once, as `bagou run` does;
5. PostgreSQL stopped for 10 s (the gateway's database and Rasa's tracker store);
6. after.

After each fault is repaired, a probe sends a new conversation (for OBF and the action
server: Léa asking for her badges) every half second until it is answered as in the
baseline: that time is the recovery. Prints, per phase, the turns, the answers by kind
(HTTP status and error key), whether every error answer was the documented JSON shape
with its FALC text, the thumbs, the console's pages and the recovery time; at the end,
whether every thumb answered 200 and every audit line shown to the adviser is in the
database.

    .venv/bin/python bench/faults.py [--sessions 16] [--think 2] [--fault-seconds 10]
"""

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chat_bench import CONVERSATIONS, machine, site_token, start_stack  # noqa: E402
import httpx  # noqa: E402
import yaml  # noqa: E402

from bot.console import accounts  # noqa: E402
from bot.console.pages import texts as console_texts  # noqa: E402
from bot.db.engine import make_engine, make_sessionmaker  # noqa: E402
from bot.obf_sandbox.constants import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, PREFIX  # noqa: E402
from bot.ops.supervisor import Stack, free_port, free_port_range  # noqa: E402
from bot.schemas import ErrorResponse  # noqa: E402
from bot.settings import PROJECT_ROOT  # noqa: E402
from bot.texts import all_texts  # noqa: E402
from falc.checker import check_draft  # noqa: E402
from falc.rules import FAIL  # noqa: E402
from tests.helpers.services import Postgres, postgres_server, redis_server  # noqa: E402

ADVISER, ADVISER_PASSWORD = "conseil-pannes", "mot de passe du banc de pannes"
LEARNER_EMAIL = "lea.martin@example.org"
LEARNER_BADGE = "Point Info Badge"  # one of Léa's badges in the sandbox
OBF_APOLOGY = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))[
    "responses"]["utter_badges_indisponible"][0]["text"].splitlines()[0]
CONSOLE_MESSAGES = {key: console_texts()[key].splitlines()[0] for key in
                    ("badges_indisponibles", "journal_indisponible", "base_indisponible")}
OBF_FAULTS = ["slow", "down", "403", "429", "garbage"]


# --- OBF in front of the sandbox --------------------------------------------------------

class FaultyObf:
    """A loopback OBF: forwards to the gateway's sandbox, or fails as told (`mode`)."""

    SLOW_S = 8  # longer than OBF_TIMEOUT (5 s)

    def __init__(self):
        self.port = free_port()
        self.upstream = ""  # the gateway, once it runs
        self.mode = "ok"
        self._server: ThreadingHTTPServer | None = None
        self.listen()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PREFIX}"

    def listen(self) -> None:
        obf = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args):
                pass

            def do_GET(self):
                self.answer()

            def do_POST(self):
                self.answer()

            def answer(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                token = "oauth2/token" in self.path
                if obf.mode == "slow":
                    time.sleep(obf.SLOW_S)
                if obf.mode in ("403", "429", "garbage") and not token:
                    status, payload, extra = {
                        "403": (403, b'{"error": "invalid_token"}', {}),
                        "429": (429, b'{"error": "rate_limited"}', {"Retry-After": "30"}),
                        "garbage": (200, b"<html>pas du json</html>", {}),
                    }[obf.mode]
                    return self.send(status, payload, "application/json", extra)
                try:
                    forwarded = httpx.request(
                        self.command, obf.upstream + self.path, content=body, timeout=30,
                        headers={k: v for k, v in self.headers.items()
                                 if k.lower() in ("authorization", "content-type", "accept")})
                except httpx.HTTPError:
                    return self.send(502, b'{"error": "bad_gateway"}', "application/json")
                self.send(forwarded.status_code, forwarded.content,
                          forwarded.headers.get("content-type", "application/json"))

            def send(self, status, payload, content_type, extra=None):
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    for name, value in (extra or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:  # the client gave up (OBF slow), as with a real server
                    pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def set(self, mode: str) -> None:
        """ok, slow, down (nothing listens: connection refused), 403, 429, garbage."""
        if mode == "down":
            self.close()
        elif self._server is None:
            self.listen()
        self.mode = mode


# --- what the people and the adviser saw ------------------------------------------------

@dataclass
class Phase:
    name: str
    fault: str
    turns: Counter = field(default_factory=Counter)  # kind of answer → count
    bad_shape: int = 0  # error answers that were not the documented FALC JSON
    thumbs: Counter = field(default_factory=Counter)
    lookups: Counter = field(default_factory=Counter)
    recovery_s: float | None = None
    health_ok_s: float | None = None
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None


@dataclass
class Run:
    phases: list[Phase] = field(default_factory=list)
    thumbs_stored: dict[int, str] = field(default_factory=dict)  # message id → value (200)
    lookups_audited: Counter = field(default_factory=Counter)  # "ok" / "error" pages

    @property
    def phase(self) -> Phase:
        return self.phases[-1]


def falc_error_body(response: httpx.Response) -> bool:
    """The documented error shape (bot.schemas.ErrorResponse), with the text of its
    key in texts/gateway.yml, and that text passes the FALC checker."""
    try:
        body = ErrorResponse.model_validate(response.json())
    except ValueError:
        return False
    template = all_texts().get(body.error)
    if template is None or not response.headers.get("content-type", "").startswith(
            "application/json"):
        return False
    pattern = re.sub(r"\\\{[a-z_]+\\\}", ".+", re.escape(template))
    return (re.fullmatch(pattern, body.message, re.S) is not None
            and [r.text for r in body.replies] == [body.message] and passes_falc(body.message))


@lru_cache
def passes_falc(message: str) -> bool:
    return not [f for f in check_draft(message).findings if f.level == FAIL]


def kind_of(response: httpx.Response) -> str:
    if response.status_code == 200:
        texts = [r.get("text", "") for r in response.json().get("replies", [])]
        return "200 OBF apology" if any(OBF_APOLOGY in t for t in texts) else "200"
    try:
        error = response.json().get("error")
    except ValueError:
        error = None
    return f"{response.status_code} {error or '(not JSON)'}"


async def person(run: Run, client: httpx.AsyncClient, url: str, number: int, think: float,
                 stop: asyncio.Event) -> None:
    rng = random.Random(number)
    conversation = number
    while not stop.is_set():
        learner, script = CONVERSATIONS[conversation % len(CONVERSATIONS)]
        conversation += 1
        session_id = None
        for text in script:
            if stop.is_set():
                return
            body = {"text": text, "session_id": session_id}
            if learner and session_id is None:
                body["site_token"] = site_token()
            try:
                response = await client.post(f"{url}/api/chat", json=body)
            except httpx.HTTPError as error:
                run.phase.turns[f"no answer ({type(error).__name__})"] += 1
                await asyncio.sleep(rng.uniform(0.5, 1.5) * think)
                continue
            phase = run.phase  # where the answer came: the state it shows
            kind = kind_of(response)
            phase.turns[kind] += 1
            if response.status_code == 200:
                answer = response.json()
                session_id = answer["session_id"]
                ids = [r["id"] for r in answer["replies"] if r.get("id")]
                if ids and rng.random() < 0.25:
                    await thumb(run, client, url, session_id, ids[0], rng.choice(["up", "down"]))
            elif not falc_error_body(response):
                phase.bad_shape += 1
            await asyncio.sleep(rng.uniform(0.5, 1.5) * think)


async def thumb(run: Run, client: httpx.AsyncClient, url: str, session_id: str,
                message_id: int, value: str) -> None:
    try:
        response = await client.post(f"{url}/api/feedback", json={
            "session_id": session_id, "message_id": message_id, "value": value})
    except httpx.HTTPError as error:
        run.phase.thumbs[f"no answer ({type(error).__name__})"] += 1
        return
    phase = run.phase
    phase.thumbs[kind_of(response)] += 1
    if response.status_code == 200:
        run.thumbs_stored[message_id] = value
    elif not falc_error_body(response):
        phase.bad_shape += 1


class Adviser:
    """A signed-in adviser: the session cookie is Secure, so it is sent by hand over
    http://127.0.0.1 (browsers send it there; httpx does not)."""

    def __init__(self, url: str):
        self.url = f"{url}/conseiller"
        self.cookie = ""

    async def sign_in(self, client: httpx.AsyncClient) -> None:
        page = await client.get(f"{self.url}/connexion")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        signed = await client.post(
            f"{self.url}/connexion", follow_redirects=False,
            data={"csrf": csrf, "identifiant": ADVISER, "mot_de_passe": ADVISER_PASSWORD},
            headers={"Cookie": f"bagou_connexion={page.cookies['bagou_connexion']}"})
        self.cookie = f"bagou_conseiller={signed.cookies['bagou_conseiller']}"

    async def look_up(self, client: httpx.AsyncClient) -> tuple[str, bool]:
        """(what the page said, whether it must have its audit line)."""
        headers = {"Cookie": self.cookie}
        form = await client.get(f"{self.url}/badges", headers=headers)
        found = re.search(r'name="csrf" value="([^"]+)"', form.text)
        if form.status_code != 200 or not found:
            return self.describe(form), False
        page = await client.post(f"{self.url}/badges", headers=headers, data={
            "csrf": found.group(1), "email": LEARNER_EMAIL, "accord": "oui"})
        kind = self.describe(page)
        return kind, page.status_code == 200 or kind == "503 badges_indisponibles"

    @staticmethod
    def describe(page: httpx.Response) -> str:
        if not page.headers.get("content-type", "").startswith("text/html"):
            return f"{page.status_code} not a page"
        if page.status_code == 200:
            return "200 badges" if LEARNER_BADGE in page.text else "200"
        for key, line in CONSOLE_MESSAGES.items():
            if line.replace("'", "&#39;") in page.text:
                if LEARNER_BADGE in page.text:
                    return f"{page.status_code} {key} WITH BADGES"
                return f"{page.status_code} {key}"
        return f"{page.status_code} other"


async def adviser_loop(run: Run, client: httpx.AsyncClient, adviser: Adviser,
                       stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            kind, audited = await adviser.look_up(client)
        except httpx.HTTPError as error:
            kind, audited = f"no answer ({type(error).__name__})", False
        run.phase.lookups[kind] += 1
        if audited:
            run.lookups_audited["ok" if kind.startswith("200") else "error"] += 1
        try:
            await asyncio.wait_for(stop.wait(), 4)
        except TimeoutError:
            pass


# --- faults --------------------------------------------------------------------------

async def probe(client: httpx.AsyncClient, url: str, badges: bool) -> bool:
    """A new conversation answered as in the baseline; with `badges`, Léa's badges."""
    body = {"text": "mes badges", "site_token": site_token()} if badges else \
        {"text": "C'est quoi un open badge ?"}
    try:
        response = await client.post(f"{url}/api/chat", json=body, timeout=30)
    except httpx.HTTPError:
        return False
    return kind_of(response) == "200" and (
        not badges or LEARNER_BADGE in json.dumps(response.json(), ensure_ascii=False))


async def until(check, limit: float = 120) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if await check():
            return time.monotonic() - started
        await asyncio.sleep(0.5)
    return None


def kill(stack: Stack, name: str) -> None:
    process = stack.processes.pop(name)
    os.killpg(process.pid, signal.SIGKILL)  # its own group: Sanic's workers too
    process.wait()


async def faults(run: Run, stack: Stack, obf: FaultyObf, postgres: Postgres,
                 client: httpx.AsyncClient, seconds: float) -> None:
    url = f"http://127.0.0.1:{stack.settings.port}"

    async def health_ok() -> bool:
        try:
            return (await client.get(f"{url}/health", timeout=5)).json()["status"] == "ok"
        except (httpx.HTTPError, ValueError, KeyError):
            return False

    def begin(name: str, fault: str) -> Phase:
        run.phase.ended = time.monotonic()
        run.phases.append(Phase(name, fault))
        return run.phase

    begin("baseline", "none")
    await asyncio.sleep(2 * seconds)

    for mode in OBF_FAULTS:
        phase = begin(f"OBF {mode}", {
            "slow": f"answers after {FaultyObf.SLOW_S} s (OBF_TIMEOUT 5 s)",
            "down": "connection refused", "403": "403 on every API call",
            "429": "429, Retry-After 30", "garbage": "200 with HTML instead of JSON",
        }[mode])
        await asyncio.to_thread(obf.set, mode)
        await asyncio.sleep(seconds)
        await asyncio.to_thread(obf.set, "ok")
        phase.recovery_s = await until(lambda: probe(client, url, badges=True))

    phase = begin("action server killed", f"SIGKILL, restarted {seconds:g} s later")
    await asyncio.to_thread(kill, stack, "actions")
    await asyncio.sleep(seconds)
    stack.start("actions")
    phase.recovery_s = await until(lambda: probe(client, url, badges=True))

    phase = begin("one Rasa killed", "SIGKILL of rasa-1, restarted at once")
    await asyncio.to_thread(kill, stack, "rasa-1")
    stack.start("rasa-1")
    phase.recovery_s = await until(lambda: probe(client, url, badges=False))
    phase.health_ok_s = await until(health_ok, limit=300)

    phase = begin("PostgreSQL stopped", f"fast shutdown, started {seconds:g} s later")
    await asyncio.to_thread(postgres.stop)
    await asyncio.sleep(seconds)
    await asyncio.to_thread(postgres.start)
    phase.recovery_s = await until(lambda: probe(client, url, badges=False))
    phase.health_ok_s = await until(health_ok)

    begin("after", "none")
    await asyncio.sleep(1.5 * seconds)


async def play(run: Run, stack: Stack, obf: FaultyObf, postgres: Postgres, sessions: int,
               think: float, seconds: float) -> None:
    url = f"http://127.0.0.1:{stack.settings.port}"
    stop = asyncio.Event()
    limits = httpx.Limits(max_connections=sessions + 8)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        adviser = Adviser(url)
        await adviser.sign_in(client)
        run.phases.append(Phase("warm-up", "none"))
        people = [asyncio.create_task(person(run, client, url, n, think, stop))
                  for n in range(sessions)]
        people.append(asyncio.create_task(adviser_loop(run, client, adviser, stop)))
        await asyncio.sleep(10)  # every process has served a few turns
        try:
            await faults(run, stack, obf, postgres, client, seconds)
        finally:
            stop.set()
            await asyncio.gather(*people)
            run.phase.ended = time.monotonic()


# --- what is in the database at the end -------------------------------------------------

def check_storage(run: Run, postgres: Postgres) -> dict:
    with postgres.connect("bagou") as db:
        stored = dict(db.execute("SELECT message_id, value FROM chat_feedback").fetchall())
        outcomes = Counter(outcome for (outcome,) in db.execute(
            "SELECT outcome FROM console_audit WHERE user_login = %s", (ADVISER,)))
    lost_thumbs = [m for m, value in run.thumbs_stored.items() if stored.get(m) != value]
    audit = {"ok": outcomes["ok"] + outcomes["partial"],
             "error": sum(outcomes.values()) - outcomes["ok"] - outcomes["partial"]}
    return {"thumbs_200": len(run.thumbs_stored), "thumbs_lost": len(lost_thumbs),
            "audit_shown": dict(run.lookups_audited), "audit_in_db": audit,
            "audit_lost": sum(max(0, run.lookups_audited[k] - audit[k]) for k in audit),
            "audit_extra": sum(max(0, audit[k] - run.lookups_audited[k]) for k in audit)}


def report(run: Run, storage: dict, args, minutes: float, died: list[str]) -> None:
    def counts(counter: Counter, skip: tuple[str, ...] = ()) -> str:
        return ", ".join(f"{k}: {v}" for k, v in sorted(counter.items()) if k not in skip) or "–"

    def seconds(value: float | None) -> str:
        return "–" if value is None else f"{value:.1f} s"

    print(f"Machine: {machine()}.\n")
    print(f"Faults under load, {date.today().isoformat()}: {args.sessions} people, "
          f"{args.think:g} s between messages on average, production topology (2 Rasa, "
          f"PostgreSQL, Redis), {args.fault_seconds:g} s per fault; {minutes:.1f} minutes "
          "in all.\n")
    print("| phase | fault | s | turns | answered (200) | of which OBF apology | errors "
          "(status error) | errors not FALC JSON | thumbs | console look-ups | answered "
          "again after | /health ok after |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for p in run.phases:
        total = sum(p.turns.values())
        answered = p.turns["200"] + p.turns["200 OBF apology"]
        errors = Counter({k: v for k, v in p.turns.items() if not k.startswith("200")})
        print(f"| {p.name} | {p.fault} | {(p.ended or p.started) - p.started:.0f} | {total} | "
              f"{answered} | {p.turns['200 OBF apology']} | "
              f"{counts(errors)} | {p.bad_shape} | {counts(p.thumbs)} | {counts(p.lookups)} | "
              f"{seconds(p.recovery_s)} | {seconds(p.health_ok_s)} |")
    print()
    print(f"Thumbs answered 200: {storage['thumbs_200']}, missing or different in the "
          f"database: {storage['thumbs_lost']}.")
    print(f"Look-ups whose page needs an audit line (badges shown, or « je ne peux pas lire "
          f"les badges »): {storage['audit_shown']}; audit lines in the database: "
          f"{storage['audit_in_db']}; missing: {storage['audit_lost']}, more than shown: "
          f"{storage['audit_extra']}.")
    print(f"Processes that died unasked: {', '.join(died) or 'none'}.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=16)
    parser.add_argument("--think", type=float, default=2.0)
    parser.add_argument("--fault-seconds", type=float, default=10)
    args = parser.parse_args()
    started = time.monotonic()
    run = Run()

    with ExitStack() as resources:
        postgres = resources.enter_context(postgres_server())
        redis = resources.enter_context(redis_server())
        postgres.create_database("rasa")
        postgres.create_database("bagou")
        obf = FaultyObf()
        resources.callback(obf.close)
        # The action server and the console read OBF here; the pseudonym key of the
        # audit lines comes from the environment (no key file written).
        os.environ.update(OBF_BASE_URL=obf.base_url, OBF_CLIENT_ID=DEMO_CLIENT_ID,
                          OBF_CLIENT_SECRET=DEMO_CLIENT_SECRET,
                          BAGOU_SECRET_KEY=secrets.token_urlsafe(32))
        database_url = postgres.url("bagou", "postgresql+psycopg")
        stack, _ = start_stack(
            resources, Path(tempfile.mkdtemp(prefix="bagou-faults-")),
            rasa_instances=2, rasa_port=free_port_range(2), database_url=database_url,
            rasa_tracker_url=postgres.url("rasa"), rasa_lock_url=redis.url)
        obf.upstream = f"http://127.0.0.1:{stack.settings.port}"
        engine = make_engine(database_url)
        with make_sessionmaker(engine).begin() as db:
            accounts.create_user(db, ADVISER, "Camille", "adviser", ADVISER_PASSWORD)
        engine.dispose()

        asyncio.run(play(run, stack, obf, postgres, args.sessions, args.think,
                         args.fault_seconds))
        died = [name for name, p in stack.processes.items() if p.poll() is not None]
        storage = check_storage(run, postgres)
        print(f"Logs: {stack.settings.log_dir}\n")
    report(run, storage, args, (time.monotonic() - started) / 60, died)


if __name__ == "__main__":
    main()
