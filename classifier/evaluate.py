"""Evaluate the classifier on a labelled JSONL file: `python -m classifier.evaluate FILE.jsonl`.

Each line: {"text": ..., "label": "category.item" or null, "kind": "request" | "greeting" | "thanks" |
"status" | "other", "urgent": true/false}. `label` may also be a bare category code; `kind` and `urgent`
are optional (a line without `kind` is a request when it has a label). An urgent line may also say
"signal": "self_harm" when it tells signs of self-harm (however indirectly); the self-harm model learns
from such lines of classifier/examples.jsonl, classifier/self_harm_examples.jsonl and
classifier/danger_examples.jsonl (which it always learns from whole: the cross-validations fold the files given;
`--self-harm-cv K classifier/self_harm_examples.jsonl` folds the last two), and `--self-harm-cv` counts them.
classifier/kind_examples.jsonl teaches the kind model (and the danger and non-request models, which learn from
every file) only: `--kind-cv` folds it together with the file given; the other cross-validations learn it whole.
classifier/danger_examples.jsonl (the blind chat tuning sets) teaches the danger and non-request models (which learn
from every file) and the self-harm model only: `--danger-cv K classifier/danger_examples.jsonl` folds it.
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from classifier import Classifier, data_dir, get_classifier
from classifier.cli import run_command
from classifier.learning import (
    DANGER_L2,
    SELF_HARM_L2,
    danger_features,
    learn_danger_weights,
    learn_non_request_weights,
    load_examples,
)
from classifier.model import (
    CHAT_MODEL_MAX_CHARS,
    DANGER_THRESHOLD,
    ITEM_MODEL_MARGIN,
    ITEM_MODEL_WEIGHT,
    SELF_HARM_THRESHOLD,
    SELF_HARM_WINDOW_THRESHOLD,
)
from classifier.normalize import normalize
from classifier.taxonomy import NON_REQUEST_KINDS


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
    non_request_kind_hits: int = 0  # non-requests read as their own kind (a status query as status…)
    urgent_total: int = 0
    urgent_hits: int = 0
    non_urgent_total: int = 0
    false_urgent: int = 0
    # urgent recall per signal (gas, fire, self_harm…), counted by the gold label the signal routes to
    urgent_by_signal: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
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
            "non_request_kind_accuracy": self._rate(self.non_request_kind_hits, self.non_requests),
            "urgent_recall": self._rate(self.urgent_hits, self.urgent_total),
            "false_urgent_rate": self._rate(self.false_urgent, self.non_urgent_total),
        }

    def counted_over(self, figure: str) -> int:
        """How many messages a figure is counted over (none: it says nothing, and is shown as —)."""
        return {
            "item@1": self.labelled_requests, "category@1": self.requests, "item_top3": self.labelled_requests,
            "confident_accuracy": self.confident, "confident_coverage": self.labelled_requests,
            "non_request_accuracy": self.non_requests, "non_request_kind_accuracy": self.non_requests,
            "urgent_recall": self.urgent_total, "false_urgent_rate": self.non_urgent_total,
        }[figure]  # fmt: skip

    def shown(self, figure: str) -> str:
        """A figure as a percentage, or — when it is counted over no message (a set without urgent messages has no
        urgent recall, not one of 0 %)."""
        return f"{self.figures[figure]:.1%}" if self.counted_over(figure) else "—"


def _signal_labels(classifier: Classifier) -> dict[str, str]:
    """Gold label → the urgent signal that routes to it (gas → safety.gas_leak, fire → safety.fire,
    self_harm → health.mental by default), to report recall per signal."""
    labels: dict[str, str] = {}
    for signal in classifier.taxonomy.urgent:
        for label in (signal.label, signal.default_label):
            if label:
                labels.setdefault(label, signal.code)
    return labels


def evaluate(
    records: list[dict], classifier: Classifier | None = None, report: Report | None = None
) -> Report:
    """Classify every record and count hits (added to `report` when one is given)."""
    classifier = classifier or get_classifier()
    report = report or Report()
    signal_of = _signal_labels(classifier)
    for record in records:
        gold = record.get("label")
        kind = record.get("kind") or ("request" if gold else "other")
        result = classifier.classify(record["text"])
        report.total += 1
        if record.get("urgent"):
            report.urgent_total += 1
            report.urgent_hits += result.urgent
            if not result.urgent:
                report.misses.append((record["text"], f"urgent {gold}", "not urgent"))
            code = signal_of.get(gold or "")
            if code:
                report.urgent_by_signal[code][0] += result.urgent
                report.urgent_by_signal[code][1] += 1
        else:
            report.non_urgent_total += 1
            report.false_urgent += result.urgent
            if result.urgent:
                report.misses.append((record["text"], f"not urgent {gold}", f"urgent {result.label}"))
        if kind != "request":
            report.non_requests += 1
            report.non_request_hits += result.kind != "request"
            report.non_request_kind_hits += result.kind == kind
            report.confusion["(non-request)"][result.category or "(non-request)"] += 1
            if result.kind == "request":
                report.misses.append((record["text"], f"({kind})", result.label))
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


def _folds(
    records: list[dict], folds: int, seed: int, learn_from: list[dict] | None = None
) -> Iterator[tuple[list[dict], list[dict]]]:
    """The same K folds for every cross-validation: each fold's held-back records, and what a classifier
    learns from without them (`learn_from`, by default the records themselves)."""
    order = list(range(len(records)))
    random.Random(seed).shuffle(order)
    pool = records if learn_from is None else learn_from
    for fold in range(folds):
        held = [records[i] for i in order[fold::folds]]
        held_texts = {normalize(r["text"]) for r in held}
        yield held, [r for r in pool if normalize(r["text"]) not in held_texts]


def _runs(records: list[dict], folds: int) -> Iterator[tuple[list[dict], list[dict]]]:
    """A file of blind sets cut into `folds` runs in file order (a set seldom split: each run is read by a model
    that never saw its writer): each run, and the records without it (always `folds` of them, empty for a file
    shorter than that)."""
    bounds = [len(records) * fold // folds for fold in range(folds + 1)]
    for start, end in itertools.pairwise(bounds):
        yield records[start:end], records[:start] + records[end:]


def cross_validate(records: list[dict], folds: int, seed: int = 0) -> Report:
    """K-fold estimate: each fold is classified by a classifier that learned from the taxonomy's examples
    without that fold's messages (so evaluating examples.jsonl itself measures unseen messages)."""
    base = get_classifier()
    examples_file = base.taxonomy.examples
    examples = load_examples(examples_file) if examples_file else []
    report = Report()
    for held, learned in _folds(records, folds, seed, learn_from=examples):
        evaluate(held, Classifier(base.taxonomy, cache_dir=data_dir(), examples=learned), report)
    return report


