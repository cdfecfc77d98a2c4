"""Benchmark: realistic conversations through the gateway and straight to Rasa.

Starts its own Bagou on free ports with throw-away databases and plays conversations of
8 turns (FAQ questions, follow-ups, a button, out of scope, typos, a learner looking at
her badges in the OBF sandbox), a new session each time, at several concurrency levels,
against these targets, all with the same trained model:

- `rasa run (default)`: one plain `rasa run` with Rasa's REST channel and in-memory
  stores, the baseline a team would start with;
- `rasa (our channel)`: one Rasa process as `bagou run` starts it, called directly;
- `gateway, 1 Rasa`: the whole stack as `make run` starts it (SQLite, one Rasa);
- `gateway, N Rasa`: the production topology (`--instances N`, default 2): N Rasa
  processes sharing a PostgreSQL tracker store and a Redis lock store, the gateway on
  PostgreSQL (Debian's servers on loopback, as in tests/test_topology.py).

Prints p50/p95/p99 latency, throughput and errors per level, the memory of every
process, training and cold-start times; writes bench/results/chat_bench.csv and .md
and, with --docs, the plot docs/performance.png and the table in docs/performance.md.

With --compare (what `make bench` runs), the plain `rasa run` and the whole stack run
side by side instead: both started at once on the same model, interleaved rounds of
about 1,000 turns at 16 and 64 concurrent sessions (the order swapped each round, so
that neither always runs on a warmer machine), each conversation from its own loopback
address with the gateway's default rate limits on, then 16 people who read between
turns on the whole stack; it prints the median throughput ratio per level and the
memory of the whole stack (bench/results/compare.md, and docs/performance.md with
--docs).

    .venv/bin/python bench/chat_bench.py [--levels 1 4 16 64] [--turns 320] [--docs]
    .venv/bin/python bench/chat_bench.py --compare [--rounds 5] [--turns 1000] [--docs]
"""

import argparse
import asyncio
import csv
import itertools
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import aiohttp
import httpx
import jwt
import yaml
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.chat.identity import Identity  # noqa: E402
from bot.chat.rasa_client import TOKEN_HEADER, WEBHOOK_PATH  # noqa: E402
from bot.ops.supervisor import NO_RATE_LIMITS, Stack, free_port, throwaway_settings  # noqa: E402
from bot.ops.training import (ONE_MATH_THREAD, RASA_BIN, ensure_model, model_path,  # noqa: E402
                          rasa_env)
from bot.settings import PROJECT_ROOT, Settings  # noqa: E402

RESULTS = PROJECT_ROOT / "bench" / "results"
DOCS = PROJECT_ROOT / "docs" / "performance.md"
PLOT = PROJECT_ROOT / "docs" / "performance.png"
DOCS_START, DOCS_END = "<!-- bench:start -->", "<!-- bench:end -->"
COMPARE_START, COMPARE_END = "<!-- compare:start -->", "<!-- compare:end -->"

BENCH_SITE, BENCH_SECRET = "bench", "bench-secret-not-for-production-0123456789"
LEARNER = "lea.martin@example.org"  # demo learner of the OBF sandbox (4 badges)

