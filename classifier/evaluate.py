"""Evaluate the classifier on a labelled JSONL file: `python -m classifier.evaluate FILE.jsonl`.

Each line: {"text": ..., "label": "category.item" or null, "kind": "request" | "greeting" | "thanks" |
"status" | "other", "urgent": true/false}. `label` may also be a bare category code; `kind` and `urgent`
are optional (a line without `kind` is a request when it has a label).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from classifier import Classifier, get_classifier
from classifier.normalize import normalize


def load_jsonl(path: str | Path) -> list[dict]:
    """Read a labelled JSONL file (blank lines skipped)."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@dataclass
class Report:
    total: int = 0
    requests: int = 0
    item_hits: int = 0
    category_hits: int = 0
    top3_hits: int = 0
    confident: int = 0
    confident_hits: int = 0
    labelled_requests: int = 0  # requests whose gold label names an item
    non_requests: int = 0
    non_request_hits: int = 0
    urgent_total: int = 0
    urgent_hits: int = 0
    non_urgent_total: int = 0
    false_urgent: int = 0
    confusion: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    misses: list[tuple[str, str, str | None]] = field(default_factory=list)

    @staticmethod
    def _rate(hits: int, total: int) -> float:
        return hits / total if total else 0.0

    @property
    def figures(self) -> dict[str, float]:
        return {
            "item@1": self._rate(self.item_hits, self.labelled_requests),
            "category@1": self._rate(self.category_hits, self.requests),
            "item_top3": self._rate(self.top3_hits, self.labelled_requests),
            "confident_accuracy": self._rate(self.confident_hits, self.confident),
            "confident_coverage": self._rate(self.confident, self.labelled_requests),
            "non_request_accuracy": self._rate(self.non_request_hits, self.non_requests),
            "urgent_recall": self._rate(self.urgent_hits, self.urgent_total),
            "false_urgent_rate": self._rate(self.false_urgent, self.non_urgent_total),
        }


def evaluate(
    records: list[dict], classifier: Classifier | None = None, report: Report | None = None
) -> Report:
    """Classify every record and count hits (added to `report` when one is given)."""
    classifier = classifier or get_classifier()
    report = report or Report()
    for record in records:
        gold = record.get("label")
        kind = record.get("kind") or ("request" if gold else "other")
        result = classifier.classify(record["text"])
        report.total += 1
        if record.get("urgent"):
            report.urgent_total += 1
            report.urgent_hits += result.urgent
        else:
            report.non_urgent_total += 1
            report.false_urgent += result.urgent
        if kind != "request":
            report.non_requests += 1
            report.non_request_hits += result.kind != "request"
            report.confusion["(non-request)"][result.category or "(non-request)"] += 1
            continue
        report.requests += 1
        gold_category = gold.split(".")[0] if gold else None
        predicted_category = result.category or "(none)"
        report.category_hits += predicted_category == gold_category
        report.confusion[gold_category or "(none)"][predicted_category] += 1
        if gold and "." in gold:
            report.labelled_requests += 1
            report.item_hits += result.label == gold
            report.top3_hits += gold in [label for label, _ in result.top3]
            if result.confident:
                report.confident += 1
                report.confident_hits += result.label == gold
            if result.label != gold:
                report.misses.append((record["text"], gold, result.label))
    return report


def cross_validate(records: list[dict], folds: int, seed: int = 0) -> Report:
    """K-fold estimate: each fold is classified by a classifier that learned from the taxonomy's examples
    without that fold's messages (so evaluating examples.jsonl itself measures unseen messages)."""
    base = get_classifier()
    examples_file = base.taxonomy.examples
    examples = load_jsonl(examples_file) if examples_file else []
    order = list(range(len(records)))
    random.Random(seed).shuffle(order)
    cache_dir = Path(os.environ.get("DATA_DIR") or "data")  # the same trimmed dictionary as get_classifier
    report = Report()
    for fold in range(folds):
        held = [records[i] for i in order[fold::folds]]
        held_texts = {normalize(r["text"]) for r in held}
        learned = [e for e in examples if normalize(e["text"]) not in held_texts]
        evaluate(held, Classifier(base.taxonomy, cache_dir=cache_dir, examples=learned), report)
    return report


def format_report(report: Report, title: str) -> str:
    """The printed summary: figures, then a per-category confusion summary."""
    f = report.figures
    lines = [
        f"{title}: {report.total} messages ({report.requests} requests, "
        f"{report.non_requests} non-requests, {report.urgent_total} urgent)",
        f"  item@1               {f['item@1']:.1%}",
        f"  category@1           {f['category@1']:.1%}",
        f"  item in top-3        {f['item_top3']:.1%}",
        f"  confident accuracy   {f['confident_accuracy']:.1%}  "
        f"(coverage {f['confident_coverage']:.1%} of requests)",
        f"  non-request accuracy {f['non_request_accuracy']:.1%}",
        f"  urgent recall        {f['urgent_recall']:.1%}  "
        f"(false alarms {f['false_urgent_rate']:.1%} of non-urgent)",
        "  per category (gold → predicted, mistakes first):",
    ]
    for gold, predicted in sorted(report.confusion.items()):
        n = sum(predicted.values())
        right = predicted.get(gold, 0)
        wrong = ", ".join(f"{p} {c}" for p, c in predicted.most_common() if p != gold)[:90]
        lines.append(f"    {gold:<14} {right:>4}/{n:<4} {right / n:6.1%}  {wrong}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m classifier.evaluate", description=__doc__)
    parser.add_argument("files", nargs="+", help="labelled JSONL files")
    parser.add_argument("--misses", type=int, default=0, help="print up to N misclassified messages")
    parser.add_argument(
        "--cv", type=int, default=0, metavar="K", help="K-fold cross-validation: learn without each fold"
    )
    args = parser.parse_args(argv)
    for path in args.files:
        records = load_jsonl(path)
        if args.cv > 1:
            report = cross_validate(records, args.cv)
            print(format_report(report, f"{path} ({args.cv}-fold cross-validation)"))
        else:
            report = evaluate(records)
            print(format_report(report, str(path)))
        for text, gold, predicted in report.misses[: args.misses]:
            print(f"    MISS {gold} → {predicted}: {text[:80]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
