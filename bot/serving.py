"""How updates reach the bot — long polling or a webhook — each confirming an update to Telegram only
after it was handled.

python-telegram-bot's own polling confirms a batch (by asking for the next offset) as soon as it has
fetched it, and its webhook server answers 200 before the update is handled; either way the updates
in hand are gone when the process is killed. Here the next getUpdates, which is what confirms, is
sent only after the whole batch was handled, and a webhook POST is answered only after its update was
handled (Telegram sends again an update whose POST failed). So a killed process's unfinished updates
come again, to it after a restart or to another worker: at least once, and every handler copes with
an update seen twice (tests/bot/test_hostile_input.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
import signal
from collections.abc import Awaitable, Callable

import tornado.httpserver
import tornado.web
from telegram import Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application

from bot.config import TELEGRAM_API, BotSettings

log = logging.getLogger(__name__)

POLL_TIMEOUT = 25  # seconds Telegram holds a getUpdates open when there is nothing new
RETRY_FIRST, RETRY_MAX = 1.0, 30.0  # seconds between attempts after a network failure, doubling
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
STOP_WAIT = 30.0  # seconds a stopping webhook worker waits for the updates in hand (then stops anyway)


async def handle(app: Application, update: Update) -> None:
    """Handle one update as the Application would (chats concurrently, each chat in order)."""
    await app.update_processor.process_update(update, app.process_update(update))


async def handle_batch(app: Application, updates: tuple[Update, ...]) -> None:
    """Handle a batch; errors of handlers go to the error handler already, others are logged."""
    results = await asyncio.gather(*(handle(app, u) for u in updates), return_exceptions=True)
    for update, result in zip(updates, results, strict=True):
        if isinstance(result, BaseException):
            log.error("update %s failed outside the handlers: %r", update.update_id, result)


async def poll(app: Application, stop: asyncio.Event, allowed_updates: list[str]) -> None:
    """Fetch, handle, then confirm, until `stop` is set (a batch in hand is finished first)."""
    offset: int | None = None
    asked = None  # (the offset of the last getUpdates sent: Telegram takes it as confirming what is below)
    delay = RETRY_FIRST
    stopping = asyncio.create_task(stop.wait())
    try:
        while not stop.is_set():
            asked = offset
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
        if offset != asked:  # (stopping after a batch: confirmed now, or it would come again after a restart)
            with contextlib.suppress(TelegramError):
                await app.bot.get_updates(offset=offset, timeout=0, allowed_updates=allowed_updates)
    finally:
        stopping.cancel()


class InHand:
    """The webhook POSTs being handled, so that a graceful stop finishes them (as polling finishes its batch)."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[object]] = set()
        self.stopping = False

    async def finish(self) -> None:
        """No new POST is taken; those in hand are handled and answered (at most STOP_WAIT seconds)."""
        self.stopping = True
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=STOP_WAIT)


class WebhookHandler(tornado.web.RequestHandler):
    """One POST from Telegram: the secret token checked, the update handled, then 200."""

    def initialize(self, app: Application, secret: str, in_hand: InHand) -> None:
        self.app, self.secret, self.in_hand = app, secret, in_hand

    async def post(self) -> None:
        """Answered after handling, so that an update in hand when the worker dies comes again."""
        if not hmac.compare_digest(self.request.headers.get(SECRET_HEADER, ""), self.secret):
            self.set_status(403)
            return
        if self.in_hand.stopping:  # (Telegram sends it again: to the next worker)
            self.set_status(503)
            return
        try:
            update = Update.de_json(json.loads(self.request.body), self.app.bot)
        except (ValueError, TypeError, KeyError) as error:
            log.warning("webhook: not an update (%s)", error)
            self.set_status(400)
            return
        task = asyncio.current_task()
        assert task is not None  # (tornado runs each request's handler in an asyncio task)
        self.in_hand.tasks.add(task)
        try:
            await handle(self.app, update)
        finally:
            self.in_hand.tasks.discard(task)
        self.set_status(200)


