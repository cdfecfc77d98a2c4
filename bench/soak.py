"""Soak: a bounded load on the whole stack, watching errors and memory.

Starts Bagou as `make run` does (throw-away database, free ports), then plays the
benchmark's conversations (bench/chat_bench.py) with 16 people who read and type
(1 to 3 s between messages) for 10 minutes, through the gateway. Samples the memory
(RSS) of every process every 10 s. Prints errors, latency, and the memory growth of
each process between the first and the last minute (after a one-minute warm-up).

    .venv/bin/python bench/soak.py [--minutes 10] [--sessions 16] [--think 2]
"""

import argparse
import asyncio
import json
import os
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chat_bench import (BENCH_SECRET, BENCH_SITE, CONVERSATIONS, Target,  # noqa: E402
                        machine, percentile, rss_mb, start_stack)
import httpx  # noqa: E402


async def load(target: Target, sessions: int, think: float, seconds: float) -> dict:
    latencies, errors = [], []
    deadline = time.monotonic() + seconds

    async def person(client: httpx.AsyncClient, number: int):
        import random
        rng = random.Random(number)
        conversation = number
        while time.monotonic() < deadline:
            learner, script = CONVERSATIONS[conversation % len(CONVERSATIONS)]
            conversation += 1
            session: dict = {}
            for text in script:
                if time.monotonic() >= deadline:
                    return
                started = time.perf_counter()
                try:
                    ok = await target.turn(client, session, text, learner)
                except httpx.HTTPError as error:
                    ok, text = False, f"{text} ({type(error).__name__})"
                if ok:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    errors.append(text)
                await asyncio.sleep(rng.uniform(0.5, 1.5) * think)

    async with httpx.AsyncClient(timeout=60) as client:
        await asyncio.gather(*(person(client, n) for n in range(sessions)))
    return {"turns": len(latencies) + len(errors), "errors": errors,
            "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95),
            "p99_ms": percentile(latencies, 99), "turns_per_s": len(latencies) / seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--sessions", type=int, default=16)
    parser.add_argument("--think", type=float, default=2.0)
    args = parser.parse_args()
    os.environ["BAGOU_SITE_SECRETS"] = json.dumps({BENCH_SITE: BENCH_SECRET})

    with ExitStack() as resources:
        stack, _ = start_stack(resources, Path(tempfile.mkdtemp(prefix="bagou-soak-")))
        pids = stack.pids()
        samples: list[tuple[float, dict[str, float]]] = []
        stop = threading.Event()

        def sample():
            started = time.monotonic()
            while not stop.is_set():
                samples.append((time.monotonic() - started,
                                {name: rss_mb(pid) for name, pid in pids.items()}))
                stop.wait(10)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        target = Target("gateway", "gateway", f"http://127.0.0.1:{stack.settings.port}")
        result = asyncio.run(load(target, args.sessions, args.think, args.minutes * 60))
        stop.set()
        sampler.join()
        crashed = stack.dead()

    def mean_rss(start: float, end: float) -> dict[str, float]:
        window = [rss for t, rss in samples if start <= t < end]
        return {name: sum(r[name] for r in window) / len(window) for name in pids}

    total = args.minutes * 60
    first, last = mean_rss(60, 120), mean_rss(total - 60, total + 10)
    print(f"Machine: {machine()}.\n")
    print(f"Soak: {args.sessions} people, {args.think:g} s between messages on average, "
          f"{args.minutes:g} minutes, through the gateway (`make run` stack).\n")
    print("| turns | errors | p50 ms | p95 ms | p99 ms | turns/s | a process died |")
    print("|---|---|---|---|---|---|---|")
    print(f"| {result['turns']} | {len(result['errors'])} | {result['p50_ms']:.0f} | "
          f"{result['p95_ms']:.0f} | {result['p99_ms']:.0f} | {result['turns_per_s']:.1f} | "
          f"{crashed or 'no'} |\n")
    print("| process | RSS minute 2 (MB) | RSS last minute (MB) | growth |")
    print("|---|---|---|---|")
    for name in pids:
        growth = (last[name] - first[name]) / first[name] * 100
        print(f"| {name} | {first[name]:.0f} | {last[name]:.0f} | {growth:+.1f} % |")
    if result["errors"]:
        print("\nErrors:", ", ".join(result["errors"][:20]))


if __name__ == "__main__":
    main()
