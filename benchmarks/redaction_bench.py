"""Latency of `redact` on 500-character customer-service messages, beside the bare regex pass, in one run.

The bare pass runs the engine's own compiled candidate patterns (`finditer` over the raw text) with no width
folding, validation, context rules or overlap resolution: it is the floor the engine's extra work is
measured against. Messages are built from the labelled evaluation set (English, Chinese and code-mixed),
joined and cut to exactly 500 characters, so each carries a few PII values and several hard negatives.

    .venv/bin/python benchmarks/redaction_bench.py [--runs 5000] [--seed 7]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

from services.vault.redaction import redact
from services.vault.redaction_detectors import CANDIDATE_PATTERNS

CASES = Path(__file__).resolve().parents[1] / "tests" / "vault" / "data" / "redaction_cases.jsonl"
MESSAGE_CHARS = 500
MESSAGES = 200
TARGET_P99_MS = 5.0


def build_messages(seed: int) -> list[str]:
    """`MESSAGES` texts of exactly `MESSAGE_CHARS` code points, each a shuffled mix of evaluation cases."""
    texts = [json.loads(line)["text"] for line in CASES.read_text(encoding="utf-8").splitlines()]
    rng = random.Random(seed)
    messages = []
    for _ in range(MESSAGES):
        parts: list[str] = []
        while sum(len(part) + 1 for part in parts) < MESSAGE_CHARS:
            parts.append(rng.choice(texts))
        messages.append(" ".join(parts)[:MESSAGE_CHARS])
    return messages


def bare_regex_pass(text: str) -> int:
    found = 0
    for pattern in CANDIDATE_PATTERNS:
        for _ in pattern.finditer(text):
            found += 1
    return found


def percentile_ms(samples_ns: list[int], fraction: float) -> float:
    ordered = sorted(samples_ns)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5000, help="timed calls of each (at least 2000)")
    parser.add_argument("--seed", type=int, default=7, help="seed for building the messages")
    args = parser.parse_args(argv)
    if args.runs < 2000:
        parser.error("--runs must be at least 2000")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target is stated

    messages = build_messages(args.seed)
    values = [len(redact(message).spans) for message in messages]
    for message in messages:  # warm caches and the regex engine
        redact(message)
        bare_regex_pass(message)

    redact_ns: list[int] = []
    bare_ns: list[int] = []
    gc.collect()
    for index in range(args.runs):
        message = messages[index % len(messages)]
        started = time.perf_counter_ns()
        redact(message)
        middle = time.perf_counter_ns()
        bare_regex_pass(message)
        bare_ns.append(time.perf_counter_ns() - middle)
        redact_ns.append(middle - started)

    rows = {
        "redact": (percentile_ms(redact_ns, 0.50), percentile_ms(redact_ns, 0.99)),
        "bare regex pass": (percentile_ms(bare_ns, 0.50), percentile_ms(bare_ns, 0.99)),
    }
    print(
        f"{len(messages)} messages of {MESSAGE_CHARS} chars, {statistics.mean(values):.1f} PII values each on average, "
        f"{args.runs} timed runs, {len(CANDIDATE_PATTERNS)} patterns, Python {sys.version.split()[0]}"
    )
    print(f"{'':18}{'p50 ms':>10}{'p99 ms':>10}")
    for name, (p50, p99) in rows.items():
        print(f"{name:18}{p50:10.3f}{p99:10.3f}")
    (r50, r99), (b50, b99) = rows["redact"], rows["bare regex pass"]
    print(f"{'ratio':18}{r50 / b50:9.2f}x{r99 / b99:9.2f}x")
    verdict = "met" if r99 <= TARGET_P99_MS else "MISSED"
    print(f"target: redact p99 <= {TARGET_P99_MS} ms: {verdict}")
    return 0 if r99 <= TARGET_P99_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
