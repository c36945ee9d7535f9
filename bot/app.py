"""The Application: every handler registered in one place, the background jobs, and start-up."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import socket
from collections import defaultdict
from collections.abc import Awaitable
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot import keyboards, report
from bot.config import BotSettings
from bot.delivery import deliver_outbox, groups_delivered
from bot.handlers import call_off, common, coordinator, group, member, privacy, resident, router
from bot.handlers.common import Deps, deps, now, query
from bot.workers import (
    HANDLING_CHAT,
    ChatlessJobQueue,
    lock_chats_across_processes,
    one_process_at_a_time,
)
from classifier import get_classifier
from routing import alerts, dispatch, points, tickets
from routing.config import get_taxonomy

log = logging.getLogger(__name__)
CONCURRENT_UPDATES = 64
GROUPS_STOP_WAIT = 20.0  # seconds a stopping bot waits for the groups' notifications being sent
# my_chat_member: the bot was removed from a group, whose alert subscriptions then end; or unblocked in private.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]

COMMANDS = [
    BotCommand("start", "开始 / 选择社区"),
    BotCommand("my", "我的工单"),
    BotCommand("help", "帮助"),
    BotCommand("cancel", "退出当前步骤"),
    BotCommand("mydata", "查看我的个人信息"),
    BotCommand("forget", "删除我的个人信息"),
    BotCommand("join", "党员：用邀请码注册"),
    BotCommand("tasks", "党员：我的工单"),
    BotCommand("duty", "党员：在岗 / 离岗"),
    BotCommand("points", "党员：积分和星级"),
    BotCommand("skills", "党员：修改我的技能"),
    BotCommand("invite", "协调员：党员邀请码"),
    BotCommand("dispatch", "协调员：待派单"),
    BotCommand("overdue", "协调员：超期工单"),
    BotCommand("members", "协调员：辖区党员"),
    BotCommand("addcoordinator", "协调员：邀请协调员"),
    BotCommand("stats", "服务效能"),
    BotCommand("report", "协调员：服务效能周报"),
]


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Updates of different chats run concurrently; one chat's updates run in the order they came.

    That order holds within this process. Several webhook workers may each get an update of the same
    chat (a double tap, Telegram re-sending); on PostgreSQL `lock_chats_across_processes` makes
    their database steps take turns.
    """

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock = self._locks[chat.id]
        async with lock:
            handling = HANDLING_CHAT.set(chat.id)
            try:
                await coroutine
            finally:
                HANDLING_CHAT.reset(handling)
        if not lock.locked() and not lock._waiters:  # forget idle chats
            self._locks.pop(chat.id, None)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def make_deps(settings: BotSettings, engine: Any) -> Deps:
    """The dependencies handlers share."""
    lock_chats_across_processes(engine)
    taxonomy = get_taxonomy(settings)
    classifier = get_classifier(str(settings.TAXONOMY_FILE or "") or None, str(settings.DATA_DIR))
    return Deps(
        engine=engine,
        settings=settings,
        classifier=classifier,
        taxonomy=taxonomy,
        worker_id=f"{socket.gethostname()}:{os.getpid()}",
    )


