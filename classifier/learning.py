"""What the classifier learns from its examples: the models' features, their logistic fits (numpy, imported only
when learning), the examples' loading, and the learned weights cached in the data directory (`cached`), keyed by
the examples, the settings and the classifier's source. The thresholds the models are read at are in model.py. (The
term weights, counted with the classifier's jieba tokenizer, are learned in `model.Classifier._learn_term_weights`.)

Imports the standard library, numpy, pyahocorasick, `classifier.normalize`, `classifier.taxonomy` and
`classifier.patterns`: never `classifier.model`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import TypeVar

import ahocorasick

from classifier.normalize import cut_for_scoring, normalize
from classifier.patterns import CJK_RUN
from classifier.taxonomy import NON_REQUEST_KINDS, Kind, Taxonomy

# The kind model's fit (how it is read: KIND_EVIDENCE_WEIGHT and NON_REQUEST_THRESHOLD in model.py).
KIND_L2 = 1e-4  # ridge penalty of the kind model
KIND_STEPS = 200  # full-batch Adam steps
KIND_RATE = 0.1
# Non-requests are 46 % of the examples (with the kind examples), weighed up all the same (1.0 and 1.5 did
# as well in the cross-validation with half of them; 2.0 was chosen when they were one in five).
KIND_NON_REQUEST_WEIGHT = 2.0
# Smaller weights are left out: a third of the model, nearly as accurate in the cross-validation, faster.
KIND_MIN_WEIGHT = 0.1

# The item model's fit, the non-request model's too (how it is read: ITEM_MODEL_WEIGHT in model.py).
ITEM_L2 = 1e-4  # ridge penalty of the item model (the few full-batch steps regularize it more)
ITEM_STEPS = 60  # full-batch Adam steps: as accurate in the cross-validation as 300, five times faster
ITEM_RATE = 0.3
ITEM_MIN_COUNT = 2  # features seen in fewer training messages are left out (they only memorize)
ITEM_MIN_WEIGHT = 0.1  # smaller weights are left out: as accurate in the cross-validation, smaller

# The self-harm model's fit (its ridge chosen with SELF_HARM_THRESHOLD: see model.py).
SELF_HARM_L2 = 1e-4
SELF_HARM_STEPS = 200
SELF_HARM_RATE = 0.1
# Self-harm is one example in twenty: weigh it up. 3 until the examples learned the chat tuning sets (3,222
# messages, nearly all negatives); then 5 keeps the positives' weight: the cross-validation at SELF_HARM_THRESHOLD
# (model.py) recalls 97.8 % with 0.86 % false alarms by the model (97.4 / 0.56 % at 3, which lost 24 signs on the
# held-back self-harm sets; 97.2 / 1.07 % before those examples).
SELF_HARM_POSITIVE_WEIGHT = 5.0
SELF_HARM_MIN_WEIGHT = 0.05  # smaller weights are left out (smaller, as accurate)

# The danger model's fit (its ridge chosen with DANGER_THRESHOLD: see model.py).
DANGER_L2 = 1e-6
DANGER_STEPS = 200
DANGER_RATE = 0.1
DANGER_POSITIVE_WEIGHT = 3.0
DANGER_MIN_WEIGHT = 0.05

# Non-request model: a multinomial logistic regression (with the item model's settings) over the Chinese
# characters and pairs (`item_features`) among the keys the other models have, learned from every file's
# non-requests, the blind tuning sets' too. Talk that the rules and the kind model call "other" it tells apart
# as a status query or thanks in words no pattern lists (人呢？说好的9点: the resident's tickets, not the bot's
# introduction). Out of fold over the blind tuning sets (runs in file order, as `--danger-cv`), of the
# messages read as "other": 500 of 545 status queries and 415 of 503 thanks found, 107 of 5,772 other talk moved.
# Greetings stay "other": answered alike, and a greeting gets no 登记为诉求 button, which a need misread as
# one would lose.
NON_REQUEST_MODEL_KINDS: tuple[Kind, ...] = ("other", "status", "thanks")

log = logging.getLogger(__name__)


def load_examples(path: Path) -> list[dict]:
    """Labelled example messages (JSON lines with `text` and `label`; blank lines skipped, a byte order mark read).
    A line that is not a JSON object with a `text` string is a ValueError that names the file and the line."""
    records = []
    with path.open(encoding="utf-8-sig") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as error:
                raise ValueError(f"{path}, line {number}: not JSON ({error})") from None
            if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                raise ValueError(f"{path}, line {number}: not a JSON object with a 'text' string")
            records.append(record)
    return records


# Examples as a file (read only when a model learns from it: its digest keys the caches) or as a list (given by the
# cross-validations and the tests).
Examples = Path | list[dict]


def examples_in(*sources: Examples) -> list[dict]:
    """The examples of the sources, in order."""
    return [example for source in sources for example in (load_examples(source) if isinstance(source, Path) else source)]


def substring_share(texts: list[str], strings: Iterable[str]) -> dict[str, float]:
    """String → share of the example messages holding it (once normalized): what the strings a pattern needs are
    weighed by (`patterns.pattern_needs`, cached as "pattern-needs")."""
    finder = ahocorasick.Automaton()
    for string in strings:
        finder.add_word(string, string)
    counts: Counter[str] = Counter()
    if len(finder):
        finder.make_automaton()
        for text in texts:
            counts.update({string for _, string in finder.iter(normalize(text))})
    return {string: counts[string] / len(texts) for string in strings} if texts else dict.fromkeys(strings, 0.0)


def cjk_pairs(runs: list[str]) -> set[str]:
    """The pairs of adjacent Chinese characters in runs of them (`CJK_RUN.findall`)."""
    return {run[i : i + 2] for run in runs for i in range(len(run) - 1)}


def item_features(text: str) -> frozenset[str]:
    """What the item model reads of a (cut, normalized) text: its Chinese characters and pairs of adjacent
    Chinese characters. (Characters alone catch what no term lists: 吵 leans to noise, 欠 to debts; in the
    cross-validation the lexicon terms found added nothing to them.)"""
    runs = CJK_RUN.findall(text)
    return frozenset("".join(runs)) | cjk_pairs(runs)


CJK_FEATURE = re.compile("[\u4e00-\u9fff]{1,2}")  # a Chinese feature of `item_features`: a character or a pair


def kind_features(text: str) -> set[str]:
    """What the kind model reads (of the head and tail of a long text): its Chinese characters,
    pairs of Chinese characters, its last character, ? and !. (Not its first character nor its length:
    chit-chat is often short and starts with 我, but so does 我家停水了.)"""
    text = cut_for_scoring(text)
    if not text:
        return set()
    marks = {text[-1] + "$"}
    if "?" in text:
        marks.add("?")
    if "!" in text:
        marks.add("!")
    return marks.union(item_features(text))


def _fit_binary_logistic(
    feature_sets: Sequence[Iterable[str]],
    positive: Sequence[bool],
    *,
    positive_weight: float,
    l2: float,
    steps: int,
    rate: float,
    min_weight: float,
) -> dict[str, float]:
    """Binary logistic regression (ridge, full-batch Adam, deterministic) over sets of string features:
    feature → weight of the positive class (weights under `min_weight` left out), the intercept under "".
    Positives count `positive_weight` times a negative (the rarer class weighed up). Shared by the kind,
    self-harm and danger models."""
    import numpy as np  # only when learning (a cache miss): numpy's import costs 0.1 s at start

    vocab: dict[str, int] = {}
    columns: list[int] = []
    rows: list[int] = []
    for row, features in enumerate(feature_sets):
        for feature in sorted(features):
            columns.append(vocab.setdefault(feature, len(vocab)))
            rows.append(row)
    if not vocab or all(positive) or not any(positive):
        return {}
    col, row_of = np.array(columns), np.array(rows)
    y = np.array(positive, dtype=float)
    sample = np.where(y == 1.0, positive_weight, 1.0)
    sample /= sample.sum()
    params = np.zeros(len(vocab) + 1)  # the weights, then the intercept
    m = np.zeros_like(params)
    v = np.zeros_like(params)
    for step in range(1, steps + 1):
        w, bias = params[:-1], params[-1]
        z = np.bincount(row_of, weights=w[col], minlength=len(feature_sets)) + bias
        g = (1.0 / (1.0 + np.exp(-z)) - y) * sample
        grad = np.append(np.bincount(col, weights=g[row_of], minlength=len(vocab)) + l2 * w, g.sum())
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad * grad
        params -= rate * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    weights = {f: round(float(params[i]), 3) for f, i in vocab.items() if abs(params[i]) >= min_weight}
    weights[""] = round(float(params[-1]), 4)
    return weights


ASCII_WORD = re.compile("[a-z][a-z']+")


def self_harm_features(text: str) -> set[str]:
    """What the self-harm model reads of a (normalized) chat message: `item_features`, and its ASCII
    words and pairs of adjacent words (English and pinyin: "end it all", "bu xiang huo")."""
    words = ASCII_WORD.findall(text)
    if not words:
        return item_features(text)
    return item_features(text).union(words, (f"{a} {b}" for a, b in pairwise(words)))


def _learn_kind_weights(texts: list[str], non_request: list[bool]) -> dict[str, float]:
    """The kind model: feature (`kind_features`) → weight of "not a request"; the intercept under "".
    `texts`: normalized."""
    return _fit_binary_logistic(
        [kind_features(text) for text in texts],
        non_request,
        positive_weight=KIND_NON_REQUEST_WEIGHT,
        l2=KIND_L2,
        steps=KIND_STEPS,
        rate=KIND_RATE,
        min_weight=KIND_MIN_WEIGHT,
    )


def kind_weights(
    sources: Sequence[Examples],
    cache_dir: Path | None,
    fingerprint: str,
    learns_from: Callable[[str], bool],
) -> dict[str, float]:
    """The kind model, learned from the examples with item evidence and no urgent signal (`learns_from`, which
    depends on the taxonomy: `fingerprint`). Read from the data directory when learned before with the same
    examples, taxonomy and settings, else learned (about 0.5 s) and written there."""

    def learn() -> dict[str, float]:
        examples = examples_in(*sources)
        normalized = [normalize(example["text"]) for example in examples]
        chosen = [i for i, text in enumerate(normalized) if learns_from(text)]
        return _learn_kind_weights(
            [normalized[i] for i in chosen], [(examples[i].get("kind") or "request") != "request" for i in chosen]
        )

    settings = [KIND_L2, KIND_STEPS, KIND_RATE, KIND_NON_REQUEST_WEIGHT, KIND_MIN_WEIGHT]
    return cached(cache_dir, "kind-model", [settings, fingerprint, examples_key(*sources)], learn)


def self_harm_weights(
    sources: Sequence[Examples],
    cache_dir: Path | None,
    fingerprint: str,
    pattern_fires: Callable[[str], bool],
    default_label: str | None,
    l2: float = SELF_HARM_L2,
) -> dict[str, float]:
    """The self-harm model: feature (`self_harm_features`) → weight of self-harm; the intercept under "".
    Positives: examples marked "signal": "self_harm", and urgent ones on which the self_harm patterns fire
    (`pattern_fires`, which depends on the taxonomy: `fingerprint`) or that go to the signal's default item.
    `sources`: the examples (files read only when learning: see `examples_key`). Read from the data directory when
    learned before with the same examples, taxonomy and settings, else learned (12 s on the twenty-sixth session's
    slow VM; 4 s without the blind tuning sets) and written there."""

    def learn() -> dict[str, float]:
        every = examples_in(*sources)
        normalized = [normalize(example["text"]) for example in every]
        positive = [
            example.get("signal") == "self_harm"
            or (bool(example.get("urgent")) and (example.get("label") == default_label or pattern_fires(text)))
            for text, example in zip(normalized, every, strict=True)
        ]
        return _fit_binary_logistic(
            [self_harm_features(text) for text in normalized],
            positive,
            positive_weight=SELF_HARM_POSITIVE_WEIGHT,
            l2=l2,
            steps=SELF_HARM_STEPS,
            rate=SELF_HARM_RATE,
            min_weight=SELF_HARM_MIN_WEIGHT,
        )

    settings = [
        l2, SELF_HARM_STEPS, SELF_HARM_RATE, SELF_HARM_POSITIVE_WEIGHT,
        SELF_HARM_MIN_WEIGHT,
    ]  # fmt: skip
    key = [settings, fingerprint, default_label, examples_key(*sources)]
    return cached(cache_dir, "self-harm-model", key, learn)


def danger_features(text: str, known: Collection[str]) -> set[str]:
    """What the danger model reads of a (normalized) chat message: its `self_harm_features` among the `known` keys
    (those the other models and the lexicon already have: the automaton gets no new key, so reading the model
    costs a message one more sum, not more matches), and its Latin words."""
    return {feature for feature in self_harm_features(text) if feature in known or feature.isascii()}


def learn_danger_weights(
    texts: list[str], urgent: list[bool], known: Collection[str], l2: float = DANGER_L2
) -> dict[str, float]:
    """The danger model: feature (`danger_features`) → weight of a danger now; the intercept under "".
    `texts`: normalized."""
    return _fit_binary_logistic(
        [danger_features(text, known) for text in texts],
        urgent,
        positive_weight=DANGER_POSITIVE_WEIGHT,
        l2=l2,
        steps=DANGER_STEPS,
        rate=DANGER_RATE,
        min_weight=DANGER_MIN_WEIGHT,
    )


def danger_weights(
    sources: Sequence[Examples],
    known: Callable[[], Collection[str]],
    fingerprint: str,
    cache_dir: Path | None,
) -> dict[str, float]:
    """The danger model learned from the examples of every source (files read only when learning: see
    `examples_key`), among the `known` keys, which depend on the other models (the taxonomy's `fingerprint` and
    the examples key them). Read from the data directory when learned before (learning takes about 5 s)."""

    def learn() -> dict[str, float]:
        examples = examples_in(*sources)
        return learn_danger_weights(
            [normalize(example["text"]) for example in examples],
            [bool(example.get("urgent")) for example in examples],
            known(),
        )

    settings = [DANGER_L2, DANGER_STEPS, DANGER_RATE, DANGER_POSITIVE_WEIGHT, DANGER_MIN_WEIGHT]
    return cached(cache_dir, "danger-model", [settings, fingerprint, examples_key(*sources)], learn)


def examples_key(*sources: Examples) -> object:
    """What keys a learned model's cache for examples: each file's digest (reading its lines at every start cost a
    tenth of a second), or the examples as written when given as a list (see `cached`)."""
    return [_source_key(source) for source in sources]


def _source_key(source: Examples) -> object:
    if isinstance(source, Path):
        stat = source.stat()
        return _file_digest(source, stat.st_mtime_ns, stat.st_size)
    return [[e["text"], e.get("kind"), e.get("signal"), bool(e.get("urgent")), e.get("label")] for e in source]


@lru_cache(maxsize=8)
def _file_digest(path: Path, mtime_ns: int, size: int) -> str:
    """A file's SHA-256, computed once per version of it (its time and size): three models key their caches by the
    danger examples' digest (the self-harm, danger and non-request models), so a file is hashed once per start."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


