"""Fuzz the runtime client with server answers: N answers (default 5,000), each one operation
(create, poll, list, upload policy, cancel, download) and the replies to its requests, drawn
by the hypothesis strategies in tests/runtime/server_answers.py. Prints how each ended: every
answer must end in a result or a typed RenderError (a traceback is counted and shown), and no
outcome may carry the key. Exit 1 if any did.

    .venv/bin/python benchmarks/fuzz_server.py [--answers N] [--seed S]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "runtime"))

from hypothesis import HealthCheck, given, seed, settings
from server_answers import KEY, Reply, answers, play


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    outcomes: Counter[tuple[str, str]] = Counter()
    crashes: list[str] = []
    leaks: list[str] = []
    seconds: list[tuple[float, str, str]] = []

    @seed(args.seed)
    @settings(max_examples=args.answers, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(answer=answers())
    def one(answer: tuple[str, list[Reply]]) -> None:
        operation, replies = answer
        try:
            played = play(operation, replies)
        except Exception:  # the very thing counted: an answer that escaped as a traceback
            crashes.append(f"{operation} {replies!r}\n{traceback.format_exc()}")
            outcomes[(operation, "TRACEBACK")] += 1
            return
        outcomes[(operation, played.outcome)] += 1
        seconds.append((played.seconds, operation, played.outcome))
        if KEY in played.text:
            leaks.append(f"{operation}: {played.text[:200]}")

    started = time.perf_counter()
    one()
    wall = time.perf_counter() - started
    total = sum(outcomes.values())
    by_op: dict[str, Counter[str]] = {}
    for (op, outcome), n in outcomes.items():
        by_op.setdefault(op, Counter())[outcome] = n
    print(f"answers: {total} in {wall:.1f} s ({total / wall:.0f}/s), seed {args.seed}")
    print(f"tracebacks: {len(crashes)}   key leaks: {len(leaks)}")
    times = sorted(s for s, _, _ in seconds)
    if times:
        slowest = max(seconds)
        print(f"per answer: median {statistics.median(times) * 1000:.1f} ms, "
              f"p99 {times[int(len(times) * 0.99) - 1] * 1000:.0f} ms, "
              f"max {slowest[0] * 1000:.0f} ms ({slowest[1]} → {slowest[2]})")  # fmt: skip
    for op in sorted(by_op):
        results = ", ".join(f"{k} {v}" for k, v in by_op[op].most_common())
        print(f"  {op:9} {sum(by_op[op].values()):5}  {results}")
    for text in (crashes + leaks)[:5]:
        print("\n" + text)
    raise SystemExit(1 if crashes or leaks else 0)


if __name__ == "__main__":
    main()