def start_webhook_server(app: Application, settings: BotSettings,
                         in_hand: InHand | None = None) -> tornado.httpserver.HTTPServer:
    """Listen on WEBHOOK_LISTEN:WEBHOOK_PORT at WEBHOOK_PATH (plain HTTP, behind the HTTPS proxy)."""
    assert settings.WEBHOOK_SECRET_TOKEN is not None  # checked at start
    routes = [(settings.WEBHOOK_PATH, WebhookHandler,
               {"app": app, "secret": settings.WEBHOOK_SECRET_TOKEN.get_secret_value(),
                "in_hand": in_hand or InHand()})]
    server = tornado.httpserver.HTTPServer(tornado.web.Application(routes))
    try:
        server.listen(settings.WEBHOOK_PORT, address=settings.WEBHOOK_LISTEN)
    except OSError as error:  # (a port another worker has, an address that does not resolve)
        raise StartError(f"setting WEBHOOK_LISTEN / WEBHOOK_PORT ({settings.WEBHOOK_LISTEN}:{settings.WEBHOOK_PORT}): "
                         f"cannot listen there: {error.strerror or error} — give each worker its own port") from None
    return server


async def register_webhook(app: Application, settings: BotSettings, allowed_updates: list[str]) -> None:
    """Only a worker with WEBHOOK_URL calls setWebhook; a refusal is logged, the worker serves anyway."""
    if not settings.WEBHOOK_URL:
        log.info("WEBHOOK_URL not set: this worker does not call setWebhook")
        return
    assert settings.WEBHOOK_SECRET_TOKEN is not None
    try:
        await app.bot.set_webhook(settings.WEBHOOK_URL, allowed_updates=allowed_updates,
                                  secret_token=settings.WEBHOOK_SECRET_TOKEN.get_secret_value())
    except TelegramError as error:
        log.warning("setWebhook failed (serving anyway; set the webhook again later): %s", error)


async def serve_webhook(app: Application, settings: BotSettings, stop: asyncio.Event,
                        allowed_updates: list[str]) -> None:
    """Serve Telegram's POSTs until `stop` is set (the updates in hand are finished first)."""
    in_hand = InHand()
    server = start_webhook_server(app, settings, in_hand)
    try:
        await register_webhook(app, settings, allowed_updates)
        await stop.wait()
    finally:
        server.stop()
        await in_hand.finish()
        await server.close_all_connections()


async def serve_polling(app: Application, settings: BotSettings, stop: asyncio.Event,
                        allowed_updates: list[str]) -> None:
    """Long polling until `stop` is set."""
    try:
        await app.bot.delete_webhook()  # getUpdates is refused while a webhook is set
    except TelegramError as error:
        log.warning("deleteWebhook failed (polling anyway): %s", error)
    await poll(app, stop, allowed_updates)


Serve = Callable[[Application, BotSettings, asyncio.Event, list[str]], Awaitable[None]]


async def _run(app: Application, settings: BotSettings, serve: Serve, allowed_updates: list[str]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        """The first SIGINT/SIGTERM stops after the batch in hand; a second one (Ctrl-C again) exits at once (what was
        claimed and not sent goes out after the lease, from the next start)."""
        if stop.is_set():
            log.warning("second stop signal: exiting now")
            os._exit(1)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal)
    async with app:  # initialize … shutdown
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        try:
            await serve(app, settings, stop, allowed_updates)
        finally:
            await app.stop()
            if app.post_stop is not None:  # (as PTB's own run_polling does: the groups' messages in hand)
                await app.post_stop(app)


class StartError(Exception):
    """Telegram refused or could not be reached at start; the message is one line without the token."""


def run(app: Application, settings: BotSettings, allowed_updates: list[str], *, webhook: bool) -> None:
    """Serve updates (a webhook or long polling) until SIGINT/SIGTERM. A token Telegram rejects, or Telegram
    unreachable at start, is a StartError (PTB's own message would print the token)."""
    try:
        asyncio.run(_run(app, settings, serve_webhook if webhook else serve_polling, allowed_updates))
    except InvalidToken:
        if settings.TELEGRAM_BASE_URL != TELEGRAM_API:  # (a self-hosted server's 404 for a wrong path looks the same)
            raise StartError(f"the Bot API at {settings.TELEGRAM_BASE_URL} rejected the bot token: check "
                             "TELEGRAM_BASE_URL (the server's address, without /bot) and TELEGRAM_BOT_TOKEN") from None
        raise StartError("Telegram rejected the bot token (TELEGRAM_BOT_TOKEN): check it with @BotFather") from None
    except NetworkError as error:
        token = settings.TELEGRAM_BOT_TOKEN.get_secret_value() if settings.TELEGRAM_BOT_TOKEN else None
        reason = str(error).replace(token, "<token>") if token else str(error)
        raise StartError(f"cannot reach the Bot API at {settings.TELEGRAM_BASE_URL}: {reason}") from None
