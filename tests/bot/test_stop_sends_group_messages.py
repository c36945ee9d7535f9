"""A graceful stop (SIGTERM) while a group's alerts are being sent in the background (7fe0d8d).
Found by a review of the thirty-fourth session's delivery and card fixes (each test failed before; its docstring tells the bug as it was found)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bot import serving
from bot.app import ALLOWED_UPDATES, build_application
from bot.config import BotSettings
from bot.console import ConsoleRequest
from bot.handlers.common import Deps
from routing import db, outbox
from tests.bot.test_delivery import PAYLOAD, row

GROUP = -1001234567
TOKEN = "123456:ABCdefGHIjklMNOpqr"


class SlowGroupApi(ConsoleRequest):
    """The console's Bot API; a message to the group takes a moment (Telegram paces a group: 20 a minute)."""

    def __init__(self, delay: float = 1.0) -> None:
        super().__init__()
        self.delay = delay  # (seconds a message to the group takes)
        self.group_send_started = asyncio.Event()

    async def do_request(self, url: str, method: str, request_data: Any = None, *args: Any,
                         **kwargs: Any) -> tuple[int, bytes]:
        if url.lower().endswith("/sendmessage") and request_data is not None \
                and int(request_data.parameters.get("chat_id", 0)) == GROUP:
            self.group_send_started.set()
            await asyncio.sleep(self.delay)
        return await super().do_request(url, method, request_data, *args, **kwargs)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_graceful_stop_lets_the_groups_alert_in_flight_finish(
    engine: Engine, tmp_path: Path
) -> None:
    """A street's work group is being sent a red card in the background when the operator deploys (SIGTERM to
    `python -m bot`). bot/app.py's new post_stop is there to let the group's few notifications being sent finish
    (GROUPS_STOP_WAIT, 20 s), but bot.serving._run — what `python -m bot` and `--webhook` run — never calls
    post_stop (python-telegram-bot calls it only from its own run_polling/run_webhook): app.stop(), then
    app.shutdown() closes the HTTP client and asyncio.run cancels the task mid-send. The card is left claimed
    and unsent (it goes out again, maybe a second time, only after the claim's lease, two minutes after the next
    start)."""
    api = SlowGroupApi()
    settings = BotSettings(_env_file=None, TELEGRAM_BOT_TOKEN=TOKEN, DATA_DIR=tmp_path)
    deps = Deps(engine=engine, settings=settings, classifier=None, taxonomy=None,  # type: ignore[arg-type]
                worker_id="w1")  # (no update is handled)
    app = build_application(settings, deps, api)
    with db.transaction(engine) as session:
        alert = outbox.notify(session, GROUP, "group_alert", datetime.now(UTC),
                              payload={**PAYLOAD, "alert": "red_card", "limit": "resolve"})

    async def serve_until_sigterm(app_: Any, settings_: Any, stop: asyncio.Event, allowed: list[str]) -> None:
        await asyncio.wait_for(api.group_send_started.wait(), timeout=10)  # the group's card is on its way
        stop.set()  # SIGTERM

    await serving._run(app, settings, serve_until_sigterm, ALLOWED_UPDATES)
    status = row(engine, alert).status
    for task in list(app.bot_data.get("delivery_group_tasks", ())):  # (what asyncio.run would do now)
        task.cancel()
    await asyncio.sleep(0)
    assert status == "sent", f"the bot stopped with the group's card in flight: it is left {status!r}"
