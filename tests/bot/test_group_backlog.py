"""Outages: a group chat's backlog of alerts, paced by Telegram's group limit, holds up everyone else's messages.
Found by a review of outages and delivery in the thirty-fourth session (each test failed before; its docstring tells the bug as it was found)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import Engine
from telegram.ext import ExtBot

from bot.app import rate_limiter
from bot.config import BotSettings
from bot.console import ConsoleRequest
from bot.delivery import deliver_outbox, groups_delivered
from bot.handlers.common import Deps
from routing import db, outbox
from tests.bot.test_delivery import PAYLOAD, row

GROUP = -1001234567
RESIDENT = 4242


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_groups_alert_backlog_does_not_hold_up_a_residents_receipt(engine: Engine) -> None:
    """A street's group chat is subscribed to alerts; after the bot was down (or a busy morning) the alert scan
    queues a couple of dozen red cards for it. Telegram lets a bot post about 20 messages a minute in one group,
    and the bot's own rate limiter (AIORateLimiter) paces them: the 21st waits 3 s, the 30th half a minute, a
    backlog of 50 (one delivery batch) a minute and a half. Meanwhile an elderly resident confirms a request:
    the receipt 「已为您登记工单」 (an outbox message to a private chat Telegram would take at once) waits
    until the group's whole batch is through, because a delivery pass waits for its slowest chat before it
    claims anything new. (The same holds for a gas leak's urgent alert to the coordinators, a member's offer.)"""
    settings = BotSettings(_env_file=None)
    api = ConsoleRequest()
    bot = ExtBot("123456:ABCdefGHIjklMNOpqr", request=api, get_updates_request=api,
                 rate_limiter=rate_limiter(settings))
    deps = Deps(engine=engine, settings=settings, classifier=None, taxonomy=None, worker_id="w1")  # type: ignore[arg-type]
    context = SimpleNamespace(bot=bot, bot_data={"deps": deps}, job_queue=None,
                              application=SimpleNamespace(running=True))
    sent: dict[int, list[float]] = {}
    api.add_listener(lambda e: sent.setdefault(e.chat_id, []).append(time.monotonic()) if e.kind == "message"
                     else None)
    with db.transaction(engine) as session:
        for _ in range(23):
            outbox.notify(session, GROUP, "group_alert", datetime.now(UTC),
                          payload={**PAYLOAD, "alert": "red_card", "limit": "resolve"})
    async with bot:
        backlog = asyncio.create_task(deliver_outbox(context))
        async with asyncio.timeout(10):
            while len(sent.get(GROUP, [])) < 20:  # the group's first 20 went at once; the rest are paced
                await asyncio.sleep(0.05)
        with db.transaction(engine) as session:  # the resident confirms a request now
            receipt = outbox.notify(session, RESIDENT, "ticket_created", datetime.now(UTC), payload=PAYLOAD)
        queued_at = time.monotonic()
        await deliver_outbox(context)  # the kick every step gives (bot.delivery.deliver_soon)
        await asyncio.wait_for(backlog, timeout=30)
        await groups_delivered(context.bot_data)  # (a group's pass may hold the kick's turn: it takes the receipt)
    assert row(engine, receipt).status == "sent"
    waited = sent[RESIDENT][0] - queued_at
    assert waited < 2, f"the resident's receipt waited {waited:.1f} s behind the group's paced alerts"