def register_handlers(app: Application) -> None:
    """Every command, button and message type the bot answers."""
    private = filters.ChatType.PRIVATE
    app.add_handler(TypeHandler(Update, common.back_in_touch), group=-1)  # (before the handler that answers)
    new_private = private & filters.UpdateType.MESSAGE
    commands = {
        "start": common.start,
        "help": common.help_command,
        "cancel": router.cancel,
        "my": resident.my_tickets,
        "mydata": privacy.my_data,
        "forget": privacy.forget,
        "join": member.join,
        "duty": member.duty,
        "tasks": member.tasks,
        "points": member.my_points,
        "skills": member.skills_command,
        "invite": coordinator.invite,
        "dispatch": coordinator.dispatch_list,
        "overdue": coordinator.overdue,
        "stats": coordinator.stats_command,
        "members": coordinator.members_command,
        "addcoordinator": coordinator.add_coordinator,
        "report": report.report_command,
    }
    for name, callback in commands.items():
        app.add_handler(CommandHandler(name, callback, filters=new_private))
    # Groups: only a coordinator's /subscribe and /unsubscribe are answered, nothing else.
    groups = filters.ChatType.GROUPS
    for name, callback in {"subscribe": group.subscribe, "unsubscribe": group.unsubscribe}.items():
        app.add_handler(CommandHandler(name, callback, filters=groups & filters.UpdateType.MESSAGE))
        app.add_handler(CommandHandler(name, group.subscribe_in_private, filters=new_private))
    app.add_handler(MessageHandler(groups & filters.StatusUpdate.MIGRATE, group.migrated))
    app.add_handler(ChatMemberHandler(group.bot_membership, ChatMemberHandler.MY_CHAT_MEMBER))
    buttons = {
        keyboards.AREA: resident.area_chosen,
        keyboards.INTAKE: resident.intake_button,
        keyboards.RATE: resident.rating_button,
        privacy.FORGET: privacy.forget_button,
        keyboards.OFFER: member.offer_button,
        keyboards.TASK: member.task_button,
        keyboards.JOIN: member.join_button,
        keyboards.SKILLS: member.skills_button,
        keyboards.DISPATCH: coordinator.dispatch_button,
        keyboards.REMOVE: coordinator.remove_button,
        keyboards.ADD_COORDINATOR: coordinator.coordinator_scope_button,
        keyboards.STATS: coordinator.stats_button,
        keyboards.CALL_OFF: call_off.call_off_button,
        keyboards.CLOSE: coordinator.close_button,
        keyboards.RELAY: member.relay_button,
        keyboards.RAISE: coordinator.raise_button,
        keyboards.URGE: coordinator.urge_button,
    }
    for prefix, callback in buttons.items():
        app.add_handler(CallbackQueryHandler(callback, pattern=rf"^{prefix}:"))
    app.add_handler(CallbackQueryHandler(common.stale_button))
    app.add_handler(MessageHandler(new_private & filters.CONTACT, resident.contact_shared))
    app.add_handler(MessageHandler(new_private & filters.PHOTO, router.photo_message))
    app.add_handler(MessageHandler(new_private & filters.TEXT & ~filters.COMMAND, router.text_message))
    app.add_handler(MessageHandler(new_private & filters.COMMAND, common.unknown_command))
    app.add_handler(MessageHandler(private & filters.UpdateType.EDITED, common.edited_message))
    app.add_handler(MessageHandler(new_private, router.unsupported_message))
    app.add_error_handler(common.error_handler)


