"""bot.serving (long polling): an update is confirmed to Telegram (the next getUpdates offset) only after it was handled."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from types import SimpleNamespace
from typing import Any

import pytest
from telegram.error import NetworkError

from bot import serving


class FakeApp:
    """Just what `poll` uses: bot.get_updates, update_processor.process_update, process_update."""

    def __init__(self, batches: list[Any], stop: asyncio.Event) -> None:
        self.batches = batches
        self.stop = stop
        self.log: list[str] = []
        self.bot = SimpleNamespace(get_updates=self.get_updates)
        self.update_processor = SimpleNamespace(process_update=self.run)

    async def get_updates(self, *, offset: int | None, timeout: int, allowed_updates: list[str]) -> Any:
        self.log.append(f"getUpdates offset={offset}")
        if not self.batches and timeout == 0:  # (a confirmation: Telegram answers at once)
            return ()
        if not self.batches:
            self.stop.set()
            await asyncio.sleep(3600)  # a long poll with nothing new
        batch = self.batches.pop(0)
        if isinstance(batch, Exception):
            raise batch
        return tuple(SimpleNamespace(update_id=u) for u in batch)

    async def process_update(self, update: Any) -> None:
        await asyncio.sleep(0.01)
        self.log.append(f"handled {update.update_id}")

    async def run(self, update: Any, coroutine: Awaitable[None]) -> None:
        await coroutine


async def test_a_batch_is_confirmed_only_after_it_was_handled() -> None:
    stop = asyncio.Event()
    app = FakeApp([[7, 8], [9]], stop)
    await asyncio.wait_for(serving.poll(app, stop, ["message"]), timeout=5)  # type: ignore[arg-type]
    assert app.log == [
        "getUpdates offset=None",
        "handled 7",
        "handled 8",
        "getUpdates offset=9",  # confirms 7 and 8, now handled
        "handled 9",
        "getUpdates offset=10",
    ]


async def test_network_failures_are_retried_without_losing_the_offset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serving, "RETRY_FIRST", 0.01)
    stop = asyncio.Event()
    app = FakeApp([[3], NetworkError("unreachable"), NetworkError("unreachable"), [4]], stop)
    await asyncio.wait_for(serving.poll(app, stop, ["message"]), timeout=5)  # type: ignore[arg-type]
    assert [line for line in app.log if line.startswith("getUpdates")] == [
        "getUpdates offset=None", "getUpdates offset=4", "getUpdates offset=4", "getUpdates offset=4",
        "getUpdates offset=5",
    ]
    assert "handled 4" in app.log