# The item model's settings the sweep of `--item-cv --item-sweep` tries: (weight, lexicon margin below
# which the model is asked); weight 0 is the lexicon alone.
ITEM_SWEEP_WEIGHTS = (0.3, 0.5, 0.7, 1.0, 1.5)
ITEM_SWEEP_MARGINS = (1.0, 2.0, 3.0, 5.0, math.inf)


def item_cross_validation(
    records: list[dict], folds: int, settings: list[tuple[float, float]], seed: int = 0
) -> list[list[Report]]:
    """For each fold, a report per item-model setting (weight, margin): the fold classified by a classifier
    that learned its term weights, kind model and item model without it (the same folds as `--cv`)."""
    base = get_classifier()
    reports = []
    for held, learned in _folds(records, folds, seed):
        classifier = Classifier(base.taxonomy, cache_dir=data_dir(), examples=learned)
        row = []
        for weight, margin in settings:
            classifier.item_model_weight, classifier.item_model_margin = weight, margin
            row.append(evaluate(held, classifier))
        reports.append(row)
    return reports


def merge_reports(reports: list[Report]) -> Report:
    """The counts of several reports added up (the figures an item-model comparison reads)."""
    total = Report()
    for report in reports:
        for name in (
            "total", "requests", "item_hits", "category_hits", "top3_hits", "confident", "confident_hits",
            "labelled_requests", "non_requests", "non_request_hits", "non_request_kind_hits",
        ):  # fmt: skip
            setattr(total, name, getattr(total, name) + getattr(report, name))
    return total