# What people type, about 8 turns each: follow-ups, a button, out of scope, typos.
# A conversation with `learner=True` is Léa, identified by the site: badge look-ups.
CONVERSATIONS = [
    (False, ["Bonjour", "c koi un open badge", "Que contient un badge ?", "et ca sert a quoi",
             "Comment obtenir un badge ?", "c'est payant ?", "merci", "au revoir"]),
    (True, ["Bonjour", "mes badges", "/voir_plus_badges", "quel badge je peux avoir ensuite ?",
            "comment je partage mon badge", "et sur linkedin ?", "j'ai pas compris", "merci"]),
    (False, ["salut", "j'ai reçu un mail avec un badge", "Où ranger mes badges ?",
             "comment je le met sur linkedin", "Mettre mes badges dans mon CV",
             "il fait beau aujourd'hui ?", "ok merci bcp", "bye"]),
    (False, ["Que sais-tu faire ?", "comment je partage mon badge", "Comment enrichir un badge ?",
             "C'est quoi un endossement ?", "t'es un robot ?", "mon badge de cantine marche plus",
             "Comment partager un badge ?", "merci"]),
    (False, ["bjr", "comment j'explique les open badges a un jeune", "À quoi sert un badge ?",
             "on peut en avoir gratuitement ?", "xkcd", "Autre chose", "super merci",
             "à bientôt"]),
]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def site_token() -> str:
    exp = datetime.now(timezone.utc) + timedelta(hours=2)
    return jwt.encode({"iss": BENCH_SITE, "email": LEARNER, "name": "Léa", "exp": exp},
                      BENCH_SECRET, algorithm="HS256")


@dataclass
class Target:
    """Where turns go: the gateway's chat API, our Rasa channel, or Rasa's REST channel."""
    name: str
    kind: str  # gateway | channel | rest
    url: str
    token: str = ""
    processes: dict[str, int] = field(default_factory=dict)

    async def turn(self, client: aiohttp.ClientSession, session: dict, text: str,
                   learner: bool) -> bool:
        headers = {}
        if self.kind == "gateway":
            url, body = f"{self.url}/api/chat", {"text": text, "session_id": session.get("id")}
            if learner and "id" not in session:
                body["site_token"] = site_token()
        else:
            session.setdefault("id", str(uuid.uuid4()))
            body = {"sender": session["id"], "message": text}
            url = f"{self.url}/webhooks/rest/webhook"
            if self.kind == "channel":
                identity = Identity("learner", LEARNER, "Léa", f"site:{BENCH_SITE}") \
                    if learner else Identity()
                body["metadata"] = {"identity": identity.metadata()}
                url, headers = self.url + WEBHOOK_PATH, {TOKEN_HEADER: self.token}
        async with client.post(url, json=body, headers=headers) as response:
            if response.status != 200:
                return False
            answer = await response.json()
        if self.kind == "gateway":
            session["id"] = answer["session_id"]
        return bool(answer)


_addresses = itertools.count()
# The simulated people's client is aiohttp: it runs on the same two cores as the systems
# it measures, and httpx's client cost 1.3–2 ms of CPU a turn, aiohttp's a tenth of it.
TIMEOUT = aiohttp.ClientTimeout(total=60)


def own_address() -> str:
    """A loopback address not used before in this run (all of 127.0.0.0/8 is loopback
    on Linux): one person each, as people arrive from their own connection."""
    n = next(_addresses)
    return f"127.{1 + n // 62500 % 254}.{1 + n // 250 % 250}.{1 + n % 250}"


async def play(target: Target, concurrency: int, total_turns: int, think: float = 0.0,
               own_addresses: bool = False) -> dict:
    """`concurrency` people each play conversations one after the other. With `think`
    (seconds, on average), each waits between an answer and the next message, as people
    read and type (uniform between half and one and a half times `think`); without it
    they send at once: the saturation throughput. With `own_addresses`, each conversation
    opens its own connection from its own address; otherwise the people share a pool of
    connections from 127.0.0.1 (then the gateway's rate limits must be off)."""
    rng = random.Random(concurrency)
    latencies: list[float] = []
    errors = 0
    next_conversation = 0
    turns_started = 0

    async def worker(shared: aiohttp.ClientSession):
        nonlocal next_conversation
        while turns_started < total_turns:
            learner, script = CONVERSATIONS[next_conversation % len(CONVERSATIONS)]
            next_conversation += 1
            if not own_addresses:
                await conversation(shared, learner, script)
                continue
            connector = aiohttp.TCPConnector(local_addr=(own_address(), 0))
            async with aiohttp.ClientSession(connector=connector, timeout=TIMEOUT) as client:
                await conversation(client, learner, script)

    async def conversation(client: aiohttp.ClientSession, learner: bool, script: list[str]):
        nonlocal errors, turns_started
        session: dict = {}
        for text in script:
            if turns_started >= total_turns:
                return
            turns_started += 1
            started = time.perf_counter()
            try:
                ok = await target.turn(client, session, text, learner)
            except (aiohttp.ClientError, asyncio.TimeoutError):
                ok = False
            if ok:
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                errors += 1
            if think:
                await asyncio.sleep(rng.uniform(0.5, 1.5) * think)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=TIMEOUT) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {
        "target": target.name, "think_s": think, "concurrency": concurrency, "turns": len(latencies) + errors,
        "errors": errors, "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99),
        "mean_ms": statistics.fmean(latencies) if latencies else float("nan"),
        "throughput_per_s": len(latencies) / elapsed,
    }


