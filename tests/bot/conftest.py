"""Fixtures the bot's tests share."""

from __future__ import annotations

import pytest

from classifier import Classifier, get_classifier


@pytest.fixture(scope="session")
def classifier() -> Classifier:
    """The shipped classifier (its models learned once in the data directory, as `make` leaves it)."""
    return get_classifier(None, "data")
