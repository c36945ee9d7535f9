"""The offline console (bot/console.py): a real PTB Application served by ConsoleRequest, driven by scripted input;
`python -m bot` without a token: the console on its own database, in the shipped or the deployment's own geography."""

from __future__ import annotations

import asyncio
import html
import io
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)

import bot.__main__ as bot_main
import bot.console
from bot.config import BotSettings
from bot.console import ConsoleRequest, demo_phone, render_html, run_console
from routing import db
from routing.errors import DomainError
from tests.bot.bot_process import OWN_GEOGRAPHY, console, last_line, run_bot

ONE_GRID_GEOGRAPHY = """
[[street]]
code = "JD01"
name = "东城街道"

[[street.community]]
code = "JD01-SQ01"
name = "和谐社区"

[[street.community.grid]]
code = "JD01-SQ01-WG01"
name = "和谐第一网格"
"""

INTAKE = "楼道灯坏了\n1\n幸福里小区3号楼2单元502\n跳过\n"
PEOPLE = {1: ("张阿姨", "居民"), 1001: ("王师傅", "党员"), 9001: ("李主任", "网格员")}
COORDINATOR = 9001


def build(request: ConsoleRequest) -> Application:
    """A tiny bot in the shape of the real one, built on the console request."""

    async def post_init(app: Application) -> None:
        """Register the command list, as the real bot does on start."""
        await app.bot.set_my_commands([("start", "开始"), ("phone", "留电话"), ("report", "报表")])

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Welcome with confirm/cancel buttons."""
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("✅ 确认", callback_data="ok"),
                    InlineKeyboardButton("❌ 取消", callback_data="no"),
                ]
            ]
        )
        await update.effective_message.reply_text("<b>欢迎</b>使用社区服务\n请确认：", reply_markup=keyboard)

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer the button and edit the message."""
        query = update.callback_query
        await query.answer("收到")
        word = "已确认" if query.data == "ok" else "已取消"
        await query.edit_message_text(f"{word}（{html.escape(query.from_user.first_name)}）")

    async def phone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Ask for a phone number with Telegram's contact button."""
        keyboard = ReplyKeyboardMarkup(
            [[KeyboardButton("📱 发送手机号", request_contact=True)], ["跳过"]], one_time_keyboard=True
        )
        await update.effective_message.reply_text("请留电话：", reply_markup=keyboard)

    async def contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Thank for the shared contact."""
        number = update.effective_message.contact.phone_number
        await update.effective_message.reply_text(f"收到电话 {number}", reply_markup=ReplyKeyboardRemove())

    async def report(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Send a picture."""
        await update.effective_message.reply_photo(b"\x89PNG fake", filename="report.png", caption="本周统计")

    async def photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Download the photo and describe it."""
        data = await (await update.effective_message.photo[-1].get_file()).download_as_bytearray()
        caption = html.escape(update.effective_message.caption or "")
        await update.effective_message.reply_text(f"收到图片（{len(data)} 字节）：{caption}")

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Echo the text and tell the coordinator."""
        message = update.effective_message
        text = html.escape(message.text)
        await message.reply_text(f"你说：{text}")
        await context.bot.send_message(
            COORDINATOR, f"<i>{html.escape(message.from_user.first_name)}</i> 说：{text}"
        )

    app = (
        ApplicationBuilder()
        .token("123456:console")
        .request(request)
        .get_updates_request(request)
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .post_init(post_init)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("phone", phone))
    app.add_handler(CommandHandler("report", report))
    app.add_handler(CallbackQueryHandler(pressed))
    app.add_handler(MessageHandler(filters.CONTACT, contact))
    app.add_handler(MessageHandler(filters.PHOTO, photo))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    return app


async def drive(*lines: str) -> str:
    """Run the console on scripted input and return everything it printed."""
    out = io.StringIO()
    await asyncio.wait_for(
        run_console(
            build,
            PEOPLE,
            input_stream=io.StringIO("".join(f"{line}\n" for line in lines)),
            output=out,
            quiet=0.1,
        ),
        timeout=8,
    )
    return out.getvalue()


