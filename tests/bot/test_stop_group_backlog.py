"""A graceful stop while a group has a backlog of alerts (27470bd: `_run` calls post_stop).
Found by a final review of the thirty-fourth session's delivery fixes (each test failed before; its docstring tells the bug as it was found)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

import bot.app
from bot import serving
from bot.app import ALLOWED_UPDATES, build_application
from bot.config import BotSettings
from bot.handlers.common import Deps
from routing import db, outbox
from tests.bot.test_delivery import PAYLOAD, row
from tests.bot.test_stop_sends_group_messages import GROUP, TOKEN, SlowGroupApi

SEND = 0.25  # seconds a message to the group takes (Telegram paces a group: 20 a minute, 3 s each in a backlog)



@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_stop_with_a_groups_backlog_leaves_no_alert_claimed_and_unsent(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A street's work group has a backlog of red cards (after an outage, say: Telegram lets a group have 20 messages
    a minute). The operator deploys (SIGTERM). 27470bd makes the stop wait, in post_stop, for "the groups' messages
    in hand" (the 5 the pass gave the background task), up to GROUPS_STOP_WAIT (20 s; 2 s here, with sends 8 times
    quicker). But the background task, once its 5 are sent, starts another delivery pass (`_deliver_group` →
    `deliver_outbox`), which claims the group's next 5 after the stop — `_passes`' own "stopping: the rest waits for
    the next start" does not apply to it — and post_stop waits for those too, until its time is up and it cancels them
    mid-send. So a stop with a backlog always takes the full 20 s, and still leaves a batch of the group's cards
    claimed and unsent, one cut mid-send: they go out only after the claim's lease, two minutes after the next start,
    maybe twice — what 27470bd set out to end."""
    monkeypatch.setattr(bot.app, "GROUPS_STOP_WAIT", 2.0)
    api = SlowGroupApi(SEND)
    settings = BotSettings(_env_file=None, TELEGRAM_BOT_TOKEN=TOKEN, DATA_DIR=tmp_path)
    deps = Deps(engine=engine, settings=settings, classifier=None, taxonomy=None,  # type: ignore[arg-type]
                worker_id="w1")
    app = build_application(settings, deps, api)
    with db.transaction(engine) as session:
        alerts = [outbox.notify(session, GROUP, "group_alert", datetime.now(UTC),
                                payload={**PAYLOAD, "number": f"#A12{i:02d}", "alert": "red_card", "limit": "resolve"})
                  for i in range(12)]

    async def serve_until_sigterm(app_: Any, settings_: Any, stop: asyncio.Event, allowed: list[str]) -> None:
        await asyncio.wait_for(api.group_send_started.wait(), timeout=10)  # the group's cards are on their way
        stop.set()  # SIGTERM

    await serving._run(app, settings, serve_until_sigterm, ALLOWED_UPDATES)
    statuses = [row(engine, alert).status for alert in alerts]
    for task in list(app.bot_data.get("delivery_group_tasks", ())):  # (what asyncio.run would do now)
        task.cancel()
    await asyncio.sleep(0)
    assert "claimed" not in statuses, (
        f"the stop left group cards claimed and unsent (they wait for the lease after the next start): {statuses}")
