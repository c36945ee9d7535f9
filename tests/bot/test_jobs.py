"""Background jobs: the quarterly 评星 runs on the first day of a quarter only; the report jobs'
schedule; stopping the job queue cancels no job."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlmodel import select
from telegram.ext import Application

import bot.app
from bot import report
from bot.config import BotSettings
from bot.workers import ChatlessJobQueue
from routing import db
from routing.models import MemberStar
from tests.bot.test_delivery import FakeBot, make_context


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


def test_report_jobs_run_at_their_moments_and_every_few_minutes() -> None:
    """Digests at 08:00 and reports on Mondays at 09:00 (local), plus a catch-up job from start."""
    calls: list[tuple[str, Any, dict[str, Any]]] = []
    recorder = SimpleNamespace(
        run_repeating=lambda callback, **kw: calls.append(("repeating", callback, kw)),
        run_daily=lambda callback, **kw: calls.append(("daily", callback, kw)),
    )
    settings = BotSettings(_env_file=None)
    app = SimpleNamespace(job_queue=recorder, bot_data={"deps": SimpleNamespace(settings=settings)})
    report.schedule_jobs(app)
    assert {callback for _, callback, _ in calls} == {report.send_due_reports, report.deliver_reports}
    repeating = {callback: kw for how, callback, kw in calls if how == "repeating"}
    assert repeating[report.send_due_reports]["interval"] <= timedelta(minutes=10)
    assert repeating[report.send_due_reports]["first"] < 10  # at start: what a stopped bot missed
    assert repeating[report.deliver_reports]["interval"] == settings.DELIVERY_INTERVAL_SECONDS
    assert all(callback == report.send_due_reports for how, callback, _ in calls if how == "daily")
    daily = sorted((kw["time"], kw.get("days")) for how, _, kw in calls if how == "daily")
    assert daily == [(time(8, 0, tzinfo=settings.tz), None), (time(9, 0, tzinfo=settings.tz), (1,))]


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
