"""Measured understanding: the topic Bagou gives to messages it never saw in training.

`bagou eval` starts a private Bagou with the trained model, sends every message of
the held-out sets (tests/nlu/heldout*.yml) in a new session through the chat API (so the topic is the one
a person would get), and reports accuracy, F1 per topic, out-of-scope precision and
recall, in-scope questions refused, and the most confused pairs.
"""

import json
import os
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import yaml

from bot.ops.supervisor import NO_RATE_LIMITS, Stack, throwaway_settings
from bot.ops.training import ensure_model
from bot.settings import PROJECT_ROOT, Settings

# heldout.yml (2026-11-21) guided the last data round by its per-topic scores;
# heldout2.yml (2026-11-22) was written later, from the topic descriptions only.
HELDOUT_FILES = sorted((PROJECT_ROOT / "tests" / "nlu").glob("heldout*.yml"))
# Multi-turn scenarios (a follow-up, « c'est quoi ce mot ? », « pas compris » twice …),
# written without the training data, each played in a new session.
CONVERSATION_FILES = sorted((PROJECT_ROOT / "tests" / "nlu").glob("conversations*.yml"))
OUT_OF_SCOPE = "hors_sujet"
# Answers that decline: the message is not answered with a topic's content.
REFUSALS = {"hors_sujet", "incompris"}


@dataclass(frozen=True)
class Outcome:
    text: str
    expected: str
    got: str
    source: str = ""


def load_heldout(path: Path) -> list[tuple[str, str]]:
    topics = yaml.safe_load(path.read_text(encoding="utf-8"))["topics"]
    return [(text, topic) for topic, texts in topics.items() for text in texts]


def ask_all(url: str, cases: list[tuple], workers: int = 2) -> list[Outcome]:
    with httpx.Client(timeout=30) as client:
        def ask(case):
            text, expected, *source = case
            answer = client.post(f"{url}/api/chat", json={"text": text})
            got = answer.json().get("topic") or f"erreur {answer.status_code}"
            return Outcome(text, expected, got, *source)

        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(ask, cases))


def play_conversations(url: str, scenarios: list[dict], workers: int = 2) -> list[dict]:
    """Each scenario in a new session; one result per turn, with the scenario's kind."""
    with httpx.Client(timeout=30) as client:
        def play(scenario):
            session, turns = None, []
            for turn in scenario["turns"]:
                body = {"text": turn["user"], **({"session_id": session} if session else {})}
                answer = client.post(f"{url}/api/chat", json=body).json()
                session = answer.get("session_id") or session
                turns.append({"scenario": scenario.get("name", ""), "kind": scenario.get("kind", ""),
                              "text": turn["user"], "expected": turn["topic"],
                              "got": answer.get("topic") or f"erreur {answer.get('error')}",
                              "first": not turns})
            return turns

        with ThreadPoolExecutor(workers) as pool:
            return [t for turns in pool.map(play, scenarios) for t in turns]


def conversation_report(turns: list[dict]) -> str:
    pct = lambda ok, n: f"{100 * ok / n:.1f} %" if n else "–"  # noqa: E731
    kinds = sorted({t["kind"] for t in turns})
    later = [t for t in turns if not t["first"]]
    ok = lambda ts: sum(t["got"] == t["expected"] for t in ts)  # noqa: E731
    lines = [
        "## Conversations", "",
        f"{len({t['scenario'] for t in turns})} scenarios of 2 to 4 turns "
        "(`tests/nlu/conversations*.yml`), each in a new session through the chat API.", "",
        "| turns | right topic | count |", "|---|---|---|",
        f"| all | {pct(ok(turns), len(turns))} | {len(turns)} |",
        f"| after the first (the ones that need the conversation; target 95 % of all turns) | {pct(ok(later), len(later))} "
        f"| {len(later)} |",
        *[f"| kind `{k}` | {pct(ok([t for t in turns if t['kind'] == k]), sum(t['kind'] == k for t in turns))} "
          f"| {sum(t['kind'] == k for t in turns)} |" for k in kinds if k], "",
        "| scenario | message | expected | got |", "|---|---|---|---|",
        *[f"| {t['scenario']} | {t['text'].replace('|', ' ')} | {t['expected']} | {t['got']} |"
          for t in turns if t["got"] != t["expected"]],
    ]
    return "\n".join(lines) + "\n"