def format_item_row(name: str, report: Report) -> str:
    f = report.figures
    return (
        f"  {name:<38} {f['item@1']:7.1%} {f['category@1']:11.1%} {f['item_top3']:6.1%} "
        f"{f['confident_accuracy']:13.1%} {f['confident_coverage']:9.1%}"
    )


ITEM_HEADER = "  setting                                 item@1  category@1  top-3  confident acc  coverage"


LOST_REQUEST_COST = 2  # for choosing the kind model's settings: a lost request counts as two non-requests


def with_kind_examples(records: list[dict]) -> tuple[list[dict], list[dict]]:
    """`records` and the taxonomy's kind_examples not among them (which the kind cross-validation folds
    together), and those kind examples."""
    kind_file = get_classifier().taxonomy.kind_examples
    given = {normalize(r["text"]) for r in records}
    kind_examples = [r for r in (load_examples(kind_file) if kind_file else []) if normalize(r["text"]) not in given]
    return records + kind_examples, kind_examples


def kind_cross_validation(
    pooled: list[dict], kind_examples: list[dict], folds: int, seed: int = 0
) -> list[tuple[float, float, bool]]:
    """For the messages whose kind the learned model decides (no urgent signal, no pattern decides), the
    out-of-fold (log odds of "not a request", ln(1 + best item score), gold is not a request): each fold
    scored by a classifier that learned its term weights and kind model without it. `pooled` and
    `kind_examples` as `with_kind_examples` gives them: the kind examples among the folded records teach
    the kind model (and the danger and non-request models), not the item model or the term weights."""
    base = get_classifier()
    kind_ids = {id(r) for r in kind_examples}
    points = []
    for held, learned in _folds(pooled, folds, seed):
        classifier = Classifier(
            base.taxonomy,
            cache_dir=data_dir(),
            examples=[r for r in learned if id(r) not in kind_ids],
            kind_examples=[r for r in learned if id(r) in kind_ids],
        )
        for record in held:
            text = normalize(record["text"])
            if not classifier.kind_model_decides(text):
                continue
            _, ranked = classifier.evidence(text)
            best = ranked[0][1] if ranked else 0.0
            gold = record.get("kind") or ("request" if record.get("label") else "other")
            points.append((classifier.kind_model_odds(text), math.log1p(best), gold != "request"))
    return points


def format_kind_sweep(points: list[tuple[float, float, bool]], requests: int, non_requests: int) -> str:
    """Requests lost and non-requests recognized by the kind model for a grid of its two settings
    (not a request when odds − weight · ln(1 + best) > threshold), as shares of all requests and
    non-requests. The best setting maximizes non-requests recognized minus LOST_REQUEST_COST × requests
    lost: a need answered as chit-chat costs more than a chat message the resident is asked to confirm."""
    rows = []
    for weight in (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0):
        for step in range(-14, 9):
            threshold = step / 2
            lost = sum(1 for odds, e, nr in points if not nr and odds - weight * e > threshold)
            caught = sum(1 for odds, e, nr in points if nr and odds - weight * e > threshold)
            rows.append((caught - LOST_REQUEST_COST * lost, weight, threshold, lost, caught))
    best = max(rows, key=lambda row: (row[0], -row[3]))
    lines = ["  evidence weight  threshold  requests lost  non-requests recognized by the model"]
    for row in rows:
        _, weight, threshold, lost, caught = row
        lines.append(
            f"  {weight:15.1f}  {threshold:9.1f}  {lost / requests:13.2%}  {caught / non_requests:11.2%}"
            + ("   <- best" if row is best else "")
        )
    return "\n".join(lines)