async def advance_waves(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Job: offers whose wave timed out go to the next wave, or to the coordinators."""
    moved = await query(context, dispatch.advance_waves, now())
    if moved:
        await deliver_outbox(context)


async def scan_alerts(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Job: yellow/red cards that fell due (also those missed while the bot was down)."""
    scanner: alerts.Scanner = context.bot_data.setdefault(
        "alert_scanner", alerts.Scanner(deps(context).settings)
    )
    started = now()
    written = await query(context, alerts.scan_alerts, started, since=scanner.next_since())
    scanner.done(started, written)
    if written:
        await deliver_outbox(context)


async def remind_unfinished(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Job: a need left at its address or phone step an hour ago is recalled to its resident, once."""
    if await query(context, one_process_at_a_time(resident.remind_unfinished), now()):
        await deliver_outbox(context)


async def remind_unrated(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Job: 回访 — one reminder to rate a ticket resolved a day ago."""
    if await query(context, one_process_at_a_time(tickets.remind_unrated), now()):
        await deliver_outbox(context)


QUARTER_STARS_AT = time(0, 30)  # local time: the job runs daily (and at start) and rates a quarter once


def _rate_previous_quarter(session: Any, now_: datetime, tz: ZoneInfo) -> int:
    quarter = points.previous_quarter(now_, tz)
    if points.quarter_rated(session, quarter):
        return 0
    rated = len(points.compute_quarter_stars(session, quarter, now_))
    points.tell_quarter_stars(session, quarter, now_)
    return rated


async def rate_quarter(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Job: 评星 — every member's stars for the quarter just ended, once, on the first run after it ended (a bot
    stopped on the quarter's first night rates it when it is back); each member is told theirs in the morning."""
    rated = await query(context, one_process_at_a_time(_rate_previous_quarter), now(), deps(context).tz)
    if rated:
        log.info("quarterly stars computed for %d member(s)", rated)
        await deliver_outbox(context)


async def post_init(app: Application) -> None:
    """Start the background jobs and tell Telegram the command list (optional: may fail)."""
    settings: BotSettings = app.bot_data["deps"].settings
    # The start-up heap (jieba, the classifier, the taxonomy) lives as long as the process: keep it
    # out of the collector, whose full passes over it cost 60–250 ms inside a time-limit scan.
    gc.collect()
    gc.freeze()
    app.job_queue.run_repeating(deliver_outbox, interval=settings.DELIVERY_INTERVAL_SECONDS, first=0)
    wave_check = max(0.5, min(30.0, settings.wave_timeout.total_seconds() / 5))
    app.job_queue.run_repeating(advance_waves, interval=timedelta(seconds=wave_check), first=1)
    reminder_check = max(
        1.0, min(3600.0, settings.scaled(tickets.RATING_REMINDER_AFTER).total_seconds() / 24)
    )
    app.job_queue.run_repeating(remind_unrated, interval=timedelta(seconds=reminder_check), first=5)
    app.job_queue.run_repeating(remind_unfinished, interval=timedelta(minutes=5), first=9)
    app.job_queue.run_repeating(scan_alerts, interval=alerts.scan_interval(settings), first=1)
    report.schedule_jobs(app)  # 08:00 digests, Monday 09:00 reports: once per period, late after downtime
    app.job_queue.run_daily(rate_quarter, time=QUARTER_STARS_AT.replace(tzinfo=settings.tz))
    app.job_queue.run_once(rate_quarter, when=7)  # (a quarter that ended while the bot was stopped)
    try:
        await app.bot.set_my_commands(COMMANDS)
    except TelegramError as error:
        log.warning("setMyCommands failed (the bot works without the menu): %s", error)


async def post_stop(app: Application) -> None:
    """Let the groups' notifications being sent in the background finish (a few at most: GROUP_NOTES_PER_PASS)."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(groups_delivered(app.bot_data), timeout=GROUPS_STOP_WAIT)


def rate_limiter(settings: BotSettings) -> AIORateLimiter:
    """Telegram's send limits, this process's share; a 429 is not retried here (the outbox does)."""
    rate = settings.TELEGRAM_MESSAGES_PER_SECOND
    if 0 < rate < 1:  # (30/N with over 30 workers: one message every 1/rate seconds; a bucket under 1 takes none)
        return AIORateLimiter(overall_max_rate=1, overall_time_period=1 / rate, max_retries=0)
    return AIORateLimiter(overall_max_rate=rate, max_retries=0)


def build_application(
    settings: BotSettings, app_deps: Deps, request: BaseRequest | None = None
) -> Application:
    """The configured Application; `request` replaces HTTP (the offline console)."""
    token = (
        settings.TELEGRAM_BOT_TOKEN.get_secret_value() if settings.TELEGRAM_BOT_TOKEN else "123456:console"
    )
    builder = (
        Application.builder()
        .token(token)
        .base_url(settings.api_base_url)
        .base_file_url(settings.api_base_file_url)
        .job_queue(ChatlessJobQueue())
        .concurrent_updates(PerChatUpdateProcessor(CONCURRENT_UPDATES))
        .post_init(post_init)
        .post_stop(post_stop)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    else:
        builder = builder.rate_limiter(rate_limiter(settings))
    app = builder.build()
    app.bot_data["deps"] = app_deps
    register_handlers(app)
    return app
