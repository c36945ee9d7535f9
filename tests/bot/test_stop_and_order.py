"""Outages: a graceful stop of a webhook worker, and a chat's order after a failed send.
Found by a review of outages and delivery in the thirty-fourth session (each test failed before; its docstring tells the bug as it was found)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from telegram.error import TimedOut

from bot import serving
from bot.app import ALLOWED_UPDATES, build_application
from bot.config import BotSettings
from bot.delivery import deliver_outbox
from bot.handlers.common import Deps
from bot.loadtest import free_port
from classifier import Classifier
from routing import db, outbox
from tests.bot.test_delivery import PAYLOAD, RECIPIENT, FakeBot, make_context, row
from tests.bot.test_webhook import HEADER, SECRET, TOKEN, RecordingApi, persons, start_update


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_graceful_stop_of_a_webhook_worker_finishes_the_update_in_hand(
    engine: Engine, tmp_path: Path, classifier: Classifier
) -> None:
    """A deploy sends SIGTERM to a webhook worker while it is handling a resident's message. The README
    promises that SIGINT/SIGTERM stop the bot "after the batch of messages in hand", as long polling does.
    In webhook mode the worker instead closes the connection at once and stops with the message half
    handled: the resident gets no answer from it, Telegram's POST is never answered 200 (so the message
    is handled a second time by the next worker, after whatever the first had already committed)."""
    api = RecordingApi()
    settings = BotSettings(_env_file=None, TELEGRAM_BOT_TOKEN=TOKEN, DATA_DIR=tmp_path,
                           WEBHOOK_PORT=free_port(), WEBHOOK_SECRET_TOKEN=SECRET)
    deps = Deps(engine=engine, settings=settings, classifier=classifier, taxonomy=classifier.taxonomy,
                worker_id="w1")
    app = build_application(settings, deps, api)
    handle_update = app.process_update
    in_hand = asyncio.Event()

    async def handling_takes_a_moment(update: Any) -> None:  # (the classifier, a few transactions)
        in_hand.set()
        await asyncio.sleep(0.3)
        await handle_update(update)

    app.process_update = handling_takes_a_moment  # type: ignore[method-assign]
    before = persons(engine)
    async with app, httpx.AsyncClient() as client:
        await app.start()
        stop = asyncio.Event()
        server = asyncio.create_task(serving.serve_webhook(app, settings, stop, ALLOWED_UPDATES))
        await asyncio.sleep(0.1)
        url = f"http://127.0.0.1:{settings.WEBHOOK_PORT}{settings.WEBHOOK_PATH}"
        post = asyncio.create_task(client.post(url, json=start_update(701, 1), headers={HEADER: SECRET}))
        await in_hand.wait()
        stop.set()  # SIGTERM (serving._run's on_signal)
        await asyncio.wait_for(server, timeout=10)
        handled_before_stopping = persons(engine) - before
        answered_before_stopping = [e.text for e in api.seen if e.chat_id == 701 and e.kind == "message"]
        try:
            status: int | str = (await post).status_code
        except httpx.HTTPError as error:
            status = repr(error)
        await app.stop()
    assert status == 200, f"Telegram's POST of the update in hand was not answered: {status}"
    assert handled_before_stopping == 1 and answered_before_stopping, (
        "the worker stopped before finishing the resident's /start")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_message_queued_after_a_failed_send_waits_behind_it(engine: Engine) -> None:
    """The README and bot/delivery.py promise delivery "in order per chat": a person's later messages wait
    behind one that Telegram could not take now. That holds only for messages claimed in the same pass.
    Here the resident's 已受理 update times out (retried in a few seconds); the next thing about the ticket
    (the member has started: 办理中), queued a moment later, is sent at once. The resident reads the ticket's
    steps in the wrong order, the earlier one arriving after the later one (after an outage that lasted a
    while, minutes after: the backoff reaches five minutes)."""
    bot = FakeBot([TimedOut("Timed out")])
    with db.transaction(engine) as session:
        first = outbox.notify(session, RECIPIENT, "ticket_accepted", datetime.now(UTC),
                              payload={**PAYLOAD, "member_name": "王师傅"})
    await deliver_outbox(make_context(engine, bot))  # the first send times out: retried later
    assert row(engine, first).status == "pending" and not bot.sent
    with db.transaction(engine) as session:  # a moment later: the member starts the work
        later = outbox.notify(session, RECIPIENT, "ticket_started", datetime.now(UTC), payload=PAYLOAD)
    await deliver_outbox(make_context(engine, bot))
    assert row(engine, later).status == "pending" and not bot.sent, (
        f"the later message went out while the earlier one waits to be retried: {bot.sent[0]['text'][:40]!r}")
