"""Long polling that confirms updates to Telegram only after they were handled.

python-telegram-bot's own polling confirms a batch (by asking for the next offset) as soon as it has
fetched it, so the updates it had fetched but not yet handled are gone when the process is killed.
Here the next getUpdates, which is what confirms, is sent only after the whole batch was handled:
a killed process gets its unfinished updates again after the restart (at least once; every handler
copes with an update seen twice, see tests/bot/test_hostile_input.py).
"""

from __future__ import annotations

import asyncio
import logging
import signal

from telegram import Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application

log = logging.getLogger(__name__)

POLL_TIMEOUT = 25  # seconds Telegram holds a getUpdates open when there is nothing new
RETRY_FIRST, RETRY_MAX = 1.0, 30.0  # seconds between attempts after a network failure, doubling


async def handle_batch(app: Application, updates: tuple[Update, ...]) -> None:
    """Handle a batch as the Application would (chats concurrently, each chat in order)."""
    results = await asyncio.gather(
        *(app.update_processor.process_update(u, app.process_update(u)) for u in updates),
        return_exceptions=True,
    )
    for update, result in zip(updates, results, strict=True):
        if isinstance(result, BaseException):  # handlers' errors go to the error handler already
            log.error("update %s failed outside the handlers: %r", update.update_id, result)


async def poll(app: Application, stop: asyncio.Event, allowed_updates: list[str]) -> None:
    """Fetch, handle, then confirm, until `stop` is set (a batch in hand is finished first)."""
    offset: int | None = None
    delay = RETRY_FIRST
    stopping = asyncio.create_task(stop.wait())
    try:
        while not stop.is_set():
            fetch = asyncio.create_task(
                app.bot.get_updates(offset=offset, timeout=POLL_TIMEOUT, allowed_updates=allowed_updates)
            )
            await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not fetch.done():
                fetch.cancel()
                break
            try:
                updates = fetch.result()
            except InvalidToken:
                raise
            except TelegramError as error:
                log.warning("getUpdates failed (retrying in %.0f s): %s", delay, error)
                await asyncio.wait({stopping}, timeout=delay)
                delay = min(delay * 2, RETRY_MAX)
                continue
            delay = RETRY_FIRST
            if updates:
                await handle_batch(app, updates)
                offset = updates[-1].update_id + 1
    finally:
        stopping.cancel()


async def _run(app: Application, allowed_updates: list[str]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with app:  # initialize … shutdown
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        try:
            try:
                await app.bot.delete_webhook()  # getUpdates is refused while a webhook is set
            except TelegramError as error:
                log.warning("deleteWebhook failed (polling anyway): %s", error)
            await poll(app, stop, allowed_updates)
        finally:
            await app.stop()


def run_polling(app: Application, allowed_updates: list[str]) -> None:
    """Poll until SIGINT/SIGTERM."""
    asyncio.run(_run(app, allowed_updates))
