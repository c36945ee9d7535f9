"""Speed and memory benchmark: `python -m classifier.bench [FILE.jsonl]`.

Prints, for the same short chat messages: classify() throughput on one core and its cost relative to
`jieba.lcut` alone; the time a fresh process takes to give its first classification; peak memory.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import warnings
from pathlib import Path

from classifier.cli import machine_summary, run_command
from classifier.learning import load_examples

DEFAULT_MESSAGES = Path(__file__).resolve().parent / "examples.jsonl"
# Run in a fresh process: time to the first classification, then peak memory after classifying
# every message of the file.
FRESH_PROCESS = """
import json, resource, sys, time
t = time.perf_counter()
from classifier import classify
classify("楼道灯坏了好几天了，晚上上下楼很危险")
first = time.perf_counter() - t
for line in open(sys.argv[1], encoding="utf-8"):
    if line.strip():
        classify(json.loads(line)["text"])
print(first, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def short_messages(path: Path, max_chars: int = 60) -> list[str]:
    """The short chat messages of a JSONL file (the `text` field)."""
    return [e["text"] for e in load_examples(path) if len(e["text"]) <= max_chars]


def per_second(functions: list, messages: list[str], rounds: int) -> list[float]:
    """Messages per second of each function, best of `rounds` passes; the functions' passes take
    turns, so that a slower moment of a shared machine does not fall on one of them only."""
    best = [float("inf")] * len(functions)
    for _ in range(rounds):
        for i, function in enumerate(functions):
            start = time.perf_counter()
            for text in messages:
                function(text)
            best[i] = min(best[i], time.perf_counter() - start)
    return [len(messages) / seconds for seconds in best]


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m classifier.bench", description=__doc__)
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT_MESSAGES)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args(argv)

    fresh = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS, str(args.file)], capture_output=True, text=True, check=True
    ).stdout.split()
    first, peak_mb = float(fresh[0]), float(fresh[1])
    messages = short_messages(args.file)

    from classifier import get_classifier

    classifier = get_classifier()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import jieba
    baseline = jieba.Tokenizer()
    baseline.initialize()
    classifier.classify(messages[0])
    jieba_rate, classify_rate = per_second([baseline.lcut, classifier.classify], messages, args.rounds)

    print(f"machine: {machine_summary()}")
    print(
        f"messages: {len(messages)} short chat messages (≤ 60 chars) from {args.file.name}, "
        f"best of {args.rounds} passes each, taking turns, one core"
    )
    print(f"jieba.lcut alone:      {jieba_rate:10,.0f} messages/s  {1e6 / jieba_rate:6.1f} µs each")
    print(
        f"classify():            {classify_rate:10,.0f} messages/s  {1e6 / classify_rate:6.1f} µs each"
        f"   (target ≥ 10,000/s)"
    )
    print(f"cost vs jieba.lcut:    {jieba_rate / classify_rate:10.2f}×   (target ≤ 1.5×)")
    print(f"first classification:  {first:10.2f} s in a fresh process, imports included (target ≤ 1 s)")
    print(
        f"peak memory:           {peak_mb:10.0f} MB in that process after classifying every "
        f"message of the file (target ≤ 150 MB)"
    )
    return 0


if __name__ == "__main__":
    run_command(main)