# --- the console's Bot API ---
async def test_server_validates_like_telegram() -> None:
    request = ConsoleRequest()
    request.register_user(1, "张阿姨")
    async with Bot("123456:console", request=request, get_updates_request=request) as bot:
        assert (await bot.get_me()).username == "jiedan_console_bot"
        with pytest.raises(BadRequest, match="unsupported start tag"):
            await bot.send_message(1, "你说：<hi>", parse_mode=ParseMode.HTML)
        first = await bot.send_message(1, "a &lt;b&gt; <b>c</b>", parse_mode=ParseMode.HTML)
        second = await bot.send_message(1, "x" * 10)
        assert first.text == "a <b> c" and second.message_id == first.message_id + 1
        assert first.chat.type == "private" and first.from_user.is_bot
        with pytest.raises(BadRequest, match="not modified"):
            await bot.edit_message_text("x" * 10, chat_id=1, message_id=second.message_id)
        with pytest.raises(BadRequest, match="too long"):
            await bot.send_message(1, "长" * 4097)
        with pytest.raises(BadRequest, match="not found"):
            await bot.delete_message(1, 999)
        chat = await bot.get_chat(1)
        assert chat.first_name == "张阿姨"


async def test_get_updates_honours_offset_limit_and_waits() -> None:
    request = ConsoleRequest()
    async with Bot("123456:console", request=request, get_updates_request=request) as bot:
        ids = [request.send_user_message(1, f"m{i}") for i in range(3)]
        batch = await bot.get_updates(limit=2)
        assert [u.update_id for u in batch] == ids[:2]
        assert [u.message.text for u in await bot.get_updates(offset=ids[1] + 1)] == ["m2"]
        assert await bot.get_updates(offset=ids[2] + 1, timeout=0) == ()

        async def later() -> None:
            """Queue an update while getUpdates is waiting."""
            await asyncio.sleep(0.2)
            request.send_user_message(1, "/start now")

        started = time.monotonic()
        task = asyncio.create_task(later())
        waited = await bot.get_updates(offset=ids[2] + 1, timeout=5)
        await task
        assert 0.15 < time.monotonic() - started < 2
        message = waited[0].message
        assert message.text == "/start now"
        assert message.entities[0].type == "bot_command" and message.entities[0].length == 6


def test_render_html() -> None:
    assert (
        render_html('<b>粗</b> <a href="https://x.cn/a">链接</a> &amp; &lt;i&gt;')
        == "粗 链接 (https://x.cn/a) & <i>"
    )
    assert render_html('<a href="tg://user?id=1">王</a>') == "王"


# --- a conversation typed in the console ---
async def test_scripted_conversation_across_people() -> None:
    started = time.monotonic()
    out = await drive("/start", "1", "hello <b>hi</b> & bye", ":as 王", "2", "/start", "2", ":who", ":quit")
    assert time.monotonic() - started < 8
    lines = out.splitlines()
    # the reply, HTML rendered plainly, with numbered buttons under it
    assert "→ 居民 张阿姨: 欢迎使用社区服务" in lines
    assert "    请确认：" in lines
    assert "    [1] ✅ 确认  [2] ❌ 取消" in lines
    # pressing button 1: the callback answer and the edit
    assert "    ↳ 按下「✅ 确认」" in lines
    assert "→ 居民 张阿姨: (提示) 收到" in lines
    assert "→ 居民 张阿姨: (已编辑) 已确认（张阿姨）" in lines
    # user text echoed: escaped by the bot, shown literally; the coordinator sees it too
    assert "→ 居民 张阿姨: 你说：hello <b>hi</b> & bye" in lines
    assert "→ 网格员 李主任: 张阿姨 说：hello <b>hi</b> & bye" in lines
    # switching person: prompt and recipient change; "2" with no buttons in his chat is plain text
    assert "（现在你是 党员 王师傅，id 1001）" in lines
    assert "→ 党员 王师傅: 你说：2" in lines
    assert "→ 党员 王师傅: (已编辑) 已取消（王师傅）" in lines
    assert "党员 王师傅> :who" in lines
    assert any(line.strip().startswith("*") and "党员 王师傅" in line for line in lines)
    assert "（再见）" in lines
    # replies come out in order, before the next prompt
    assert out.index("欢迎使用") < out.index("居民 张阿姨> 1") < out.index("(已编辑) 已确认")