# The source of model, of this module, of patterns and of normalize is part of every learned model's cache key: the
# features, fits and rules (which examples the kind model learns from: `Classifier.kind_model_learns_from` and the
# patterns it reads) live there, and a change to any of them must not read a model that an older version learned.
# (Read as files: this module imports no model.)
_SOURCES = ("model.py", "learning.py", "patterns.py", "normalize.py")
_SOURCE_DIGEST = hashlib.sha256(
    b"".join(Path(__file__).with_name(name).read_bytes() for name in _SOURCES)
).hexdigest()


Learned = TypeVar("Learned")  # what `learn` gives: a model's weights, counts, the pattern needs…


def cached(cache_dir: Path | None, name: str, key: list[object], learn: Callable[[], Learned]) -> Learned:
    """A learned model (JSON), read from the data directory when learned before from the same `key`
    (examples and settings) by the same source of the classifier's modules (`_SOURCES`), else learned and written
    there. Keys hold the example files' digests, or the examples as written when given as a list
    (`examples_key`): reading, let alone normalizing, them is done only when learning."""
    if cache_dir is None:
        return learn()
    digest = hashlib.sha256(json.dumps([_SOURCE_DIGEST, key], ensure_ascii=False).encode()).hexdigest()[:16]
    cached = cache_dir / f"{name}-{digest}.json"
    try:
        with cached.open(encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        pass
    weights = learn()
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.tmp")  # several workers may share the directory
        partial.write_text(json.dumps(weights, ensure_ascii=False), encoding="utf-8")
        partial.replace(cached)
    except OSError as exc:  # a read-only data directory costs only the learning at each start
        log.warning("%s not cached: %s", name, exc)
    return weights


def _learn_item_weights(texts: list[str], labels: list[int], n_items: int) -> dict[str, dict[str, float]]:
    """The item model over `item_features` (see `_fit_multinomial`). `texts`: normalized."""
    return _fit_multinomial([sorted(item_features(cut_for_scoring(text))) for text in texts], labels, n_items)


def _fit_multinomial(feature_sets: list[list[str]], labels: list[int], n_classes: int) -> dict[str, dict[str, float]]:
    """Multinomial logistic regression (ridge, full-batch Adam, deterministic, the ITEM_ settings) over sorted
    feature lists: feature → {class index (as a string, for JSON): weight}; the intercepts under "". Shared by the
    item and non-request models."""
    import numpy as np  # only when learning (a cache miss): numpy's import costs 0.1 s at start

    seen = Counter(f for features in feature_sets for f in features)
    vocab: dict[str, int] = {}
    rows: list[int] = []
    columns: list[int] = []
    for row, features in enumerate(feature_sets):
        for feature in features:
            if seen[feature] >= ITEM_MIN_COUNT:
                rows.append(row)
                columns.append(vocab.setdefault(feature, len(vocab)))
    if not vocab:
        return {}
    row_of, col = np.array(rows), np.array(columns)
    # Sums over a message's features and over a feature's messages, by `reduceat` over runs (no scipy):
    # rows are already in runs; the columns are sorted into runs once.
    row_starts = np.flatnonzero(np.diff(row_of, prepend=-1))
    present_rows = row_of[row_starts]
    by_column = np.argsort(col, kind="stable")
    columns_present, column_starts = np.unique(col[by_column], return_index=True)
    rows_by_column = row_of[by_column]
    n = len(feature_sets)
    target = np.zeros((n, n_classes), dtype=np.float32)
    target[np.arange(n), labels] = 1.0
    weights = np.zeros((len(vocab), n_classes), dtype=np.float32)
    bias = np.zeros(n_classes, dtype=np.float32)
    moments = [[np.zeros_like(p), np.zeros_like(p)] for p in (weights, bias)]
    for step in range(1, ITEM_STEPS + 1):
        z = np.broadcast_to(bias, (n, n_classes)).copy()
        z[present_rows] += np.add.reduceat(weights[col], row_starts)
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        g = (p / p.sum(axis=1, keepdims=True) - target) / n
        grad_weights = ITEM_L2 * weights
        grad_weights[columns_present] += np.add.reduceat(g[rows_by_column], column_starts)
        for param, grad, (m, v) in ((weights, grad_weights, moments[0]), (bias, g.sum(axis=0), moments[1])):
            m *= 0.9
            m += 0.1 * grad
            v *= 0.999
            v += 0.001 * grad * grad
            param -= ITEM_RATE * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    model: dict[str, dict[str, float]] = {"": {str(i): round(float(b), 3) for i, b in enumerate(bias)}}
    for feature, index in vocab.items():
        kept = {str(i): round(float(w), 3) for i, w in enumerate(weights[index]) if abs(w) >= ITEM_MIN_WEIGHT}
        if kept:
            model[feature] = kept
    return model


def item_weights(examples: Examples, items: list[str], cache_dir: Path | None) -> dict[str, tuple[float, ...]]:
    """The item model, learned from the requests among the examples labelled with an item (`items`: the taxonomy's
    labels, in index order): feature → its weight for each item (the intercepts under ""). Read from the data
    directory when learned before with the same examples, items and settings, else learned (about 2 s) and
    written there."""
    index = {label: i for i, label in enumerate(items)}

    def learn() -> dict:
        chosen = [
            e for e in examples_in(examples) if (e.get("kind") or "request") == "request" and e.get("label") in index
        ]
        normalized = [normalize(e["text"]) for e in chosen]
        return _learn_item_weights(normalized, [index[e["label"]] for e in chosen], len(items))

    settings = [ITEM_L2, ITEM_STEPS, ITEM_RATE, ITEM_MIN_COUNT, ITEM_MIN_WEIGHT]
    key = [settings, items, examples_key(examples)]
    return _dense_rows(cached(cache_dir, "item-model", key, learn), len(items))


def _dense_rows(stored: dict[str, dict[str, float]], n_classes: int) -> dict[str, tuple[float, ...]]:
    """A multinomial model as stored (feature → {class index: weight}) in dense rows, a weight for every class:
    picking a few classes' weights from a tuple is faster than looking each up in a dict."""
    zeros = [0.0] * n_classes
    dense: dict[str, tuple[float, ...]] = {"": tuple(zeros)}
    for feature, row in stored.items():
        weights = zeros.copy()
        for i, w in row.items():
            weights[int(i)] = w
        dense[feature] = tuple(weights)
    return dense


def learn_non_request_weights(examples: list[dict], known: Collection[str]) -> dict[str, tuple[float, ...]]:
    """The non-request model: which kind of non-request (NON_REQUEST_MODEL_KINDS) a message is, learned from the
    non-requests among `examples` (as written) over their `item_features` among the `known` keys (as the danger
    model: no new key). Feature → a weight per kind; the intercepts under ""."""
    talk = _non_requests(examples)
    return _dense_rows(
        _fit_multinomial(
            [sorted(f for f in item_features(cut_for_scoring(normalize(e["text"]))) if f in known) for e in talk],
            [_model_kind_index(example["kind"]) for example in talk],
            len(NON_REQUEST_MODEL_KINDS),
        ),
        len(NON_REQUEST_MODEL_KINDS),
    )


def _non_requests(examples: list[dict]) -> list[dict]:
    """The greetings, thanks, status queries and other talk among examples."""
    return [example for example in examples if example.get("kind") in NON_REQUEST_KINDS]


def non_request_weights(
    sources: Sequence[Examples],
    known: Callable[[], Collection[str]],
    fingerprint: str,
    cache_dir: Path | None,
) -> dict[str, tuple[float, ...]]:
    """The non-request model learned from the non-requests of every source (files read only when learning: see
    `examples_key`), among the `known` keys, which depend on the other models (the taxonomy's `fingerprint` and the
    examples key them). Read from the data directory when learned before."""
    settings = [ITEM_L2, ITEM_STEPS, ITEM_RATE, ITEM_MIN_COUNT, ITEM_MIN_WEIGHT, NON_REQUEST_MODEL_KINDS]
    key = [settings, fingerprint, examples_key(*sources)]
    stored = cached(
        cache_dir, "non-request-model", key, lambda: learn_non_request_weights(examples_in(*sources), known())
    )
    return {feature: tuple(row) for feature, row in stored.items()}  # (JSON keeps them as lists)


def _model_kind_index(kind: str) -> int:
    """A non-request's class in the non-request model (a greeting is "other": see NON_REQUEST_MODEL_KINDS)."""
    return NON_REQUEST_MODEL_KINDS.index(kind) if kind in NON_REQUEST_MODEL_KINDS else 0


def taxonomy_fingerprint(taxonomy: Taxonomy) -> str:
    """What of a taxonomy decides which examples the kind model learns from: terms and patterns."""
    return json.dumps(
        [
            [[i.label, i.time_class, i.keywords, i.hints] for i in taxonomy.items.values()],
            [[s.code, [p.pattern for p in s.patterns]] for s in taxonomy.urgent],
            {kind: [p.pattern for p in patterns] for kind, patterns in sorted(taxonomy.kinds.items())},
        ],
        ensure_ascii=False,
    )