# The self-harm model's settings the sweep of `--self-harm-cv` tries: ridge penalties, and log-odds
# thresholds above which a message gets the self_harm signal.
SELF_HARM_SWEEP_L2 = (1e-4, 1e-3, 1e-2)
SELF_HARM_SWEEP_THRESHOLDS = tuple(step / 4 for step in range(-8, 21))
# and the thresholds of its reading of runs of clauses (SELF_HARM_WINDOW_THRESHOLD; inf: no such reading).
SELF_HARM_SWEEP_WINDOW_THRESHOLDS = (1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 2.75, 3.0, 3.5, math.inf)
MAX_MODEL_FALSE_ALARMS = 0.01  # of non-urgent messages marked urgent because of the model


@dataclass(frozen=True)
class SelfHarmPoint:
    """One held-out message of the self-harm cross-validation."""

    self_harm: bool  # gold: signs of self-harm (marked, or urgent and the patterns or default item say so)
    urgent: bool  # gold urgency
    by_patterns: bool  # marked urgent without the model (patterns, urgent items)
    odds: float  # the self-harm model's log odds
    window_odds: float  # its highest log odds over the message's runs of clauses (−inf for a short message)


def self_harm_cross_validation(
    records: list[dict],
    folds: int,
    l2_values: tuple[float, ...] = SELF_HARM_SWEEP_L2,
    seed: int = 0,
    own_file: bool = False,
) -> dict[float, list[SelfHarmPoint]]:
    """For each ridge penalty, the out-of-fold points of every record: each fold classified by a classifier
    that learned its term weights, kind, item and self-harm models without it (the same folds as `--cv`). With
    `own_file`, the records are the model's own file (self_harm_examples) and the blind tuning sets it also learns
    (danger_examples) are read too, each file folded in runs (`_runs`; run i is the i-th run of each), the examples
    learned whole."""
    base = get_classifier()
    default = base.self_harm_signal.default_label if base.self_harm_signal else None
    points: dict[float, list[SelfHarmPoint]] = {l2: [] for l2 in l2_values}
    if own_file:
        blind_file = base.taxonomy.danger_examples
        blind = load_examples(blind_file) if blind_file else []
        runs = (
            (held + blind_held, {"self_harm_examples": learned, "danger_examples": blind_learned})
            for (held, learned), (blind_held, blind_learned) in zip(_runs(records, folds), _runs(blind, folds), strict=True)
        )
    else:
        runs = ((held, {"examples": learned}) for held, learned in _folds(records, folds, seed))
    for held, learned in runs:
        for l2 in l2_values:
            classifier = Classifier(base.taxonomy, cache_dir=data_dir(), self_harm_l2=l2, **learned)
            classifier.self_harm_threshold = classifier.self_harm_window_threshold = math.inf  # the patterns alone
            for record in held:
                text = normalize(record["text"])
                urgent = bool(record.get("urgent"))
                self_harm = record.get("signal") == "self_harm" or (
                    urgent and (record.get("label") == default or classifier.self_harm_pattern_fires(text))
                )
                by_patterns = classifier.classify(text).urgent
                odds, window_odds = classifier.self_harm_odds(text), classifier.self_harm_window_odds(text)
                points[l2].append(SelfHarmPoint(self_harm, urgent, by_patterns, odds, window_odds))
    return points


def _self_harm_rates(
    harm: list[SelfHarmPoint], calm: list[SelfHarmPoint], threshold: float, window: float
) -> tuple[float, float, float]:
    """Self-harm recall, false alarms and those because of the model, the model reading a whole text above
    `threshold` and its windows above `window`."""

    def read(point: SelfHarmPoint) -> bool:
        return point.odds > threshold or point.window_odds > window

    return (
        sum(p.by_patterns or read(p) for p in harm) / len(harm),
        sum(p.by_patterns or read(p) for p in calm) / len(calm),
        sum(not p.by_patterns and read(p) for p in calm) / len(calm),
    )