def scores(outcomes: list[Outcome]) -> dict:
    topics = sorted({o.expected for o in outcomes} | {o.got for o in outcomes})
    per_topic = {}
    for topic in topics:
        tp = sum(o.expected == topic and o.got == topic for o in outcomes)
        predicted = sum(o.got == topic for o in outcomes)
        actual = sum(o.expected == topic for o in outcomes)
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_topic[topic] = dict(precision=precision, recall=recall, f1=f1, support=actual)
    in_scope = [o for o in outcomes if o.expected != OUT_OF_SCOPE]
    out_scope = [o for o in outcomes if o.expected == OUT_OF_SCOPE]
    refused_oos = [o for o in outcomes if o.got in REFUSALS]
    return {
        "accuracy": sum(o.got == o.expected for o in outcomes) / len(outcomes),
        "in_scope_accuracy": sum(o.got == o.expected for o in in_scope) / max(1, len(in_scope)),
        "oos_recall": sum(o.got in REFUSALS for o in out_scope) / max(1, len(out_scope)),
        "oos_precision": (sum(o.expected == OUT_OF_SCOPE for o in refused_oos) / len(refused_oos)
                          if refused_oos else 0.0),
        "in_scope_refused": sum(o.got in REFUSALS for o in in_scope) / max(1, len(in_scope)),
        "per_topic": per_topic,
        "confusions": Counter((o.expected, o.got) for o in outcomes if o.got != o.expected),
        "count": len(outcomes), "in_scope": len(in_scope), "out_of_scope": len(out_scope),
    }


def report(by_set: dict[str, dict], outcomes: list[Outcome], training: dict) -> str:
    """by_set: scores per held-out file, and "all" for every message together."""
    pct = lambda x: f"{100 * x:.1f} %"  # noqa: E731
    names = list(by_set)
    result = by_set["all"]
    row = lambda label, key, target: (  # noqa: E731
        f"| {label} | " + " | ".join(pct(by_set[n][key]) for n in names) + f" | {target} |")
    lines = [
        "# NLU report", "",
        f"Made by `make eval` on {date.today().isoformat()}: the trained model, through the chat",
        "API, on the held-out sets of `tests/nlu/` (messages never used in training).",
        "Refused means the answer is `hors_sujet` or `incompris`.", "",
        *[f"- `{n}`: {s['count']} messages, {s['in_scope']} in scope, "
          f"{s['out_of_scope']} out of scope" for n, s in by_set.items() if n != "all"], "",
        "| measure | " + " | ".join(names) + " | target |",
        "|---|" + "---|" * len(names) + "---|",
        row("topic accuracy, all messages", "accuracy", "≥ 96 %"),
        row("topic accuracy, in-scope messages", "in_scope_accuracy", ""),
        row("out-of-scope recall (refused)", "oos_recall", "≥ 95 %"),
        row("out-of-scope precision", "oos_precision", ""),
        row("in-scope messages refused", "in_scope_refused", "≤ 2 %"), "",
        f"Training time (2 cores): {training.get('training_seconds', '?')} s (target < 180 s), "
        f"{training.get('training_examples', '?')} training examples.", "",
        "## Most confused pairs", "", "| expected | got | count |", "|---|---|---|",
        *[f"| {e} | {g} | {n} |" for (e, g), n in result["confusions"].most_common(15)], "",
        "## Per topic", "", "| topic | precision | recall | F1 | messages |", "|---|---|---|---|---|",
        *[f"| {t} | {s['precision']:.2f} | {s['recall']:.2f} | {s['f1']:.2f} | {s['support']} |"
          for t, s in result["per_topic"].items() if s["support"]], "",
        "## Errors", "", "| message | expected | got | set |", "|---|---|---|---|",
        *[f"| {o.text.replace('|', ' ')} | {o.expected} | {o.got} | {o.source} |"
          for o in outcomes if o.got != o.expected],
    ]
    return "\n".join(lines) + "\n"


def evaluate(report_path: Path | None = None) -> dict:
    base = Settings()
    ensure_model(base.model_dir, base.log_dir / "train.log")
    training = json.loads((base.model_dir / "bagou.json").read_text())
    cases = [(text, topic, path.name) for path in HELDOUT_FILES
             for text, topic in load_heldout(path)]
    os.environ.update(NO_RATE_LIMITS)  # the processes read it (bot/ops/supervisor.py)
    settings = throwaway_settings(Path(tempfile.mkdtemp(prefix="bagou-eval-")))
    stack = Stack(settings)
    stack.start()
    try:
        stack.wait_ready()
        started = time.monotonic()
        outcomes = ask_all(f"http://127.0.0.1:{settings.port}", cases)
        scenarios = [c for path in CONVERSATION_FILES
                     for c in yaml.safe_load(path.read_text(encoding="utf-8"))["conversations"]]
        turns = play_conversations(f"http://127.0.0.1:{settings.port}", scenarios)
        elapsed = time.monotonic() - started
    finally:
        stack.stop()
    by_set = {path.name: scores([o for o in outcomes if o.source == path.name])
              for path in HELDOUT_FILES}
    by_set["all"] = result = scores(outcomes)
    text = report(by_set, outcomes, training)
    if turns:
        text += "\n" + conversation_report(turns)
    print(text)
    print(f"{len(cases)} messages in {elapsed:.0f} s.")
    if report_path:
        report_path.write_text(text, encoding="utf-8")
    return result
