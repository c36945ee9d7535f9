"""What every handler shares: dependencies, database calls off the event loop, replies, and the
handlers for everyone (/start, /help, /cancel, unknown input, errors)."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from telegram import (
    ChatMember,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
    User,
)
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot import keyboards, texts
from bot.config import BotSettings
from classifier import Classification, Classifier
from classifier.normalize import simplified
from classifier.taxonomy import Taxonomy
from routing import geography, members, outbox
from routing.db import transaction
from routing.errors import DomainError
from routing.models import Ticket

log = logging.getLogger(__name__)

# A ticket's number in someone's words (#S5511, s5511 怎么样了): its card, for a coordinator or the member holding it.
TICKET_NUMBER_TOLD = re.compile(r"(?<![A-Za-z0-9])#?\s*([A-Za-z]\d{4,5})(?!\d)")
T = TypeVar("T")
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None

# A step left this long takes no more words (an address, a 办结 note, a 退回 reason, a member's name): the next
# words are a new message (yesterday's need is not today's address, nor a reason to hand a ticket back).
STEP_IDLE = timedelta(hours=12)
INTAKE = "intake"  # the draft of a resident's need being told (an urgent one's after its ticket is opened)


def ticket_named(text: str, tickets: Iterable[Ticket]) -> Ticket | None:
    """The first of `tickets` whose number the words name (取消 #A1234, a1234 怎么还没来), or None."""
    upper = text.upper()
    return next((t for t in tickets if re.search(rf"(?<![A-Z0-9]){t.number}(?![0-9])", upper)), None)


# What may stand beside words that say one thing only: a pronoun, particles, stops (我不想报了吧, 等不及了！).
_ONLY_BESIDE = re.compile(r"[我俺咱吧啊呀了的呢嘛哈，,。.！!~～\s]")


def says_only(text: str, *said: re.Pattern[str]) -> bool:
    """Whether words say nothing but what the `said` patterns find (算了吧我自己弄; not 不想修了 反正也活不久了)."""
    words = simplified(text)
    for pattern in said:
        words = pattern.sub("", words)
    return not _ONLY_BESIDE.sub("", words)


def a_sign_by_the_model_alone(classifier: Classifier, read: Classification, text: str) -> bool:
    """Whether words are urgent only because the self-harm model reads them as a sign: no pattern of one, no other
    danger (我不想报了, 配件没了明天买了再来 — words a ticket in hand may explain)."""
    return read.urgent_signals == ("self_harm",) and not classifier.self_harm_pattern_fires(text)


def written_within(touched: datetime, written: datetime, window: timedelta) -> bool:
    """Whether words written at `written` came within `window` after a step was `touched` — not before it (read late,
    after a restart: they cannot answer a question not yet asked). A message's date is whole seconds: a little slack."""
    return -timedelta(seconds=2) <= written - touched <= window


def step_left(touched: datetime, now_: datetime) -> bool:
    """Whether a flow waiting for words was left too long ago (STEP_IDLE) to take the next ones."""
    return now_ - touched > STEP_IDLE


@dataclass(frozen=True)
class Deps:
    """What handlers need, built once at start and kept in `application.bot_data['deps']`."""

    engine: Engine
    settings: BotSettings
    classifier: Classifier
    taxonomy: Taxonomy
    worker_id: str

    @property
    def tz(self) -> ZoneInfo:
        return self.settings.tz


def deps(context: ContextTypes.DEFAULT_TYPE) -> Deps:
    """The application's dependencies."""
    return context.bot_data["deps"]


def now() -> datetime:
    """The current time (aware UTC)."""
    return datetime.now(UTC)


def sent_at(update: Update) -> datetime:
    """When the message was written (Telegram's date: one read after the bot was down was written earlier); never
    later than now. A button press is now: its message's date is when the bot sent the button."""
    if update.callback_query is not None:
        return now()
    message = update.effective_message
    written = message.date if message is not None else None
    return min(written, now()) if written is not None else now()


def _in_transaction(engine: Engine, fn: Callable[..., T], args: tuple, kwargs: dict) -> tuple[T, bool]:
    """`fn(session, …)` in one transaction; its result, and whether it queued notifications."""
    with transaction(engine) as session:
        result = fn(session, *args, **kwargs)
    return result, bool(session.info.get(outbox.QUEUED))


async def query(context: ContextTypes.DEFAULT_TYPE, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run `fn(session, *args, **kwargs)` in one transaction on a worker thread (never blocks the loop)."""
    result, _ = await asyncio.to_thread(_in_transaction, deps(context).engine, fn, args, kwargs)
    return result


async def act(context: ContextTypes.DEFAULT_TYPE, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Like `query`, for changes: what they queued in the outbox is delivered at once instead of at
    the next tick."""
    result, queued = await asyncio.to_thread(_in_transaction, deps(context).engine, fn, args, kwargs)
    if queued:
        from bot.delivery import deliver_soon  # delivery imports this module

        deliver_soon(context)
    return result


def display_name(user: User | None) -> str:
    """A person's Telegram name, as they chose it."""
    if user is None:
        return ""
    shown = " ".join(members.visible_text(user.full_name or "").split())  # (an "empty" name: ㅤ, zero-width spaces)
    return (shown or user.username or "")[:100]


async def reply(update: Update, text: str, markup: Markup = None) -> Message | None:
    """Answer in the chat the update came from, in HTML; the message sent."""
    message = update.effective_message
    if message is None:
        return None
    return await message.reply_html(texts.fit(text), reply_markup=markup, disable_web_page_preview=True)


async def reply_with_contact(update: Update, context: ContextTypes.DEFAULT_TYPE, row: dict[str, Any], text: str,
                             markup: Markup = None) -> None:
    """A reply that shows a ticket's address and phone (/tasks, /dispatch): recorded, so that the resident's /forget
    takes it back as it takes back the cards the outbox sent. (A record the database refuses is logged: the list goes
    on — the member needs the next address at the door more than the record.)"""
    sent = await reply(update, text, markup)
    if sent is not None and (row.get("address") or row.get("phone")):
        contact = {"number": row.get("number", ""), "address": row.get("address"), "phone": row.get("phone")}
        try:
            await act(context, outbox.record_shown, update.effective_user.id, row["ticket_id"], now(),
                      chat_id=sent.chat_id, message_id=sent.message_id, payload=contact)
        except SQLAlchemyError:
            log.warning("could not record message %s of ticket %s for /forget", sent.message_id, row["ticket_id"],
                        exc_info=True)


async def edit(update: Update, text: str | None, markup: InlineKeyboardMarkup | None = None) -> None:
    """Replace the text (and keyboard) of the message whose button was pressed; with no text, the keyboard only.
    A press repeated (a double tap) changes nothing, which Telegram calls an error: not one here."""
    query_ = update.callback_query
    if query_ is None:
        return
    try:
        if text is None:
            await query_.edit_message_reply_markup(markup)
        else:
            await query_.edit_message_text(texts.fit(text), parse_mode="HTML", reply_markup=markup)
    except TelegramError as error:
        if "not modified" not in str(error).lower():
            raise


async def answer(update: Update, text: str | None = None, *, alert: bool = False, edited: bool = False) -> bool:
    """Answer a pressed button (a toast, or an alert with `alert`). Telegram takes one answer per
    press and only for a short while: a press delivered again after a restart, or answered late, is
    still handled, only without the toast; an alert's words (这个按钮已经失效了…) then come as a message when
    nothing else tells the person (not when the card is `edited` to say them too). Whether the person was told.
    (Telegram refuses a press answered already in the same words: one delivered again after a restart gets the
    message too.)"""
    try:
        await update.callback_query.answer(text, show_alert=alert)
    except BadRequest as error:
        if "query" not in str(error).lower():
            raise
        log.info("button press not answered: %s", error)
        if alert and text and not edited and update.effective_message is not None:
            await reply(update, texts.esc(text))
            return True
        return False
    return True


MAX_ID = 2**31 - 1  # ticket and member ids are 32-bit integers in PostgreSQL


def callback_args(update: Update) -> list[str]:
    """The parts of a pressed button's callback data after its prefix. Callback data comes from the
    client: a part that looks like a number but is none the bot could have sent (other digits than
    0-9, out of range) comes back as "?", so that the handlers' isdigit() checks refuse it."""
    data = update.callback_query.data if update.callback_query else ""
    return [
        "?" if part.isdigit() and not (part.isascii() and int(part) <= MAX_ID) else part
        for part in (data or "").split(":")[1:]
    ]


# ── handlers for everyone ───────────────────────────────────────────────────────────────────────
def _start_state(session: Session, telegram_id: int, name: str, now_: datetime) -> dict[str, Any]:
    person = members.ensure_person(session, telegram_id, now_, name=name)
    role = members.roles(session, telegram_id)
    grid_code = members.home_grid(session, person)
    grid = geography.get_node(session, grid_code) if grid_code else None
    community = geography.get_node(session, grid.community_code) if grid and grid.community_code else grid
    member = role["member"]
    return {
        "has_grid": grid is not None,
        "area": (community.name, grid.name) if grid and community else None,
        "member": member is not None,
        # (off duty: by /duty, or set so when they blocked the bot — /start is what unblocking it sends)
        "off_duty": member is not None and member.left_at is None and not member.on_duty,
        "coordinator": bool(role["coordinator_scopes"]),
    }


async def back_in_touch(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any private update from someone who blocked the bot (a command, a press, unblocking it) makes them reachable
    again: cards to act on stop skipping them."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or chat.type != ChatType.PRIVATE:
        return
    change = update.my_chat_member
    if change is not None and change.new_chat_member.status == ChatMember.BANNED:  # (blocked it, not back)
        return
    try:
        await query(context, members.back_in_touch, user.id)
    except SQLAlchemyError:  # (the handler that answers meets it too, and says so once)
        log.warning("could not mark %s reachable again", user.id, exc_info=True)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Welcome; a resident without an area chooses community and grid first."""
    from bot.handlers.resident import ask_area

    user = update.effective_user
    state = await act(context, _start_state, user.id, display_name(user), now())
    await reply(update, texts.welcome(display_name(user)))
    if state["member"]:
        await reply(update, texts.HELP_MEMBER)
    if state["off_duty"]:
        await reply(update, texts.STILL_OFF_DUTY)
    if state["coordinator"]:
        await reply(update, texts.HELP_COORDINATOR)
    if not state["has_grid"]:
        await ask_area(update, context)
    elif state["area"]:  # (chosen wrong, or moved: /start is where to choose again)
        await reply(update, texts.area_current(*state["area"]), keyboards.change_area())


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """What this person can do, by role."""
    role = await query(context, members.roles, update.effective_user.id)
    parts = [texts.help_resident(bool(role["coordinator_scopes"]))]
    parts.append(texts.HELP_MEMBER if role["member"] else texts.HELP_JOIN)
    if role["coordinator_scopes"]:
        parts.append(texts.HELP_COORDINATOR)
    await reply(update, "\n\n".join(parts))


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command the bot does not have."""
    await reply(update, texts.UNKNOWN_COMMAND)


async def edited_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An edited message changes nothing already saved: ask for a new message instead."""
    if update.effective_message is not None and update.effective_message.location is not None:
        return  # (a live location's next position: Telegram sends each as an edit, the resident edited nothing)
    await reply(update, texts.EDITED_MESSAGE)


async def stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button this version of the bot does not know (e.g. from before an upgrade)."""
    await answer(update, texts.STALE_BUTTON, alert=True)


async def error_handler(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Domain errors become their polite message; anything else is logged and the person asked to retry."""
    error = context.error
    if isinstance(error, DomainError):
        log.info("refused: %s", type(error).__name__)
        message = str(error)
    elif isinstance(error, SQLAlchemyError):
        log.error("database error while handling an update: %s", type(error).__name__, exc_info=error)
        message = texts.TRY_AGAIN
    else:
        log.error("error while handling an update", exc_info=error)
        message = texts.TRY_AGAIN
    if not isinstance(update, Update):
        return
    try:
        # A button's handler may have answered the press already: then the refusal goes to the chat.
        if update.callback_query is not None and await answer(update, texts.clip(message, 190), alert=True):
            return
        # In a group only a command asked the bot something (/subscribe): other group messages get no answer.
        message_in = update.effective_message
        if message_in is not None and (update.effective_chat.type == "private"
                                       or (message_in.text or "").startswith("/")):
            await message_in.reply_html(texts.esc(message))
    except TelegramError as send_error:
        log.warning("could not tell the user about an error: %s", send_error)