def _sweep_marks(l2: float, threshold: float, window: float, best: float | None) -> str:
    """A sweep row's marks: the best threshold of its ridge penalty (at the windows' threshold in use), the chosen
    setting."""
    is_best = threshold == best and window == SELF_HARM_WINDOW_THRESHOLD
    chosen = (l2, threshold, window) == (SELF_HARM_L2, SELF_HARM_THRESHOLD, SELF_HARM_WINDOW_THRESHOLD)
    return ("   <- best" if is_best else "") + ("   <- chosen" if chosen else "")


def format_self_harm_sweep(points: dict[float, list[SelfHarmPoint]]) -> str:
    """Per ridge penalty and threshold: self-harm recall and false alarms (non-urgent messages marked
    urgent; in brackets those because of the model), patterns alone first, with the windows' threshold in
    use. The best threshold of each ridge penalty recalls the most self-harm while the model's false alarms
    stay ≤ MAX_MODEL_FALSE_ALARMS (then: fewer of them, then the higher threshold); the ridge penalty is the
    one that reads the model's own file best, folded in runs (see SELF_HARM_THRESHOLD). Then, at the chosen
    ridge's best threshold, the same per threshold of the windows: shown, not chosen (few examples are long
    enough to have windows)."""
    window = f"(windows: log odds > {SELF_HARM_WINDOW_THRESHOLD:g})"
    lines = [f"  setting {window:<26}  self-harm recall  false alarms (by the model)"]

    def line(name: str, rates: tuple[float, float, float], marks: str) -> str:
        return f"  {name:<34}  {rates[0]:16.1%}  {rates[1]:12.2%} ({rates[2]:.2%}){marks}"

    at = None  # (ridge penalty, its signs, its calm messages, threshold, best threshold): where the windows are swept
    for l2, held in points.items():
        harm = [p for p in held if p.self_harm]
        calm = [p for p in held if not p.urgent]
        if not harm or not calm:
            continue
        if at is None:
            recall = sum(p.by_patterns for p in harm) / len(harm)
            alarms = sum(p.by_patterns for p in calm) / len(calm)
            lines.append(f"  {'patterns only':<34}  {recall:16.1%}  {alarms:12.2%}")
        rows = {t: _self_harm_rates(harm, calm, t, SELF_HARM_WINDOW_THRESHOLD) for t in SELF_HARM_SWEEP_THRESHOLDS}
        allowed = [t for t, rates in rows.items() if rates[2] <= MAX_MODEL_FALSE_ALARMS]
        best = max(allowed, key=lambda t: (rows[t][0], -rows[t][2], t)) if allowed else None
        for threshold, rates in rows.items():
            marks = _sweep_marks(l2, threshold, SELF_HARM_WINDOW_THRESHOLD, best)
            lines.append(line(f"l2 {l2:g}, log odds > {threshold:g}", rates, marks))
        if at is None or l2 == SELF_HARM_L2:
            at = (l2, harm, calm, SELF_HARM_THRESHOLD if best is None else best, best)
    if at is None:
        return "  (no signs of self-harm or no calm messages to measure)"
    l2, harm, calm, threshold, best = at
    lines.append(f"  windows, at l2 {l2:g} and log odds > {threshold:g}:")
    for window_threshold in SELF_HARM_SWEEP_WINDOW_THRESHOLDS:
        rates = _self_harm_rates(harm, calm, threshold, window_threshold)
        marks = _sweep_marks(l2, threshold, window_threshold, best)
        lines.append(line(f"window log odds > {window_threshold:g}", rates, marks))
    return "\n".join(lines)


DANGER_SWEEP_L2 = (1e-6, 3e-6, 1e-5, 3e-5)
DANGER_SWEEP_THRESHOLDS = (2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0)


def _examples_besides_the_blind_sets(classifier: Classifier) -> list[dict]:
    """Every example file's records but the blind tuning sets' (danger_examples), which the chat models'
    cross-validations fold in runs."""
    taxonomy = classifier.taxonomy
    return [
        record
        for path in (taxonomy.examples, taxonomy.self_harm_examples, taxonomy.kind_examples)
        if path is not None
        for record in load_examples(path)
    ]