async def test_reply_keyboard_contact_photos_and_help() -> None:
    out = await drive(":help", "/phone", "1", "/report", ":photo 楼道灯坏了", "/phone", ":press 跳过")
    lines = out.splitlines()
    assert "  /phone  留电话" in lines  # commands registered in post_init are listed by :help
    assert "    ⌨ [1] 📱 发送手机号（分享联系方式）" in lines
    assert "      [2] 跳过" in lines
    assert f"→ 居民 张阿姨: 收到电话 {demo_phone(1)}" in lines
    assert "→ 居民 张阿姨: [图片: report.png] 本周统计" in lines
    assert "→ 居民 张阿姨: 收到图片（69 字节）：楼道灯坏了" in lines
    assert "    ↳ 发送「跳过」" in lines
    assert "→ 居民 张阿姨: 你说：跳过" in lines
    assert out.rstrip().endswith("（再见）")  # end of input ends the session


# The bug: bytes that are not UTF-8 on stdin wedged the console.
def test_a_line_that_is_not_utf8_does_not_wedge_the_console(tmp_path: Path) -> None:
    stdin = b"\xff\xfe\xe6\xa5\xbc\n" + "楼道灯坏了好几天了\n:quit\n".encode()
    result = run_bot(tmp_path, {"LC_ALL": "C.UTF-8"}, stdin=stdin)
    assert "我理解您反映的是：物业设施 · 照明楼道" in result.stdout, result.stderr.strip().splitlines()[-1]


# The bug: `:press` with no words pressed the newest keyboard's first button (here: 确认).
def test_press_without_words_presses_nothing(tmp_path: Path) -> None:
    result = run_bot(tmp_path, {}, stdin="楼道灯坏了好几天了\n:press\n:quit\n".encode())
    assert "我理解您反映的是" in result.stdout
    assert "按下「✅ 确认」" not in result.stdout, "an empty :press confirmed the request"


# --- `python -m bot` without a token: the console's own database, its people and geography ---
# The bug: no token with a PostgreSQL DATABASE_URL put the demo people into the operator's database.
def test_the_console_does_not_seed_demo_people_into_the_configured_postgresql(tmp_path: Path, pg_url: str) -> None:
    engine = db.make_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE person, member RESTART IDENTITY CASCADE"))
    result = run_bot(tmp_path, {"DATABASE_URL": pg_url})
    assert "离线控制台" in result.stdout, result.stderr[-500:]
    with engine.connect() as conn:
        demo = conn.execute(text("SELECT count(*) FROM member WHERE telegram_id BETWEEN 1001 AND 1005")).scalar()
    engine.dispose()
    assert demo == 0, f"the README's offline console 'on SQLite' wrote {demo} demo members into PostgreSQL"


def test_an_unknown_coordinator_scope_does_not_crash_the_console(tmp_path: Path) -> None:
    """The operator of a multi-street deployment writes `COORDINATOR_SCOPE=s01` (lower case, or a code from an old
    file) in `.env` and types `make run` before getting a token, to try the offline console the README promises. Instead
    of the console (or one line naming COORDINATOR_SCOPE, as every other bad setting gets) they get a 15-line Python
    traceback ending in `routing.errors.NotFound: 未知的区域编码 's01'`. Cause: bot/__main__.py run_console calls
    routing/demo.py seed_demo(scope=settings.COORDINATOR_SCOPE) outside start_domain's error handling, and
    start_domain itself checks COORDINATOR_SCOPE only when COORDINATOR_IDS is set (routing/bootstrap.py start)."""
    result = console(tmp_path, {"COORDINATOR_SCOPE": "s01"}, ":quit\n")
    assert "Traceback" not in result.stderr, last_line(result)
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "COORDINATOR_SCOPE" in lines[0], lines


