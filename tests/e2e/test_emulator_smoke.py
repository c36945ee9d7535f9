"""The emulator harness itself, proven with a tiny PTB 22 bot defined here (not the real bot)."""

from __future__ import annotations

import asyncio
import html
import logging
import textwrap
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from .harness import BotProcess, EmulatorClient

pytestmark = pytest.mark.emulator
log = logging.getLogger("tinybot")


class TinyBot:
    """/start answers with an inline keyboard; a press edits the message and drops the keyboard."""

    def __init__(self, client: EmulatorClient) -> None:
        self.caught: list[tuple[str, Exception]] = []
        self.edited: list[Message] = []
        base = client.base_url
        self.app: Application = (
            ApplicationBuilder()
            .token(client.token)
            .base_url(f"{base}/bot")
            .base_file_url(f"{base}/file/bot")
            .post_init(self.post_init)
            .build()
        )
        self.app.add_handler(CommandHandler("start", self.start))
        self.app.add_handler(CallbackQueryHandler(self.pressed))
        self.app.add_handler(MessageHandler(filters.CONTACT, self.contact))
        self.app.add_handler(MessageHandler(filters.PHOTO, self.photo))
        self.app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, self.echo))

    async def _unsupported(self, what: str, call: Awaitable[object]) -> None:
        try:
            await call
        except Exception as exc:  # the bot must log and carry on
            log.warning("%s failed: %s: %s", what, type(exc).__name__, exc)
            self.caught.append((what, exc))

    async def post_init(self, app: Application) -> None:
        await self._unsupported("setMyCommands", app.bot.set_my_commands([BotCommand("start", "开始")]))

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat and update.effective_user and update.message
        await self._unsupported(
            "sendChatAction",
            context.bot.send_chat_action(update.effective_chat.id, ChatAction.TYPING),
        )
        name = html.escape(update.effective_user.first_name)
        await update.message.reply_text(
            f"你好，<b>{name}</b>！请确认：",
            parse_mode=ParseMode.HTML,
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton("确认 ✅", callback_data="confirm"),
                        InlineKeyboardButton("取消", callback_data="cancel"),
                    ]
                ]
            ),
        )

    async def pressed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query and query.message
        await query.answer("收到")
        word = "已确认" if query.data == "confirm" else "已取消"
        edited = await query.edit_message_text(f"{word}（{query.from_user.first_name}）")
        assert isinstance(edited, Message)
        self.edited.append(edited)

    async def contact(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message and update.message.contact
        await update.message.reply_text(f"电话：{update.message.contact.phone_number}")

    async def photo(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message and update.message.photo
        await update.message.reply_text(f"图片：{update.message.caption}")

    async def echo(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message
        await update.message.reply_text(
            "请分享电话",
            reply_markup=ReplyKeyboardMarkup(
                [[KeyboardButton("📱 分享电话", request_contact=True)], ["跳过"]],
                one_time_keyboard=True,
            ),
        )

    @asynccontextmanager
    async def running(self) -> AsyncIterator[TinyBot]:
        """What Application.run_polling does, inside the test's event loop."""
        app = self.app
        await app.initialize()
        assert app.post_init
        await app.post_init(app)
        assert app.updater
        await app.updater.start_polling(poll_interval=0.0, timeout=10)
        await app.start()
        try:
            yield self
        finally:
            await app.updater.stop()
            await app.stop()
            await app.shutdown()


async def test_start_press_edit_and_unsupported_methods(emulator_client: EmulatorClient) -> None:
    bot = TinyBot(emulator_client)
    async with bot.running():
        alice = emulator_client.user(1001, "Alice <A&B>", "alice")
        await alice.command("/start")
        offer = await alice.wait_for("请确认")
        assert offer.text == "你好，Alice <A&B>！请确认："  # as shown: HTML parsed
        assert offer.text_source.startswith("你好，<b>Alice &lt;A&amp;B&gt;</b>")
        assert offer.button_texts == ["确认 ✅", "取消"]
        assert not offer.edited

        callback_id = await alice.press(offer, "确认")
        answer = await alice.callback_answer(callback_id)
        assert answer and answer["text"] == "收到"
        done = await alice.wait_for("已确认")
        assert done.message_id == offer.message_id
        assert done.edited and done.edit_date is not None
        assert done.buttons == []  # an edit without reply_markup removes the keyboard
        assert done.history[0]["text"] == offer.text
        assert [m.text for m in await alice.messages()] == ["已确认（Alice <A&B>）"]
        with pytest.raises(AssertionError, match="no button"):
            await alice.press(done, "确认")  # gone with the edit

        # PTB got the edited Message back from editMessageText
        assert bot.edited[0].message_id == offer.message_id
        assert bot.edited[0].edit_date is not None and bot.edited[0].reply_markup is None

        # a contact, a photo, a reply keyboard
        await alice.send("你好")
        ask = await alice.wait_for("请分享电话")
        assert ask.reply_keyboard and ask.reply_keyboard[0][0]["request_contact"] is True
        await alice.share_contact("+8613800000000")
        await alice.wait_for("电话：+8613800000000")
        await alice.send_photo("楼道灯坏了")
        await alice.wait_for("图片：楼道灯坏了")
        await alice.expect_silence(within=0.3)

    # unsupported methods: a Bot API error PTB raises as a TelegramError, caught by the bot
    caught = dict(bot.caught)
    assert set(caught) == {"setMyCommands", "sendChatAction"}
    for exc in caught.values():
        assert isinstance(exc, InvalidToken) and "is not emulated" in str(exc)
    assert {c["method"] for c in await emulator_client.unsupported_calls()} == {
        "setMyCommands",
        "sendChatAction",
    }


async def test_ten_users_at_once(emulator_client: EmulatorClient) -> None:
    bot = TinyBot(emulator_client)
    users = [emulator_client.user(2000 + i, f"用户{i}", f"user{i}") for i in range(10)]
    async with bot.running():
        started = time.monotonic()
        await asyncio.gather(*(u.command("/start") for u in users))
        offers = await asyncio.gather(*(u.wait_for("请确认") for u in users))
        for user, offer in zip(users, offers, strict=True):
            assert offer.chat_id == user.id and user.first_name in offer.text
        await asyncio.gather(
            *(
                u.press(o, "确认" if i % 2 else "取消")
                for i, (u, o) in enumerate(zip(users, offers, strict=True))
            )
        )
        edits = await asyncio.gather(*(u.wait_for("（") for u in users))
        for i, (user, edit) in enumerate(zip(users, edits, strict=True)):
            word = "已确认" if i % 2 else "已取消"
            assert edit.text == f"{word}（{user.first_name}）" and edit.buttons == []
            assert len(await user.messages()) == 1
        elapsed = time.monotonic() - started
    assert elapsed < 10, f"40 round trips for 10 users took {elapsed:.1f} s"


async def test_polling_is_long_polling(emulator_client: EmulatorClient) -> None:
    bot = TinyBot(emulator_client)
    async with bot.running():
        user = emulator_client.user(3001, "Idle")
        await user.command("/start")
        await user.wait_for("请确认")
        before = await emulator_client.request_count("getUpdates")
        await asyncio.sleep(2.0)
        idle = await emulator_client.request_count("getUpdates") - before
        assert idle <= 3, f"PTB polled getUpdates {idle} times in 2 s idle: busy loop"
        # and an update arriving during a long poll is delivered at once
        started = time.monotonic()
        await user.command("/start")
        await user.wait_for("请确认")
        assert time.monotonic() - started < 1.0


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # RetryAfter
async def test_bot_api_fidelity(emulator_client: EmulatorClient) -> None:
    """Telegram's answers that the bot must cope with, through PTB's own Bot."""
    client = emulator_client
    user = client.user(4001, "Bob")
    base = client.base_url
    async with Bot(client.token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot") as bot:
        me = await bot.get_me()
        assert me.is_bot and me.id == int(client.token.split(":")[0])

        # getUpdates: offset confirms, limit caps, timeout waits
        for text in ("一", "二", "三"):
            await user.send(text)
        first = await bot.get_updates(limit=2)
        assert [u.message.text for u in first if u.message] == ["一", "二"]
        again = await bot.get_updates(offset=first[-1].update_id + 1)
        assert [u.message.text for u in again if u.message] == ["三"]
        assert all(u.message and u.message.date.year >= 2024 for u in first + again)
        started = time.monotonic()
        assert await bot.get_updates(offset=again[-1].update_id + 1, timeout=1) == ()
        assert 0.9 <= time.monotonic() - started < 3
        await user.send("四")
        assert await bot.delete_webhook(drop_pending_updates=True)
        assert await bot.get_updates() == ()

        # HTML is parsed as Telegram does: a bare "<" is rejected
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
            await bot.send_message(user.id, "1 < 2", parse_mode=ParseMode.HTML)
        sent = await bot.send_message(user.id, html.escape("1 < 2 & 3"), parse_mode="HTML")
        assert sent.text == "1 < 2 & 3" and sent.date.year >= 2024
        with pytest.raises(BadRequest, match=r"(?i)message is too long"):
            await bot.send_message(user.id, "长" * 4097)
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            await bot.send_message(
                user.id,
                "x",
                reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="x" * 65)]]),
            )

        # edits: "not modified", keyboard-only edits, delete
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("接单", callback_data="t:1")]])
        offer = await bot.send_message(user.id, "新工单", reply_markup=keyboard)
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await bot.edit_message_text("新工单", user.id, offer.message_id, reply_markup=keyboard)
        stripped = await bot.edit_message_reply_markup(user.id, offer.message_id)
        assert isinstance(stripped, Message) and stripped.reply_markup is None
        with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
            await bot.edit_message_text("x", user.id, 999_999)
        assert await bot.delete_message(user.id, offer.message_id)
        assert [m.deleted for m in await user.messages(include_deleted=True)] == [False, True]

        # failures on demand: 429 with retry_after, 403 when blocked, dropped connections
        await client.inject_fault("sendMessage", error_code=429, retry_after=3)
        with pytest.raises(RetryAfter, match=r"Retry in (3|0:00:03)\b"):
            await bot.send_message(user.id, "x")
        await user.block_bot()
        with pytest.raises(Forbidden, match=r"(?i)blocked"):
            await bot.send_message(user.id, "x")
        await user.unblock_bot()
        await client.inject_fault("sendMessage", drop_connection=True)
        with pytest.raises(NetworkError):
            await bot.send_message(user.id, "x")
        assert (await bot.send_message(user.id, "恢复了")).text == "恢复了"

        # unsupported methods
        with pytest.raises(InvalidToken, match="Not Found: method sendPhoto is not emulated"):
            await bot.send_photo(user.id, photo="AgACAgUAAxkBAAI")
        calls = await client.unsupported_calls("sendPhoto")
        assert calls and calls[0]["params"]["chat_id"] == str(user.id)

    await client.reset()
    assert await user.messages(include_deleted=True) == []
    assert await client.unsupported_calls() == []