def danger_cross_validation(
    records: list[dict], folds: int, l2_values: tuple[float, ...] = DANGER_SWEEP_L2
) -> list[tuple[float, float, int, int]]:
    """(ridge, threshold, dangers found, false alarms) of the danger model over `records` (the danger examples)
    cut into `folds` runs in file order (a tuning set seldom split): each run read by a model learned from every
    other example file and the other runs. Found: urgent messages the rest of the classifier (patterns, the
    self-harm model, urgent items) misses and the model reads; false alarms: the same for non-urgent ones."""
    base = get_classifier()
    known = base.known_keys()
    others = _examples_besides_the_blind_sets(base)
    weights, base.danger_weights = base.danger_weights, {}  # the rest of the classifier, without the model
    try:
        missed = {id(record) for record in records if not base.classify(record["text"]).urgent}
    finally:
        base.danger_weights = weights
    counts: dict[tuple[float, float], list[int]] = {}
    for held, rest in _runs(records, folds):
        learned = others + rest
        texts = [normalize(record["text"]) for record in learned]
        urgent = [bool(record.get("urgent")) for record in learned]
        for l2 in l2_values:
            model = learn_danger_weights(texts, urgent, known, l2)
            for record in held:
                text = normalize(record["text"])
                if id(record) not in missed or len(text) > CHAT_MODEL_MAX_CHARS:
                    continue
                odds = model[""] + sum(model.get(feature, 0.0) for feature in danger_features(text, known))
                for threshold in DANGER_SWEEP_THRESHOLDS:
                    if odds > threshold:
                        counts.setdefault((l2, threshold), [0, 0])[0 if record.get("urgent") else 1] += 1
    return [(l2, t, *counts.get((l2, t), [0, 0])) for l2 in l2_values for t in DANGER_SWEEP_THRESHOLDS]


def non_request_cross_validation(records: list[dict], folds: int) -> Counter[tuple[str, str]]:
    """(gold kind, kind read) → count, over the messages of `records` (the danger examples) that the rest of the
    classifier reads as "other" talk, the kind the non-request model gives them, each run in file order read by a
    model learned from every other example file and the other runs (as `danger_cross_validation`)."""
    base = get_classifier()
    known = base.known_keys()
    others = _examples_besides_the_blind_sets(base)
    weights, base.non_request_weights = base.non_request_weights, {}  # the rest of the classifier, without the model
    try:
        talk = {id(record) for record in records if base.classify(record["text"]).kind == "other"}
        counts: Counter[tuple[str, str]] = Counter()
        for held, rest in _runs(records, folds):
            base.non_request_weights = learn_non_request_weights(others + rest, known)
            for record in held:
                if id(record) in talk:
                    counts[record.get("kind") or "request", base.non_request_kind(normalize(record["text"]))] += 1
    finally:
        base.non_request_weights = weights
    return counts


def format_non_request_counts(counts: Counter[tuple[str, str]]) -> str:
    """The non-request cross-validation's counts: per gold kind, the kinds read."""
    lines = ["  gold kind    read as"]
    for gold in (*NON_REQUEST_KINDS, "request"):
        read = ", ".join(f"{kind} {n}" for (g, kind), n in counts.most_common() if g == gold)
        lines.append(f"  {gold:<12} {read}")
    return "\n".join(lines)


def format_danger_sweep(rows: list[tuple[float, float, int, int]]) -> str:
    """The danger cross-validation's rows, the chosen setting marked."""
    lines = ["  setting                        dangers found  false alarms"]
    for l2, threshold, found, alarms in rows:
        chosen = "   <- chosen" if (l2, threshold) == (DANGER_L2, DANGER_THRESHOLD) else ""
        lines.append(f"  {f'l2 {l2:g}, log odds > {threshold:g}':<30} {found:13d}  {alarms:12d}{chosen}")
    return "\n".join(lines)


