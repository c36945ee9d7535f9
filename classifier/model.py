"""The classifier: normalized text → service item, confidence, urgency and kind.

How it decides (see also README, "How the classifier decides"):
1. Every lexicon term (taxonomy.toml keywords and hints) has a weight per item: keyword 3, hint 1,
   divided by the square root of the number of items that list the term (a shared word decides less),
   and a little more for longer terms (they are more specific).
2. Terms are found as jieba words (full mode: every dictionary word in the text, full weight) and,
   for terms jieba does not know as words (learned character pairs), as substrings (slightly less). When little is found, tokens are also looked up by pinyin (homophone typos such
   as 电悌/电梯) and, for longer tokens, by rapidfuzz similarity.
3. Learned weights: words and character pairs of the labelled examples (examples.jsonl) add weight to
   the items they were seen under, more when seen often there and under few items.
4. Item scores add up; the best item wins. Confidence is a logistic function of the best score and its
   margin over the runner-up.
5. Urgent signals (gas, fire, danger, medical, self-harm) are regular expressions over the whole text;
   gas and fire decide the item whatever else is said, self-harm keeps the item the message describes.
6. Messages with no service evidence are not requests: greeting, thanks, status or other.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import re._parser as re_parser  # to read which characters a pattern needs
import unicodedata
import warnings
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from rapidfuzz import fuzz, process

from classifier.normalize import cut_for_scoring, has_cjk, normalize
from classifier.taxonomy import Item, Taxonomy

with warnings.catch_warnings():
    # jieba 0.42 imports pkg_resources when present; its deprecation warning is not ours to fix.
    warnings.simplefilter("ignore", DeprecationWarning)
    warnings.simplefilter("ignore", UserWarning)
    import jieba

KEYWORD_WEIGHT = 3.0
HINT_WEIGHT = 1.0
DICTIONARY_MIN_FREQ = 10  # jieba words rarer than this are left out of its dictionary
TERM_FREQ = 2000  # jieba frequency of lexicon terms: high enough that they come out as one word
LEARNED_WEIGHT = 0.5
LEARNED_MAX_ITEMS = 6  # a feature seen under more items than this says nothing
SHARE_EXPONENT = 0.5  # a term listed under n items counts 1/n**SHARE_EXPONENT for each
CROSS_TOKEN_FACTOR = 0.8  # a substring that jieba split across tokens is weaker evidence
PINYIN_FACTOR = 0.7
FUZZY_FACTOR = 0.6
FUZZY_CUTOFF = 80
# Below this best score the message has too little evidence to be a request on its own.
MIN_REQUEST_SCORE = 1.0
# A best score at least this high is a request even when it also greets, thanks or asks.
STRONG_EVIDENCE = 3.0
# Weak item evidence is still a request unless the message's character pairs say "not a request" with
# log odds above this (learned from the examples' kinds; chosen by 5-fold cross-validation: the
# lowest value that costs no item accuracy).
NON_REQUEST_VETO = 6.0
# The pinyin/fuzzy fallbacks run only when exact evidence is weaker than this.
WEAK_EVIDENCE = 3.0
# Logistic calibration of confidence, set on the tuning data (examples.jsonl) and checked on the held-back
# half by tests/classifier/test_evaluation.py (confident answers ≥ 95 % right, ≥ 60 % coverage).
CALIBRATION = (-2.35, 0.36, 0.55)  # intercept, weight of best score, weight of margin
# Classifications at or above this confidence are "confident" (documented in the README).
CONFIDENT_THRESHOLD = 0.80

NEGATIONS = frozenset("没不无未别唔冇")
NEGATION_WORDS = frozenset({"没有", "并非", "不是", "毫无"})
# Words that make an unmatched message look like a real problem rather than chit-chat.
_PROBLEM_MARKERS = re.compile(
    "坏|漏|堵|吵|臭|脏|乱|投诉|反映|举报|求助|帮忙|帮帮|麻烦|怎么办|咋办|解决|处理|维修|不能|不了|没人管|问题|申请|咨询"
)
# Thanks that report the work done ("电梯修好了谢谢师傅") are thanks however many item words they hold,
# unless something is still or again wrong.
_WORK_DONE = re.compile("(修|弄|搞|处理|解决|办|换|装|清理|疏通|通)(好|完|妥)了|搞定了|已经好了|恢复了|没问题了")
_STILL_WRONG = re.compile("又|还是|还没|还不|仍|但是|可是|不过|再")
_TICKET_NUMBER = re.compile(r"#[a-z]\d{4,5}\b|(?<![a-z0-9])[a-z]\d{4}(?![0-9])")

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Classification:
    """What the classifier understood of one message."""

    text: str  # the normalized text that was classified
    label: str | None  # "category.item", or None (not a request, or a request that fits no item)
    category: str | None
    item: str | None
    confidence: float
    top3: list[tuple[str, float]]
    urgent: bool
    urgent_signals: tuple[str, ...]  # codes of the urgent signals found, e.g. ("gas",)
    hotlines: tuple[str, ...]  # emergency numbers to tell the resident at once
    kind: str  # "request", "greeting", "thanks", "status" or "other"

    @property
    def confident(self) -> bool:
        return self.label is not None and self.confidence >= CONFIDENT_THRESHOLD


def _trimmed_dictionary(cache_dir: Path) -> str:
    """jieba's dictionary without its rarest words (written once to the data directory): a third of the
    memory and start-up time, and the lexicon's own terms are added anyway."""
    trimmed = cache_dir / f"jieba-dict-{DICTIONARY_MIN_FREQ}.txt"
    if not trimmed.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        source = Path(jieba.__file__).with_name("dict.txt")
        partial = trimmed.with_suffix(f".{os.getpid()}.tmp")  # several workers may share the directory
        with source.open(encoding="utf-8") as src, partial.open("w", encoding="utf-8") as dst:
            dst.writelines(line for line in src if int(line.split()[1]) >= DICTIONARY_MIN_FREQ)
        partial.replace(trimmed)
    return str(trimmed)