TINY_BOT_SCRIPT = textwrap.dedent(
    """
    import logging, os
    from telegram import BotCommand
    from telegram.error import TelegramError
    from telegram.ext import ApplicationBuilder, CommandHandler

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    base = os.environ["TELEGRAM_BASE_URL"]

    async def post_init(app):
        try:
            await app.bot.set_my_commands([BotCommand("start", "start")])
        except TelegramError as exc:
            logging.warning("setMyCommands failed: %s", exc)

    async def start(update, context):
        await update.message.reply_text(f"pong from {os.environ['DATA_DIR']}")

    app = (ApplicationBuilder().token(os.environ["TELEGRAM_BOT_TOKEN"])
           .base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
           .post_init(post_init).build())
    app.add_handler(CommandHandler("start", start))
    app.run_polling()
    logging.info("stopped cleanly")
    """
)


async def test_start_bot_subprocess(
    emulator_client: EmulatorClient,
    bot_runner: Callable[..., BotProcess],
    tmp_path: Path,
) -> None:
    """start_bot(): the env convention the real bot will get, its log, SIGTERM to stop."""
    script = tmp_path / "tinybot.py"
    script.write_text(TINY_BOT_SCRIPT, encoding="utf-8")
    bot = bot_runner(emulator_client.bot_env(), argv=[str(script)])
    await emulator_client.wait_for_polling(bot=bot)
    user = emulator_client.user(5001, "Carol")
    await user.command("/start")
    reply = await user.wait_for("pong from")
    assert reply.text.endswith("bot1")  # DATA_DIR under the test's tmp_path
    await bot.wait_for_log("setMyCommands failed: Not Found: method setMyCommands is not emulated")
    assert await bot.astop() == 0
    assert "stopped cleanly" in bot.log()
