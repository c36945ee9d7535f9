"""The application (bot/app.py) and its jobs: the quarterly 评星 runs on the first day of a quarter only; stopping
the job queue cancels no job, and a job never runs inside a chat's turn; the rate limiter at any messages-per-second
setting."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from telegram.ext import Application, JobQueue

import bot.app
from bot.console import ConsoleRequest
from bot.workers import HANDLING_CHAT, ChatlessJobQueue
from routing import db
from routing.models import MemberStar
from tests.bot.test_delivery import FakeBot, make_context

TOKEN = "123456:ABCdefGHIjklMNOpqr"


# --- the jobs ---
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_quarter_stars_on_the_first_day_of_a_quarter(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.member("王师傅", ["水暖"])
    context = make_context(world.engine, FakeBot())
    monkeypatch.setattr(
        bot.app, "now", lambda: datetime(2026, 9, 30, 16, 30, tzinfo=UTC)
    )  # Oct 1, 00:30 local
    await bot.app.rate_quarter(context)
    with db.transaction(world.engine) as session:
        assert [s.quarter for s in session.exec(select(MemberStar))] == ["2026Q3"]
    monkeypatch.setattr(bot.app, "now", lambda: datetime(2026, 10, 14, 16, 30, tzinfo=UTC))
    await bot.app.rate_quarter(context)  # not a quarter's first day: nothing new
    with db.transaction(world.engine) as session:
        assert len(session.exec(select(MemberStar)).all()) == 1


async def test_stopping_waits_for_running_jobs_and_starts_none() -> None:
    """A job that starts while the queue stops is cancelled by APScheduler (its traceback logged as an error): the
    job queue pauses the scheduler first, so every job that started also finishes."""
    app = Application.builder().token("1:offline").job_queue(ChatlessJobQueue()).build()
    started: list[str] = []
    finished: list[str] = []

    def job(name: str, seconds: float) -> Callable[[object], Awaitable[None]]:
        async def run(_: object) -> None:
            started.append(name)
            await asyncio.sleep(seconds)
            finished.append(name)

        return run

    # A slow job running when the queue stops, and a quick one that would start while the queue waits for it.
    app.job_queue.run_once(job("slow", 0.2), when=0)
    app.job_queue.run_repeating(job("quick", 0.05), interval=0.01, first=0)
    await app.job_queue.start()
    for _ in range(100):  # (until the slow one runs: a loaded machine starts a job due at once a little late)
        await asyncio.sleep(0.05)
        if "slow" in started:
            break
    await app.job_queue.stop()
    assert "slow" in started and sorted(finished) == sorted(started)


async def test_a_job_scheduled_while_handling_a_chat_runs_outside_it() -> None:
    seen: dict[str, int | None] = {}

    async def job(context: Any) -> None:
        seen[context.job.name] = HANDLING_CHAT.get()

    async def handler(app: Application, name: str) -> None:  # as PerChatUpdateProcessor runs one
        HANDLING_CHAT.set(42)
        app.job_queue.run_once(job, 0, name=name)  # e.g. deliver_soon
        async with asyncio.timeout(10):
            while name not in seen:
                await asyncio.sleep(0.01)

    for queue in (JobQueue(), ChatlessJobQueue()):
        app = Application.builder().token(TOKEN).request(ConsoleRequest()).job_queue(queue).build()
        async with app:
            await app.start()
            await asyncio.create_task(handler(app, type(queue).__name__))
            await app.stop()
    assert seen == {"JobQueue": 42, "ChatlessJobQueue": None}, "tasks inherit context; jobs must not"


# --- the rate limiter ---
async def test_messages_per_second_below_one_sends_or_is_refused_naming_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """3da886f gave the numeric settings bounds so that a value that cannot work 「stops the bot with one line naming
    the setting, not … a silent outage later」. TELEGRAM_MESSAGES_PER_SECOND was left with only `ge=0`. The README
    tells the operator to set it to 「this process's share of Telegram's limit: 30/N」 — a city deployment with 40
    webhook workers writes 0.75, with 60 workers 0.5. The bot starts without a word, and then every call to
    Telegram fails inside python-telegram-bot's AIORateLimiter: aiolimiter's AsyncLimiter(max_rate=0.5,
    time_period=1) raises 「ValueError: Can't acquire more than the maximum capacity」 for a single message, so no
    offer, alert, receipt or answer ever reaches anyone. Cause: bot.app.rate_limiter passes the rate with a
    one-second period. Expected: a rate under 1 works (e.g. AIORateLimiter(overall_max_rate=1,
    overall_time_period=1/rate)), or is refused at start with one line naming TELEGRAM_MESSAGES_PER_SECOND."""
    from pydantic import ValidationError

    from bot.app import rate_limiter
    from bot.config import BotSettings
    from routing.config import read_settings

    monkeypatch.chdir(tmp_path)  # (no .env)
    monkeypatch.setenv("TELEGRAM_MESSAGES_PER_SECOND", "0.5")  # 30 / 60 workers
    try:
        settings = read_settings(BotSettings)
    except ValidationError as error:  # refused at start, naming the setting: fine
        assert "TELEGRAM_MESSAGES_PER_SECOND" in str(error)
        return
    limiter = rate_limiter(settings)
    await limiter.initialize()

    async def send(*_args: object, **_kwargs: object) -> bool:
        return True

    assert await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": 1, "text": "您好"}, None)