def print_item_cv(path: str, records: list[dict], folds: int, sweep: bool) -> None:
    """Per fold and overall: the lexicon alone vs with the item model at its chosen setting (and, with
    `sweep`, overall figures for a grid of settings)."""
    chosen = (ITEM_MODEL_WEIGHT, ITEM_MODEL_MARGIN)
    settings = [(0.0, 0.0), chosen]
    if sweep:
        settings += [(w, m) for w in ITEM_SWEEP_WEIGHTS for m in ITEM_SWEEP_MARGINS if (w, m) != chosen]
    reports = item_cross_validation(records, folds, settings)
    names = ["lexicon only", f"combined (w {chosen[0]:g}, margin < {chosen[1]:g})"]
    print(f"{path} ({folds}-fold cross-validation of the item model; requests only)")
    print(ITEM_HEADER)
    for fold, row in enumerate(reports):
        for name, report in zip(names, row[:2], strict=True):
            print(format_item_row(f"fold {fold + 1} {name}", report))
    for column, name in enumerate(names):
        print(format_item_row(f"all  {name}", merge_reports([row[column] for row in reports])))
    if sweep:
        print("  sweep (all folds):")
        for column, (weight, margin) in enumerate(settings[2:], start=2):
            name = f"w {weight:g}, margin < {margin:g}"
            print(format_item_row(name, merge_reports([row[column] for row in reports])))


def format_report(report: Report, title: str) -> str:
    """The printed summary: figures, then a per-category confusion summary."""
    f = report.shown
    lines = [
        f"{title}: {report.total} messages ({report.requests} requests, "
        f"{report.non_requests} non-requests, {report.urgent_total} urgent)",
        f"  item@1               {f('item@1')}",
        f"  category@1           {f('category@1')}",
        f"  item in top-3        {f('item_top3')}",
        f"  confident accuracy   {f('confident_accuracy')}  (coverage {f('confident_coverage')} of requests)",
        f"  non-request accuracy {f('non_request_accuracy')}  "
        f"(of their own kind {f('non_request_kind_accuracy')}: greeting, thanks, status, other)",
        f"  urgent recall        {f('urgent_recall')}  (false alarms {f('false_urgent_rate')} of non-urgent)",
    ]
    if report.urgent_by_signal:
        lines.append(
            "  urgent recall by signal (gold item) "
            + ", ".join(
                f"{code} {hits}/{n} {hits / n:.1%}"
                for code, (hits, n) in sorted(report.urgent_by_signal.items())
            )
        )
    lines.append("  per category (gold → predicted, mistakes first):")
    for gold, predicted in sorted(report.confusion.items()):
        n = sum(predicted.values())
        right = predicted.get(gold, 0)
        wrong = ", ".join(f"{p} {c}" for p, c in predicted.most_common() if p != gold)[:90]
        lines.append(f"    {gold:<14} {right:>4}/{n:<4} {right / n:6.1%}  {wrong}")
    return "\n".join(lines)


TABLE_SIGNALS = ("gas", "fire", "self_harm")
TABLE_HEADER = (
    "| set | messages | item@1 | category@1 | item in top 3 | confident accuracy / coverage | non-requests "
    "| urgent recall / false alarms | gas / fire / self-harm |\n|---|---|---|---|---|---|---|---|---|"
)