def rss_mb(pid: int) -> float:
    try:
        process = psutil.Process(pid)
        return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 2**20
    except psutil.NoSuchProcess:
        return float("nan")


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = psutil.virtual_memory().total / 2**30
    return (f"{psutil.cpu_count()} cores ({cpu}), {memory:.0f} GiB, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}")


# --- the systems under test ----------------------------------------------------------

def start_stack(resources: ExitStack, work: Path, rate_limits: bool = False,
                **overrides) -> tuple[Stack, float]:
    settings = throwaway_settings(work)
    # The processes read their settings from the environment (bot/ops/supervisor.py).
    os.environ["BAGOU_SITE_SECRETS"] = json.dumps({BENCH_SITE: BENCH_SECRET})
    # Unless each conversation comes from its own address (--compare), all simulated
    # people come from one address and play faster than people type: the gateway's
    # rate limits (bot/http/rate_limit.py) are then off for the measurement.
    for name, value in NO_RATE_LIMITS.items():
        if rate_limits:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    for name, value in overrides.items():
        setattr(settings, name, value)
    stack = Stack(settings)
    started = time.perf_counter()
    stack.start()
    resources.callback(stack.stop)
    stack.wait_ready()
    return stack, time.perf_counter() - started


def start_default_rasa(resources: ExitStack, work: Path, actions_url: str,
                       actions_token: str) -> tuple[Target, float]:
    """One plain `rasa run`: Rasa's REST channel, Rasa's in-memory stores, our action
    server (its endpoint only: endpoints.yml also names our tracker store)."""
    import subprocess

    credentials = work / "credentials-rest.yml"
    credentials.write_text("rest:\n")
    endpoints = work / "endpoints-plain.yml"
    endpoints.write_text(yaml.safe_dump({"action_endpoint": yaml.safe_load(
        (PROJECT_ROOT / "endpoints.yml").read_text(encoding="utf-8"))["action_endpoint"]}))
    port = free_port()
    log = (work / "rasa-default.log").open("ab")
    process = subprocess.Popen(
        [str(RASA_BIN), "run", "--model", str(model_path(Settings().model_dir)),
         "--interface", "127.0.0.1", "--port", str(port), "--credentials", str(credentials),
         "--endpoints", str(endpoints)],
        # As a team would first run it: without our one-thread setting of the numeric
        # libraries (bot/ops/training.py), which is one of the ideas measured.
        cwd=PROJECT_ROOT, env={k: v for k, v in rasa_env(BAGOU_ACTIONS_URL=actions_url,
                                                        BAGOU_ACTIONS_TOKEN=actions_token).items()
                               if k not in ONE_MATH_THREAD},
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    resources.callback(lambda: (process.terminate(), process.wait(30)))
    started = time.perf_counter()
    url = f"http://127.0.0.1:{port}"
    while time.perf_counter() - started < 300:
        if process.poll() is not None:
            raise SystemExit(f"rasa run stopped; see {work / 'rasa-default.log'}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(1)
    return Target("rasa run (default)", "rest", url, processes={"rasa": process.pid}), \
        time.perf_counter() - started


def production_services(resources: ExitStack) -> dict:
    """PostgreSQL and Redis on loopback (Debian's servers), as in the topology test."""
    sys.path.insert(0, str(PROJECT_ROOT))
    from tests.helpers.services import postgres_server, redis_server

    postgres = resources.enter_context(postgres_server())
    redis = resources.enter_context(redis_server())
    postgres.create_database("rasa")
    postgres.create_database("bagou")
    return {"rasa_tracker_url": postgres.url("rasa"), "rasa_lock_url": redis.url,
            "database_url": postgres.url("bagou", "postgresql+psycopg")}


# --- reports -------------------------------------------------------------------------

def markdown(rows: list[dict], memory: dict[str, dict[str, float]], cold: dict[str, float],
             training: dict) -> str:
    lines = [f"Machine: {machine()}.", "",
             "| target | think time (s) | concurrent sessions | turns | errors | p50 ms | p95 ms | p99 ms | turns/s |",
             "|---|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r['target']} | {r['think_s']:g} | {r['concurrency']} | {r['turns']} | {r['errors']} | "
              f"{r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {r['p99_ms']:.0f} | "
              f"{r['throughput_per_s']:.1f} |" for r in rows]
    lines += ["", "| target | process | RSS after the run (MB) |", "|---|---|---|"]
    for target, processes in memory.items():
        lines += [f"| {target} | {name} | {value:.0f} |" for name, value in processes.items()]
        lines.append(f"| {target} | **all** | **{sum(processes.values()):.0f}** |")
    lines += ["", "| target | cold start (s): start to ready |", "|---|---|"]
    lines += [f"| {target} | {seconds:.1f} |" for target, seconds in cold.items()]
    lines += ["", f"Training: {training['training_seconds']} s for {training['training_examples']} "
              f"examples, peak RSS {training['training_peak_rss_mb']} MB (last training on this "
              f"machine, `bagou train`)."]
    return "\n".join(lines) + "\n"


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for target in dict.fromkeys(r["target"] for r in rows):
        mine = [r for r in rows if r["target"] == target and not r["think_s"]]
        levels = [r["concurrency"] for r in mine]
        left.plot(levels, [r["throughput_per_s"] for r in mine], marker="o", label=target)
        right.plot(levels, [r["p95_ms"] for r in mine], marker="o", label=target)
    for axis, title in ((left, "Throughput (turns/s)"), (right, "p95 latency (ms)")):
        axis.set_xscale("log", base=2)
        axis.set_xlabel("concurrent sessions")
        axis.set_title(title)
        axis.grid(True, alpha=0.3)
    right.set_yscale("log")
    figure.suptitle("People sending at once (no think time): the saturation of each set-up")
    right.axhline(150, color="grey", linestyle="--", linewidth=1)
    left.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def write_docs(table: str, start: str = DOCS_START, end: str = DOCS_END,
               command: str = "bench/chat_bench.py --docs") -> None:
    text = DOCS.read_text(encoding="utf-8")
    if start not in text:
        raise SystemExit(f"{DOCS} has no {start} … {end} section")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    stamp = f"Measured on {datetime.now():%Y-%m-%d} by `{command}`.\n\n"
    DOCS.write_text(f"{head}{start}\n{stamp}{table}{end}{tail}", encoding="utf-8")


def save_results(name: str, rows: list[dict], table: str) -> None:
    """bench/results/<name>.csv (one row a run) and <name>.md (the tables)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    with (RESULTS / f"{name}.csv").open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    (RESULTS / f"{name}.md").write_text(table, encoding="utf-8")


# --- side by side: a plain `rasa run` against the whole stack ------------------------

def compare_markdown(rows: list[dict], paced: dict, memory: dict[str, float],
                     load: float) -> str:
    levels = sorted({r["concurrency"] for r in rows})
    rounds = max(r["round"] for r in rows)
    lines = [f"Machine: {machine()}; load average (1 min) before the run {load:.2f}.", "",
             "| round | concurrent sessions | target | turns | errors | p50 ms | p95 ms | turns/s |",
             "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r['round']} | {r['concurrency']} | {r['target']} | {r['turns']} | "
              f"{r['errors']} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | "
              f"{r['throughput_per_s']:.1f} |" for r in rows]
    lines += ["", "| concurrent sessions | plain `rasa run` turns/s (median) | whole stack "
              "turns/s (median) | ratio per round | median ratio |", "|---|---|---|---|---|"]
    throughput = {(r["target"], r["concurrency"], r["round"]): r["throughput_per_s"]
                  for r in rows}
    for level in levels:
        plain = [throughput[PLAIN, level, n] for n in range(1, rounds + 1)]
        whole = [throughput[WHOLE, level, n] for n in range(1, rounds + 1)]
        ratios = [w / p for w, p in zip(whole, plain)]
        lines.append(f"| {level} | {statistics.median(plain):.1f} | "
                     f"{statistics.median(whole):.1f} | "
                     f"{', '.join(f'{x:.2f}' for x in ratios)} | "
                     f"**{statistics.median(ratios):.2f}×** |")
    lines += ["", f"People who read between turns (whole stack, {paced['concurrency']} people, "
              f"{paced['think_s']:g} s on average between an answer and the next message, "
              f"{paced['turns']} turns): p50 {paced['p50_ms']:.0f} ms, "
              f"**p95 {paced['p95_ms']:.0f} ms**, p99 {paced['p99_ms']:.0f} ms, "
              f"{paced['errors']} errors.", "",
              "| whole stack process | RSS after the run (MB) |", "|---|---|"]
    lines += [f"| {name} | {value:.0f} |" for name, value in memory.items()]
    lines.append(f"| **all** | **{sum(memory.values()):.0f}** |")
    return "\n".join(lines) + "\n"


PLAIN, WHOLE = "plain rasa run", "whole stack"


def compare(args: argparse.Namespace) -> str:
    """Both systems up at once, measured in turn, in interleaved rounds."""
    rows: list[dict] = []
    load = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="bagou-compare-"))
    with ExitStack() as resources:
        actions = Stack(throwaway_settings(work / "baseline"))
        actions.start("actions")
        resources.callback(actions.stop)
        plain, _ = start_default_rasa(resources, work, actions.settings.effective_actions_url,
                                      actions.actions_token)
        plain.name = PLAIN
        stack, _ = start_stack(resources, work / "stack", rate_limits=True)
        whole = Target(WHOLE, "gateway", f"http://127.0.0.1:{stack.settings.port}",
                       processes=stack.pids())
        for target in (plain, whole):  # warm-up: the first spaCy calls are slow
            asyncio.run(play(target, 4, 64, own_addresses=True))
        for round_ in range(1, args.rounds + 1):
            order = (plain, whole) if round_ % 2 else (whole, plain)
            for level in args.compare_levels:
                for target in order:
                    row = asyncio.run(play(target, level, args.turns, own_addresses=True))
                    rows.append({"round": round_, **row})
                    print(f"round {round_}, {level:>3} sessions, {target.name:<15}: "
                          f"{row['throughput_per_s']:.1f} turns/s, p95 {row['p95_ms']:.0f} ms, "
                          f"{row['errors']} errors", flush=True)
        paced = asyncio.run(play(whole, 16, 16 * 8 * 3, think=args.think, own_addresses=True))
        memory = {name: rss_mb(pid) for name, pid in whole.processes.items()}
    table = compare_markdown(rows, paced, memory, load)
    save_results("compare", rows, table)
    return table


# --- main ----------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", action="store_true",
                        help="a plain rasa run and the whole stack side by side, interleaved")
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 4, 16, 64])
    parser.add_argument("--compare-levels", type=int, nargs="+", default=[16, 64])
    # Five: the machine's speed drifts by a third within minutes, and a median of five
    # rounds moves less with one unlucky round than a median of three.
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (--compare)")
    parser.add_argument("--turns", type=int, help="turns per level and target "
                        "(default 320; 1000 with --compare)")
    parser.add_argument("--think", type=float, default=2.0,
                        help="mean think time (s) of the paced runs (0: none)")
    parser.add_argument("--instances", type=int, default=2,
                        help="Rasa processes of the production topology (0: skip it)")
    parser.add_argument("--train", action="store_true", help="retrain to measure training")
    parser.add_argument("--docs", action="store_true", help="update docs/performance.md and the plot")
    args = parser.parse_args()
    args.turns = args.turns or (1000 if args.compare else 320)

    base = Settings()
    ensure_model(base.model_dir, base.log_dir / "train.log", force=args.train)
    if args.compare:
        table = compare(args)
        print("\n" + table)
        if args.docs:
            write_docs(table, COMPARE_START, COMPARE_END, "make bench")
            print(f"Wrote {DOCS.relative_to(PROJECT_ROOT)}")
        return
    training = json.loads((base.model_dir / "bagou.json").read_text())
    rows, memory, cold = [], {}, {}

    def measure(target: Target, paced: bool = True) -> None:
        asyncio.run(play(target, 2, 24))  # warm-up: the first spaCy calls are slow
        runs = [(level, args.turns, 0.0) for level in args.levels]
        if paced and args.think:
            # Paced people: every one of them plays at least one whole conversation.
            runs += [(level, max(8 * level, 96), args.think) for level in args.levels if level > 1]
        for level, turns, think in runs:
            rows.append(asyncio.run(play(target, level, turns, think)))
            print(f"{target.name:<24} think {think:g} s, {level:>3} sessions: "
                  f"p50 {rows[-1]['p50_ms']:.0f} ms, p95 {rows[-1]['p95_ms']:.0f} ms, "
                  f"{rows[-1]['throughput_per_s']:.1f} turns/s, {rows[-1]['errors']} errors",
                  flush=True)
        memory[target.name] = {name: rss_mb(pid) for name, pid in target.processes.items()}

    # One system at a time: on 2 cores, two running Rasa processes share the CPU.
    work = Path(tempfile.mkdtemp(prefix="bagou-bench-"))
    with ExitStack() as resources:
        # The baseline uses our action server too (custom actions are part of the model).
        actions = Stack(throwaway_settings(work / "baseline"))
        actions.start("actions")
        resources.callback(actions.stop)
        default, cold["rasa run (default)"] = start_default_rasa(
            resources, work, actions.settings.effective_actions_url, actions.actions_token)
        default.processes["actions"] = actions.pids()["actions"]
        measure(default)
    with ExitStack() as resources:
        stack, cold["gateway, 1 Rasa"] = start_stack(resources, work / "one-again")
        pids = stack.pids()
        measure(Target("rasa (our channel)", "channel", stack.settings.rasa_url,
                       stack.settings.rasa_token, {"rasa": pids["rasa"]}), paced=False)
        measure(Target("gateway, 1 Rasa", "gateway", f"http://127.0.0.1:{stack.settings.port}",
                       processes=pids))
    if args.instances > 1:
        with ExitStack() as resources:
            services = production_services(resources)
            stack, seconds = start_stack(resources, work / "production",
                                         rasa_instances=args.instances, **services)
            name = f"gateway, {args.instances} Rasa"
            cold[name] = seconds
            measure(Target(name, "gateway", f"http://127.0.0.1:{stack.settings.port}",
                           processes=stack.pids()))

    table = markdown(rows, memory, cold, training)
    save_results("chat_bench", rows, table)
    print("\n" + table)
    if args.docs:
        plot(rows, PLOT)
        write_docs(f"{table}\n![Throughput and p95 latency](performance.png)\n")
        print(f"Wrote {PLOT.relative_to(PROJECT_ROOT)} and {DOCS.relative_to(PROJECT_ROOT)}")


if __name__ == "__main__":
    main()
