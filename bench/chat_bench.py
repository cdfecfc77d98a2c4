"""Benchmark: realistic conversations through the gateway and straight to Rasa.

Starts its own Bagou (trained model, Rasa, action server, gateway) on free ports with
a throw-away database, plays conversations of about 8 turns (a new session each time)
at several concurrency levels, and prints latency percentiles, throughput, errors,
the memory of each process, training and cold-start times, as a Markdown table.
A CSV of the same rows goes to bench/results/.

    .venv/bin/python bench/chat_bench.py [--levels 1 4 16] [--turns 240]
"""

import argparse
import asyncio
import csv
import json
import platform
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psutil

from bot.rasa_client import TOKEN_HEADER, WEBHOOK_PATH
from bot.settings import PROJECT_ROOT, Settings
from bot.stack import Stack, throwaway_settings
from bot.training import ensure_model

# Each conversation is what one person might type, about 8 turns, with follow-ups,
# a button, an out-of-scope message and typos.
CONVERSATIONS = [
    ["Bonjour", "c koi un open badge", "Que contient un badge ?", "et ca sert a quoi",
     "Comment obtenir un badge ?", "c'est payant ?", "merci", "au revoir"],
    ["salut", "j'ai reçu un mail avec un badge", "Où ranger mes badges ?",
     "comment je le met sur linkedin", "Mettre mes badges dans mon CV",
     "il fait beau aujourd'hui ?", "ok merci bcp", "bye"],
    ["Que sais-tu faire ?", "comment je partage mon badge", "Comment enrichir un badge ?",
     "C'est quoi un endossement ?", "t'es un robot ?", "mon badge de cantine marche plus",
     "Comment partager un badge ?", "merci"],
    ["bjr", "comment j'explique les open badges a un jeune", "À quoi sert un badge ?",
     "on peut en avoir gratuitement ?", "xkcd", "Autre chose", "super merci",
     "à bientôt"],
]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


class Target:
    """Where a turn is sent: the gateway's chat API, or Rasa's channel directly."""

    def __init__(self, name: str, settings: Settings):
        self.name, self.settings = name, settings

    async def turn(self, client: httpx.AsyncClient, session: dict, text: str) -> bool:
        if self.name == "gateway":
            body = {"text": text, "session_id": session.get("id")}
            response = await client.post(f"http://127.0.0.1:{self.settings.port}/api/chat", json=body)
            if response.status_code == 200:
                session["id"] = response.json()["session_id"]
            return response.status_code == 200
        session.setdefault("id", str(uuid.uuid4()))
        response = await client.post(
            self.settings.rasa_url + WEBHOOK_PATH,
            json={"sender": session["id"], "message": text, "metadata": {"identity": {"kind": "anonymous"}}},
            headers={TOKEN_HEADER: self.settings.rasa_token},
        )
        return response.status_code == 200 and bool(response.json())


async def play(target: Target, concurrency: int, total_turns: int) -> dict:
    latencies: list[float] = []
    errors = 0
    next_conversation = 0
    turns_started = 0

    async def worker(client: httpx.AsyncClient):
        nonlocal errors, next_conversation, turns_started
        while turns_started < total_turns:
            script = CONVERSATIONS[next_conversation % len(CONVERSATIONS)]
            next_conversation += 1
            session: dict = {}
            for text in script:
                if turns_started >= total_turns:
                    return
                turns_started += 1
                started = time.perf_counter()
                try:
                    ok = await target.turn(client, session, text)
                except httpx.HTTPError:
                    ok = False
                if ok:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    errors += 1

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {
        "target": target.name, "concurrency": concurrency, "turns": len(latencies) + errors,
        "errors": errors, "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99), "mean_ms": statistics.fmean(latencies) if latencies else float("nan"),
        "throughput_per_s": len(latencies) / elapsed,
    }


def rss_mb(pid: int) -> float:
    process = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 2**20


def machine() -> str:
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    memory = psutil.virtual_memory().total / 2**30
    return f"{psutil.cpu_count()} cores ({cpu}), {memory:.0f} GiB, {platform.system()} {platform.release()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--turns", type=int, default=240, help="turns per level and target")
    parser.add_argument("--train", action="store_true", help="retrain to measure training")
    args = parser.parse_args()

    base = Settings()
    ensure_model(base.model_dir, base.log_dir / "train.log", force=args.train)
    training = json.loads((base.model_dir / "bagou.json").read_text())

    work = Path(tempfile.mkdtemp(prefix="bagou-bench-"))
    settings = throwaway_settings(work)
    stack = Stack(settings)
    started = time.perf_counter()
    stack.start()
    try:
        stack.wait_ready()
        cold_start = time.perf_counter() - started
        rows = []
        for target in (Target("rasa", settings), Target("gateway", settings)):
            asyncio.run(play(target, 1, 16))  # warm-up: first spaCy and TF calls are slow
            for level in args.levels:
                rows.append(asyncio.run(play(target, level, args.turns)))
        memory = {name: rss_mb(pid) for name, pid in stack.pids().items()}
    finally:
        stack.stop()

    results = PROJECT_ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    with (results / "chat_bench.csv").open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    print(f"Machine: {machine()}\n")
    print("| target | concurrent sessions | turns | errors | p50 ms | p95 ms | p99 ms | turns/s |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['target']} | {r['concurrency']} | {r['turns']} | {r['errors']} | "
              f"{r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {r['p99_ms']:.0f} | {r['throughput_per_s']:.1f} |")
    print("\n| process | RSS after the run (MB) |\n|---|---|")
    for name, value in memory.items():
        print(f"| {name} | {value:.0f} |")
    print(f"\nTraining: {training['training_seconds']} s, peak RSS {training['training_peak_rss_mb']} MB "
          f"(last training on this machine). Cold start of the three processes: {cold_start:.1f} s.")


if __name__ == "__main__":
    main()