def format_table_row(name: str, report: Report) -> str:
    """One Markdown table row of a file's figures (README's held-back table: `--table`)."""
    def rate(figure: str) -> str:
        return report.shown(figure).replace("%", " %")

    by_signal = ", ".join(
        "{}/{}".format(*report.urgent_by_signal[code]) if code in report.urgent_by_signal else "—"
        for code in TABLE_SIGNALS
    )
    return " | ".join([
        f"| {name}",
        str(report.total),
        rate("item@1"),
        rate("category@1"),
        rate("item_top3"),
        f"{rate('confident_accuracy')} / {rate('confident_coverage')}",
        rate("non_request_accuracy"),
        f"{rate('urgent_recall')} / {rate('false_urgent_rate')}",
        f"{by_signal} |",
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m classifier.evaluate", description=__doc__)
    parser.add_argument("files", nargs="+", help="labelled JSONL files")
    parser.add_argument(
        "--misses", type=int, default=0, help="print up to N mistakes: items, non-requests taken as requests, urgency"
    )
    parser.add_argument(
        "--cv", type=int, default=0, metavar="K", help="K-fold cross-validation: learn without each fold"
    )
    parser.add_argument(
        "--kind-cv",
        type=int,
        default=0,
        metavar="K",
        help="K-fold cross-validation of the kind model's two settings, request or not (evidence weight, threshold), "
        "the file folded together with the taxonomy's kind_examples",
    )
    parser.add_argument(
        "--item-cv",
        type=int,
        default=0,
        metavar="K",
        help="K-fold cross-validation of the item model: lexicon alone vs lexicon and item model",
    )
    parser.add_argument(
        "--item-sweep",
        action="store_true",
        help="with --item-cv: also a grid of the item model's weight and margin (overall figures)",
    )
    parser.add_argument(
        "--self-harm-cv",
        type=int,
        default=0,
        metavar="K",
        help="K-fold cross-validation of the self-harm model: recall and false alarms, patterns alone vs "
        "patterns and model, per ridge penalty and threshold (given its own file, self_harm_examples, that file and "
        "the blind tuning sets it also learns, danger_examples, are folded in runs in file order, the examples "
        "learned whole)",
    )
    parser.add_argument(
        "--danger-cv",
        type=int,
        default=0,
        metavar="K",
        help="K-fold cross-validation of the danger model over the file (the taxonomy's danger_examples): dangers "
        "the rest of the classifier misses that it finds, and its false alarms, per ridge penalty and threshold",
    )
    parser.add_argument(
        "--non-request-cv",
        type=int,
        default=0,
        metavar="K",
        help="K-fold cross-validation of the non-request model over the file (the taxonomy's danger_examples): the "
        "kinds it reads in the messages the rest of the classifier calls other talk",
    )
    parser.add_argument(
        "--table", action="store_true", help="one Markdown table row of figures per file (README's held-back table)"
    )
    args = parser.parse_args(argv)
    try:
        loaded = {path: load_examples(Path(path)) for path in args.files}  # (a broken file is told before any figure)
    except (OSError, ValueError) as error:
        print(f"python -m classifier.evaluate: {error}", file=sys.stderr)
        return 2
    if args.table:
        print(TABLE_HEADER)
        for path in args.files:
            print(format_table_row(Path(path).stem, evaluate(loaded[path])))
        return 0
    for path, records in loaded.items():
        if args.danger_cv > 1:
            print(f"{path} ({args.danger_cv}-fold cross-validation of the danger model)")
            print(format_danger_sweep(danger_cross_validation(records, args.danger_cv)))
            continue
        if args.non_request_cv > 1:
            print(f"{path} ({args.non_request_cv}-fold cross-validation of the non-request model)")
            print(format_non_request_counts(non_request_cross_validation(records, args.non_request_cv)))
            continue
        if args.self_harm_cv > 1:
            print(f"{path} ({args.self_harm_cv}-fold cross-validation of the self-harm model)")
            own = get_classifier().taxonomy.self_harm_examples
            own_file = own is not None and Path(path).resolve() == own.resolve()
            print(format_self_harm_sweep(self_harm_cross_validation(records, args.self_harm_cv, own_file=own_file)))
            continue
        if args.item_cv > 1:
            print_item_cv(path, records, args.item_cv, args.item_sweep)
            continue
        if args.kind_cv > 1:
            pooled, kind_examples = with_kind_examples(records)
            kinds = [r.get("kind") or ("request" if r.get("label") else "other") for r in pooled]
            points = kind_cross_validation(pooled, kind_examples, args.kind_cv)
            print(f"{path} and the kind examples ({args.kind_cv}-fold cross-validation of the kind model)")
            print(format_kind_sweep(points, kinds.count("request"), len(kinds) - kinds.count("request")))
            continue
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
    run_command(main)