def test_console_starts_when_the_deployment_has_its_own_geography_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An operator has put the deployment's own street → community → grid tree in `.env`
    (`GEOGRAPHY_FILE=geo.toml`, README's configuration table; `jiedan geography check geo.toml` says ok) and, before
    getting a token from @BotFather, types `make run` to try the bot in the offline console, as the README's first
    command invites. Instead of the console they get a Python traceback ending in
    `routing.errors.NotFound: 未知的区域编码 'S01-C01-G01'`: `bot/__main__.py` run_console seeds the demo people
    (`routing/demo.py` seed_demo) with the shipped demo geography's codes (S01-C01-G01 …) into a database synced from
    the configured file, outside start_domain's one-line error handling. (With a geography of several streets it
    fails the same way, in ensure_coordinators.)"""
    geography = tmp_path / "geo.toml"
    geography.write_text(ONE_GRID_GEOGRAPHY, encoding="utf-8")
    settings = BotSettings(_env_file=None, DATA_DIR=tmp_path / "data", GEOGRAPHY_FILE=geography)
    chatted = []

    async def console(build, people, **_kwargs) -> None:  # (the chat itself is not under test)
        chatted.append(people)

    monkeypatch.setattr(bot.console, "run_console", console)
    monkeypatch.setattr(bot_main, "make_deps", lambda settings, engine: None)
    try:
        bot_main.run_console(settings)
    except SystemExit as stopped:  # a clear one-line refusal would be acceptable too
        assert isinstance(stopped.code, str) and "\n" not in stopped.code
        return
    except DomainError as error:
        pytest.fail(f"the console crashed with a traceback: {type(error).__name__}: {error}")
    assert chatted, "the console did not start"


def test_the_console_with_the_deployments_own_geography_still_has_members_to_offer_to(tmp_path: Path) -> None:
    """A new operator does what the README invites: `make run` first (no token: the console with the demo geography),
    then writes the deployment's own street → community → grid tree, sets `GEOGRAPHY_FILE` and runs `make run` again
    to see it in the console ("placed in the deployment's own geography"). 张阿姨 now lives in 阳光第一网格, types
    楼道灯坏了 and gets 「✅ 已为您登记工单」, but no member ever sees 「📋 有一张新工单等您接单」: the ticket goes
    straight to 李主任 as 「📮 有工单需要派单」. The demo members registered by the first run stay in the old, now
    inactive, 示范街道 grids: routing/demo.py seed_demo skips a member who exists (`find_member(...) is None`) and
    never moves them into the new scope's grids, while the resident is moved (set_home_grid). Fix: move existing demo
    members to the scope's grids (or start the console database afresh)."""
    first = console(tmp_path, {}, ":quit\n")
    assert "离线控制台" in first.stdout, last_line(first)
    geography = tmp_path / "geo.toml"
    geography.write_text(OWN_GEOGRAPHY, encoding="utf-8")
    second = console(tmp_path, {"GEOGRAPHY_FILE": str(geography)}, INTAKE + ":quit\n")
    assert "已为您登记工单" in second.stdout, second.stdout[-1500:] + last_line(second)
    assert "有一张新工单等您接单" in second.stdout, second.stdout[second.stdout.find("已为您登记工单"):][:800]


async def test_a_line_waits_while_the_bot_is_busy_delivering() -> None:
    """On a loaded machine the outbox's delivery paused longer than the console's quiet time between a change and its
    messages (the offer came after 「1」 was read: the test of a whole intake failed under load). A line now waits while
    the bot says it is busy."""
    from types import SimpleNamespace

    busy_until = time.monotonic() + 0.8
    app = SimpleNamespace(update_queue=asyncio.Queue())
    start = time.monotonic()
    await bot.console._wait_quiet(ConsoleRequest(), app, 0, quiet=0.1, max_wait=5.0,  # type: ignore[arg-type]
                                  busy=lambda _: time.monotonic() < busy_until)
    assert time.monotonic() - start >= 0.8


def test_delivering_is_busy_while_a_delivery_is_due_or_under_way() -> None:
    """What the console waits for: a delivery kicked by a change (due now), or a pass holding the lock."""
    from bot import delivery

    app = ApplicationBuilder().token("1:x").build()
    assert not delivery.delivering(app)
    app.bot_data[delivery._LOCK] = lock = asyncio.Lock()
    asyncio.run(lock.acquire())
    assert delivery.delivering(app)
