"""Pure text classification: a resident's message → service item, confidence, urgency, kind.

No database and no Telegram here. `classify(text)` uses the taxonomy named by the TAXONOMY_FILE setting
(default: the shipped `taxonomy.toml`) and keeps jieba's cache and the learned models under DATA_DIR, both read
from the environment or a `.env` file in the working directory, as the bot reads its settings.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from dotenv import dotenv_values

from classifier.model import Classification, Classifier
from classifier.taxonomy import load_taxonomy

__all__ = ["Classification", "Classifier", "classify", "data_dir", "get_classifier", "share_learned"]

# What a Classifier learns into its data directory (learning.cached, model._trimmed_dictionary and jieba's cache): a
# model's name carries a digest of what it was learned from, and jieba checks its cache against the dictionary's time,
# so another data directory may link them instead of learning them again (a cold fit: 49 s on the 26th session's VM).
LEARNED_FILES = (
    "item-model-*.json", "kind-model-*.json", "self-harm-model-*.json", "danger-model-*.json",
    "non-request-model-*.json", "term-counts-*.json", "letter-term-counts-*.json", "pattern-needs-*.json", "pinyin-*.json",
    "jieba-*",
)  # fmt: skip


@cache
def get_classifier(taxonomy_file: str | None = None, data_directory: str | None = None) -> Classifier:
    """The classifier for a taxonomy file, built once per process (in `data_directory`, by default `data_dir()`)."""
    taxonomy_file = taxonomy_file or _configured("TAXONOMY_FILE")
    cache_dir = Path(data_directory).expanduser() if data_directory else data_dir()
    taxonomy = load_taxonomy(str(Path(taxonomy_file).expanduser()) if taxonomy_file else None)  # (as the settings)
    return Classifier(taxonomy, cache_dir=cache_dir)


def data_dir() -> Path:
    """The data directory of the DATA_DIR setting (default ./data): where a classifier keeps jieba's cache and what it
    learns (the cross-validations' classifiers too)."""
    return Path(_configured("DATA_DIR") or "data").expanduser()


def _configured(name: str) -> str | None:
    """A setting from the environment, else from `.env` (the bot's settings, pydantic-settings, read the same file:
    python-dotenv here, for a first classification 0.1 s sooner); empty is unset."""
    return os.environ.get(name) or _dotenv().get(name) or None


@cache
def _dotenv() -> dict[str, str | None]:
    try:
        return dotenv_values(".env", encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}  # (the bot's start says what is wrong with the file)


def classify(text: str) -> Classification:
    """Classify one message with the default classifier."""
    return get_classifier().classify(text)


def share_learned(source: Path, target: Path) -> None:
    """Link what classifiers learned in one data directory into a fresh one (a test's, a load test's workers'), so
    that a classifier there starts without learning: it writes anew only what it learns itself, beside the links."""
    target.mkdir(parents=True, exist_ok=True)
    for pattern in LEARNED_FILES:
        for path in source.resolve().glob(pattern):
            link = target / path.name
            if not link.exists() and not link.is_symlink():
                link.symlink_to(path)

