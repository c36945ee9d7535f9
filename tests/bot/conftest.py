"""Fixtures the bot's tests share."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from classifier import Classifier, get_classifier
from tests.bot.chat_harness import BotChat, bot_chat
from tests.conftest import World

RESIDENT = 1  # the resident `chat` has placed in a grid


@pytest.fixture(scope="session")
def classifier() -> Classifier:
    """The shipped classifier (its models learned once in the data directory, as `make` leaves it)."""
    return get_classifier(None, "data")


@pytest.fixture
async def chat(engine: Engine, world: World, tmp_path: Path, classifier: Classifier) -> AsyncIterator[BotChat]:
    """The bot in process, with RESIDENT already living in a grid (a module may define its own `chat`)."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        yield chat
