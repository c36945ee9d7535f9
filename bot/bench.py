"""Throughput of the bot's own processing: `python -m bot.bench [--residents 1000] [--database-url URL]`.

Replays residents' intake conversations (describe → 确认 → address → 跳过 → ticket number) through the
real Application and handlers, with the in-process Bot API of the offline console instead of HTTP, so
what is measured is the bot (classifier, database, handlers, outbox), not the network. Prints updates
processed per second and p50/p95 latency from an update to the bot's answer, and the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime

from bot.app import build_application, make_deps
from bot.config import BotSettings
from bot.console import BotEvent, ConsoleRequest
from classifier.cli import machine_summary
from routing import bootstrap, db, members

NEEDS = [
    "楼道灯坏了好几天了，晚上上下楼很黑",
    "厨房下水道堵了，水下不去",
    "小区垃圾好几天没人清运了，臭得很",
    "楼上天天装修，吵得老人睡不着",
    "电梯又坏了，老人上不了楼",
    "我妈一个人在家，想申请助餐送餐",
]
GRID = "S01-C01-G01"


class Conversation:
    """One resident's intake, step by step; measures each step's time to the bot's answer."""

    def __init__(self, request: ConsoleRequest, user_id: int, need: str, latencies: list[float]) -> None:
        self.request, self.user_id, self.need, self.latencies = request, user_id, need, latencies
        self.replies: asyncio.Queue[BotEvent] = asyncio.Queue()

    async def _step(self, send: object, *expect: str) -> BotEvent:
        started = time.perf_counter()
        send()
        while True:
            event = await asyncio.wait_for(self.replies.get(), timeout=60)
            if any(words in event.text for words in expect):
                self.latencies.append(time.perf_counter() - started)
                return event

    async def run(self) -> None:
        request, uid = self.request, self.user_id
        understood = await self._step(lambda: request.send_user_message(uid, self.need), "我理解", "不太确定")
        # 确认 what was understood, or take the first of the offered items when the bot was unsure.
        buttons = [b for row in understood.message.inline_keyboard for b in row]
        confirm = next((b for b in buttons if "确认" in b["text"]), buttons[0])["callback_data"]
        await self._step(lambda: request.press_inline(uid, understood.message, confirm), "地址")
        await self._step(lambda: request.send_user_message(uid, "幸福里小区 3 号楼 2 单元 502"), "手机号")
        await self._step(lambda: request.send_user_message(uid, "跳过"), "已为您登记工单")


async def replay(settings: BotSettings, residents: int, concurrency: int) -> tuple[float, list[float]]:
    """Run the conversations; returns (elapsed seconds, per-update latencies)."""
    engine = bootstrap.start(settings)
    now = datetime.now(UTC)
    with db.transaction(engine) as session:
        for uid in range(1, residents + 1):
            members.ensure_person(session, uid, now, name=f"居民{uid}")
            members.set_home_grid(session, uid, GRID, now)
    request = ConsoleRequest()
    app = build_application(settings, make_deps(settings, engine), request)
    latencies: list[float] = []
    conversations = {
        uid: Conversation(request, uid, NEEDS[uid % len(NEEDS)], latencies) for uid in range(1, residents + 1)
    }
    for uid in conversations:
        request.register_user(uid, f"居民{uid}")

    def route(event: BotEvent) -> None:
        conversation = conversations.get(event.chat_id or 0)
        if conversation is not None and event.kind in ("message", "edit"):
            conversation.replies.put_nowait(event)

    request.add_listener(route)
    gate = asyncio.Semaphore(concurrency)

    async def one(conversation: Conversation) -> None:
        async with gate:
            await conversation.run()

    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        started = time.perf_counter()
        await asyncio.gather(*(one(c) for c in conversations.values()))
        elapsed = time.perf_counter() - started
        await app.updater.stop()
        await app.stop()
    engine.dispose()
    return elapsed, latencies


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m bot.bench", description=__doc__)
    parser.add_argument("--residents", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50, help="conversations in flight at once")
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as data_dir:
        os.environ.setdefault("LOG_LEVEL", "WARNING")
        settings = BotSettings(
            _env_file=None, DATA_DIR=data_dir, DATABASE_URL=args.database_url, LOG_LEVEL="WARNING"
        )
        elapsed, latencies = asyncio.run(replay(settings, args.residents, args.concurrency))
    latencies.sort()
    p50 = statistics.median(latencies)
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    backend = settings.DATABASE_URL.split(":", 1)[0]
    print(f"machine: {machine_summary()}")
    print(
        f"database: {backend}; {args.residents} residents' intake conversations, {args.concurrency} at a time"
    )
    print(
        f"updates processed: {len(latencies)} in {elapsed:.1f} s = {len(latencies) / elapsed:.0f} updates/s"
    )
    print(
        f"latency update → answer: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms (target ≥ 100/s, p95 < 200 ms)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
