"""Fixtures for end-to-end tests against the Telegram Bot API emulator (see harness.py).

* ``emulator`` (session): the running emulator (``.base_url`` = TELEGRAM_BASE_URL,
  ``.new_token()``, ``.client(token)``). Skipped when node or tests/emulator/node_modules is
  missing, except under CI=true, where that is an error.
* ``emulator_client`` (function): an EmulatorClient with a fresh bot token, closed afterwards.
* ``bot_runner`` (function): ``bot_runner(env, **start_bot_kwargs) -> BotProcess``; each bot gets
  DATA_DIR under the test's tmp_path unless ``env`` sets it, is stopped after the test, and its
  log tail is printed when the test failed.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .harness import (
    BotProcess,
    EmulatorClient,
    EmulatorServer,
    emulator_unavailable_reason,
    in_ci,
    run_emulator,
    start_bot,
)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"e2e_report_{report.when}", report)
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    return any(
        getattr(getattr(request.node, f"e2e_report_{when}", None), "failed", False)
        for when in ("setup", "call")
    )


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    reason = emulator_unavailable_reason()
    if reason:
        if in_ci():
            pytest.fail(f"CI=true but the Telegram emulator cannot run: {reason}", pytrace=False)
        pytest.skip(reason)
    log_path = tmp_path_factory.mktemp("emulator") / "emulator.log"
    with run_emulator(log_path) as server:
        yield server


@pytest.fixture
async def emulator_client(emulator: EmulatorServer) -> AsyncIterator[EmulatorClient]:
    async with emulator.client() as client:
        yield client


@pytest.fixture
def bot_runner(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., BotProcess]]:
    bots: list[BotProcess] = []

    def run(env: dict[str, str], **kwargs: Any) -> BotProcess:
        env = dict(env)
        env.setdefault("DATA_DIR", str(tmp_path / f"bot{len(bots) + 1}"))
        bot = start_bot(env, **kwargs)
        bots.append(bot)
        return bot

    yield run
    for bot in bots:
        code = bot.stop()
        if _failed(request):
            sys.stderr.write(
                f"\n--- bot {bot.argv} exited {code}; log {bot.log_path} (tail) ---\n{bot.log_tail(80)}\n"
            )