def load_examples(path: Path) -> list[dict]:
    """Labelled example messages (JSON lines with `text` and `label`)."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _strip_tone(syllable: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", syllable) if not unicodedata.combining(ch))


def required_chars(
    pattern: re.Pattern[str], share: Mapping[str, float] | None = None
) -> frozenset[str] | None:
    """Characters of which every match of `pattern` contains at least one (None: no such set).

    Read from the parsed pattern: a literal requires itself, a sequence the cheapest requirement of
    its parts, an alternation the union of its branches', a repeat of at least once its body's.
    Cheapest: the characters least often seen in messages (`share`: character → share of messages
    holding it), then the fewest; so that 了 or 我 does not wake a pattern that also needs 煤."""
    share = share or {}

    def cost(need: frozenset[str]) -> tuple[float, int]:
        return sum(share.get(ch, 0.0) for ch in need), len(need)

    def of(items: Sequence) -> frozenset[str] | None:
        best = None
        for op, av in items:
            need = of_node(op, av)
            if need is not None and (best is None or cost(need) < cost(best)):
                best = need
        return best

    def of_node(op: object, av: object) -> frozenset[str] | None:
        name = str(op)
        if name == "LITERAL":
            return frozenset(chr(av))
        if name == "IN" and all(str(o) == "LITERAL" for o, _ in av):
            return frozenset(chr(v) for _, v in av)
        if name == "BRANCH":
            branches = [of(branch) for branch in av[1]]
            return None if any(b is None for b in branches) else frozenset().union(*branches)
        if name == "SUBPATTERN":
            return of(av[-1])
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and av[0] >= 1:
            return of(av[2])
        return None

    return of(re_parser.parse(pattern.pattern, pattern.flags))


def _character_share(texts: list[str]) -> dict[str, float]:
    """Character → share of the (normalized) example messages holding it."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(set(text))
    return {ch: n / len(texts) for ch, n in counts.items()}


def _cjk_pairs(text: str) -> set[str]:
    """The pairs of adjacent Chinese characters in a text."""
    return {text[i : i + 2] for i in range(len(text) - 1) if has_cjk(text[i]) and has_cjk(text[i + 1])}


def _pair_log_odds(examples: list[dict], texts: list[str]) -> dict[str, float]:
    """Character pair → log odds that a message holding it is not a request (naive Bayes, add-one),
    learned from the examples' kinds (`texts`: normalized); pairs seen fewer than twice are left out."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    totals = [0, 0]
    for example, text in zip(examples, texts, strict=True):
        side = 0 if (example.get("kind") or "request") == "request" else 1
        totals[side] += 1
        for pair in _cjk_pairs(text):
            counts[pair][side] += 1
    if not all(totals):
        return {}
    return {pair: math.log((c[1] + 1) / (totals[1] + 2)) - math.log((c[0] + 1) / (totals[0] + 2))
            for pair, c in counts.items() if sum(c) >= 2}


class PatternIndex:
    """Named groups of regular expressions, searched only when the text holds one of the characters every
    match of a pattern needs (an exact, automatic pre-filter: the result is what searching all gives)."""

    def __init__(
        self, groups: dict[str, Sequence[re.Pattern[str]]], share: Mapping[str, float] | None = None
    ) -> None:
        self.always: list[tuple[str, re.Pattern[str]]] = []
        self.by_char: dict[str, list[tuple[str, re.Pattern[str]]]] = defaultdict(list)
        for group, patterns in groups.items():
            for pattern in patterns:
                need = required_chars(pattern, share)
                if need is None:
                    self.always.append((group, pattern))
                for char in need or ():
                    self.by_char[char].append((group, pattern))

    def candidates(self, text: str) -> dict[str, set[re.Pattern[str]]]:
        """For each group, the patterns that can match `text`."""
        found: dict[str, set[re.Pattern[str]]] = defaultdict(set)
        for group, pattern in self.always:
            found[group].add(pattern)
        by_char = self.by_char
        for char in set(text):
            for group, pattern in by_char.get(char, ()):
                found[group].add(pattern)
        return found


class Classifier:
    """A classifier over one taxonomy; build it once and call `classify` many times."""

    def __init__(
        self, taxonomy: Taxonomy, cache_dir: Path | None = None, examples: list[dict] | None = None
    ) -> None:
        self.taxonomy = taxonomy
        self.items: list[Item] = list(taxonomy.items.values())
        self.index = {item.label: i for i, item in enumerate(self.items)}
        raw = self._lexicon_weights()
        self.lexicon_terms = frozenset(raw)  # typo look-ups are against the lexicon, not learned pairs
        self.tokenizer = self._build_tokenizer(cache_dir, raw)
        if examples is None and taxonomy.examples is not None:
            examples = load_examples(taxonomy.examples)
        examples = examples or []
        texts = [normalize(example["text"]) for example in examples]
        self._learn(raw, examples, texts)
        self.non_request_odds = _pair_log_odds(examples, texts)
        self.vocab = self._postings(raw)
        lengths: dict[str, set[int]] = defaultdict(set)
        for term in self.vocab:
            lengths[term[:2]].add(len(term))
        # first two characters → the lengths of the terms starting with them
        self.term_lengths = {prefix: tuple(sorted(ls)) for prefix, ls in lengths.items()}
        self.patterns = PatternIndex(
            {f"urgent:{signal.code}": signal.patterns for signal in taxonomy.urgent}
            | {f"kind:{kind}": patterns for kind, patterns in taxonomy.kinds.items()},
            share=_character_share(texts),
        )

    def _lexicon_weights(self) -> dict[str, dict[int, float]]:
        """Term → {item: weight} from the taxonomy's keywords and hints."""
        raw: dict[str, dict[int, float]] = defaultdict(dict)
        for i, item in enumerate(self.items):
            for weight, terms in ((HINT_WEIGHT, item.hints), (KEYWORD_WEIGHT, item.keywords)):
                for term in terms:
                    term = normalize(term)
                    if len(term) >= 2:
                        raw[term][i] = max(raw[term].get(i, 0.0), weight)
        return raw

    def features(self, text: str) -> set[str]:
        """What a message is learned from: its jieba words and its CJK character pairs."""
        words = {t for t in self.tokenizer.lcut(text, HMM=False) if len(t) >= 2 and not t.isspace()}
        return words | _cjk_pairs(text)

    def _learn(self, raw: dict[str, dict[int, float]], examples: list[dict], texts: list[str]) -> None:
        """Add learned weights: a feature seen in examples of few items counts for those items,
        more the more often it was seen there (c/(c+1)) and the fewer items share it (log).
        `texts`: the examples' texts, normalized."""
        counts: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for example, text in zip(examples, texts, strict=True):
            index = self.index.get(example.get("label") or "")
            if index is not None:
                for feature in self.features(text):
                    counts[feature][index] += 1
        n_items = len(self.items)
        for feature, per_item in counts.items():
            if len(per_item) > LEARNED_MAX_ITEMS:
                continue
            spread = math.log(1 + n_items / len(per_item))
            for i, c in per_item.items():
                raw[feature][i] = raw[feature].get(i, 0.0) + LEARNED_WEIGHT * c / (c + 1) * spread

    @staticmethod
    def _postings(raw: dict[str, dict[int, float]]) -> dict[str, list[tuple[int, float]]]:
        vocab: dict[str, list[tuple[int, float]]] = {}
        for term, weights in raw.items():
            share = 1.0 / len(weights) ** SHARE_EXPONENT
            specificity = 1.0 + 0.15 * min(len(term) - 2, 4)
            vocab[term] = [(i, w * share * specificity) for i, w in weights.items()]
        return vocab

    def _build_tokenizer(self, cache_dir: Path | None, raw: dict[str, dict[int, float]]) -> jieba.Tokenizer:
        tokenizer = jieba.Tokenizer(
            _trimmed_dictionary(cache_dir) if cache_dir is not None else jieba.DEFAULT_DICT
        )
        if cache_dir is not None:
            cache_dir.mkdir(parents=True, exist_ok=True)
            tokenizer.tmp_dir = str(cache_dir.resolve())
            tokenizer.cache_file = (
                f"jieba-{DICTIONARY_MIN_FREQ}.cache"  # joined to tmp_dir; one per dictionary
            )
        jieba.setLogLevel(logging.WARNING)
        tokenizer.initialize()
        for term in raw:
            if " " not in term:
                tokenizer.add_word(term, freq=TERM_FREQ)
        return tokenizer

    @cached_property
    def pinyin_index(self) -> dict[str, str]:
        """Pinyin key (toneless syllables) → lexicon term, for terms whose key is unambiguous."""
        keys: dict[str, set[str]] = defaultdict(set)
        for term in self.lexicon_terms:
            if all("\u4e00" <= ch <= "\u9fff" for ch in term):
                keys[self._pinyin_key(term)].add(term)
        return {key: next(iter(terms)) for key, terms in keys.items() if len(terms) == 1 and key}

    @cached_property
    def _pinyin_of(self) -> dict[int, str]:
        from pypinyin.pinyin_dict import pinyin_dict  # imported only when typos need it (0.2 s)

        return {code: _strip_tone(readings.split(",")[0]) for code, readings in pinyin_dict.items()}

    def _pinyin_key(self, text: str) -> str:
        table = self._pinyin_of
        return " ".join(table.get(ord(ch), "?") for ch in text)

    @cached_property
    def fuzzy_choices(self) -> dict[int, list[str]]:
        """Lexicon terms of three or more characters, bucketed by length for rapidfuzz."""
        buckets: dict[int, list[str]] = defaultdict(list)
        for term in self.lexicon_terms:
            if len(term) >= 3:
                buckets[len(term)].append(term)
        return buckets

    def _find_terms(self, text: str) -> tuple[dict[str, float], list[str]]:
        """Lexicon terms in the text with their evidence factor, and the tokens that matched nothing."""
        vocab = self.vocab
        found: dict[str, float] = {}
        unmatched: list[str] = []
        # jieba's full mode: every dictionary word in the text, overlapping ones included, so each
        # lexicon term present is found whatever the best segmentation would have been.
        for token in self.tokenizer.lcut(text, cut_all=True):
            if token in vocab:
                found[token] = 1.0
            elif len(token) >= 3 and has_cjk(token):
                unmatched.append(token)
        term_lengths = self.term_lengths
        for i in range(len(text) - 1):
            for length in term_lengths.get(text[i : i + 2], ()):
                sub = text[i : i + length]
                if len(sub) == length and sub in vocab and sub not in found:
                    found[sub] = CROSS_TOKEN_FACTOR
        return found, unmatched

    def _fallback_terms(self, text: str, unmatched: list[str], found: dict[str, float]) -> None:
        """Homophone typos by pinyin over character windows; longer unknown tokens by rapidfuzz."""
        index = self.pinyin_index
        chars = [ch for ch in text if "\u4e00" <= ch <= "\u9fff"]
        keys = [self._pinyin_of.get(ord(ch), "?") for ch in chars]
        for size in (2, 3, 4):
            for i in range(len(keys) - size + 1):
                term = index.get(" ".join(keys[i : i + size]))
                window = chars[i : i + size]
                # A typo changes one character, so the others must be the term's own.
                if term and term not in found and sum(a != b for a, b in zip(term, window, strict=True)) <= 1:
                    found[term] = PINYIN_FACTOR
        for token in unmatched:
            choices = self.fuzzy_choices.get(len(token))
            if len(token) >= 3 and choices:
                hit = process.extractOne(token, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
                if hit and hit[0] not in found:
                    found[hit[0]] = FUZZY_FACTOR

    def _score(self, found: dict[str, float]) -> dict[int, float]:
        scores: dict[int, float] = defaultdict(float)
        for term, factor in found.items():
            for i, weight in self.vocab[term]:
                scores[i] += weight * factor
        return scores

    def _urgent_signals(self, text: str, candidates: dict[str, set[re.Pattern[str]]]) -> list:
        signals = []
        for signal in self.taxonomy.urgent:
            for pattern in candidates.get(f"urgent:{signal.code}", ()):
                if any(self._affirmed(text, match) for match in pattern.finditer(text)):
                    signals.append(signal)
                    break
        return signals

    @staticmethod
    def _affirmed(text: str, match: re.Match[str]) -> bool:
        """Not negated by 没/不/无/没有… right before it."""
        before = text[max(0, match.start() - 2) : match.start()]
        return not before or (before[-1] not in NEGATIONS and before not in NEGATION_WORDS)

    def _kind(self, text: str, best: float, candidates: dict[str, set[re.Pattern[str]]]) -> str:
        """Whether a message is a request, and if not, which kind of message it is."""

        def matches(kind: str) -> bool:
            return any(pattern.search(text) for pattern in candidates.get(f"kind:{kind}", ()))

        if _TICKET_NUMBER.search(text) or matches("status"):
            return "status"
        if matches("other"):
            return "other"  # adverts, questions about the bot, opinions: never a ticket
        strong = best >= STRONG_EVIDENCE
        done = _WORK_DONE.search(text) and not _STILL_WRONG.search(text)
        if matches("thanks") and (not strong or len(text) <= 12 or done):
            return "thanks"
        if strong:
            return "request"
        if matches("greeting"):
            return "greeting"
        if best >= MIN_REQUEST_SCORE:
            odds = sum(self.non_request_odds.get(p, 0.0) for p in _cjk_pairs(text))
            return "other" if odds > NON_REQUEST_VETO else "request"
        if len(text) >= 10 and has_cjk(text) and _PROBLEM_MARKERS.search(text):
            return "request"  # a real need that fits no item: a coordinator dispatches it
        return "other"

    def evidence(self, text: str) -> tuple[dict[str, float], list[tuple[int, float]]]:
        """The lexicon terms found in normalized text, and item scores best first (for explaining)."""
        text = cut_for_scoring(text)
        found, unmatched = self._find_terms(text)
        scores = self._score(found)
        if max(scores.values(), default=0.0) < WEAK_EVIDENCE and has_cjk(text):
            self._fallback_terms(text, unmatched, found)
            scores = self._score(found)
        return found, sorted(scores.items(), key=lambda kv: kv[1], reverse=True)

    def classify(self, raw_text: str) -> Classification:
        """Classify one message. Never raises on any string input."""
        full = normalize(raw_text if isinstance(raw_text, str) else str(raw_text))
        _, ranked = self.evidence(full)
        candidates = self.patterns.candidates(full)
        signals = self._urgent_signals(full, candidates)
        forced = next((s.label for s in signals if s.label), None)
        s1 = ranked[0][1] if ranked else 0.0
        s2 = ranked[1][1] if len(ranked) > 1 else 0.0
        kind = "request" if signals else self._kind(full, s1, candidates)

        label: str | None = None
        confidence = 0.0
        top3: list[tuple[str, float]] = []
        if kind == "request":
            total = sum(score for _, score in ranked[:3]) or 1.0
            top3 = [(self.items[i].label, round(score / total, 3)) for i, score in ranked[:3]]
            default = next((s.default_label for s in signals if s.default_label), None)
            if forced:
                label, confidence = forced, 0.99
                top3 = [(forced, 1.0), *[(lb, sc) for lb, sc in top3 if lb != forced]][:3]
            elif default and s1 < STRONG_EVIDENCE:  # e.g. signs of self-harm and no clear other need
                label, confidence = default, 0.5
                top3 = [(default, 1.0), *[(lb, sc) for lb, sc in top3 if lb != default]][:3]
            elif s1 >= MIN_REQUEST_SCORE:
                label = self.items[ranked[0][0]].label
                a, b_best, b_margin = CALIBRATION
                confidence = 1.0 / (1.0 + math.exp(-(a + b_best * s1 + b_margin * (s1 - s2))))
        urgent = bool(signals) or (label is not None and self.taxonomy.items[label].time_class == "urgent")
        hotlines = tuple(dict.fromkeys(s.hotline for s in signals))
        if urgent and not hotlines:
            hotlines = tuple(s.hotline for s in self.taxonomy.urgent if s.label == label) or ("110",)
        category, item = label.split(".", 1) if label else (None, None)
        return Classification(
            text=full,
            label=label,
            category=category,
            item=item,
            confidence=round(confidence, 4),
            top3=top3,
            urgent=urgent,
            urgent_signals=tuple(s.code for s in signals),
            hotlines=hotlines,
            kind=kind,
        )
