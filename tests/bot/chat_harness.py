"""The real Application (every handler of bot/app.py) on the offline console's in-process Bot API,
fed one update at a time: fast, no emulator, no polling loop.

`BotChat.say` / `press` queue an update on the ConsoleRequest, fetch it with getUpdates, run it
through `Application.process_update` (handlers, then the error handlers) and deliver the outbox;
they return what the bot showed the person. Every exception that reaches the error handlers and
every Bot API error answer (e.g. HTML that Telegram would not parse) is recorded.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import select
from telegram import Update
from telegram.ext import Application, CallbackContext, ContextTypes

from bot.app import build_application
from bot.config import BotSettings
from bot.console import BotEvent, ConsoleRequest, StoredMessage, _ApiError
from bot.delivery import deliver_outbox, groups_delivered
from bot.handlers.common import Deps
from classifier import Classifier
from routing import db, dispatch, drafts, members, tickets
from routing.errors import DomainError
from routing.models import Draft, Notification, Ticket

SECOND_ANSWER = "query is too old and response timeout expired or query ID is invalid"
CJK = re.compile(r"[\u4e00-\u9fff]")
GRID = "S01-C01-G01"


@dataclass
class Reply:
    """What one person saw: a message, an edit of one, or a callback answer (toast / alert)."""

    kind: str
    text: str
    message: StoredMessage | None

    def button(self, words: str) -> str:
        """The callback data of the inline button whose text contains `words`."""
        assert self.message is not None, f"no message: {self}"
        found = [b for row in self.message.inline_keyboard for b in row if words in b["text"]]
        assert len(found) == 1, f"{words!r} in {[b['text'] for r in self.message.inline_keyboard for b in r]}"
        return found[0]["callback_data"]


def texts_of(replies: list[Reply]) -> str:
    """Everything a person saw, one reply a line."""
    return "\n".join(r.text for r in replies)


def card_with(replies: list[Reply], words: str) -> Reply:
    """The reply whose message has a button with `words` (a card to press later)."""
    return next(r for r in replies if r.message is not None
                and any(words in b["text"] for row in r.message.inline_keyboard for b in row))


def buttons(reply: Reply) -> list[str]:
    """The texts of a reply's inline buttons."""
    return [b["text"] for row in reply.message.inline_keyboard for b in row] if reply.message else []


async def assign(chat: BotChat, coordinator: int, card: Reply, name: str) -> list[Reply]:
    """指派 on `card`, then the member `name`: what the last press showed."""
    listed = await chat.press(coordinator, card.button("指派"), card.message)
    picker = next(r for r in listed if name in str(buttons(r)))
    return await chat.press(coordinator, picker.button(name), picker.message)


async def assign_through_bot(chat: BotChat, coordinator: int, name: str) -> list[Reply]:
    """The coordinator's /dispatch → 指派 → the member's button: what the last press showed."""
    card = next(r for r in await chat.say(coordinator, "/dispatch") if "指派" in str(buttons(r)))
    return await assign(chat, coordinator, card, name)


def photo(name: str) -> list[dict[str, Any]]:
    """A photo message's `photo` field (one size), its file id `name`."""
    return [{"file_id": name, "file_unique_id": f"u-{name}", "width": 1280, "height": 960}]


class BotChat:
    """The bot and its simulated people; see the module docstring."""

    def __init__(self, engine: Engine, settings: BotSettings, deps: Deps) -> None:
        self.engine, self.settings, self.deps = engine, settings, deps
        self.request = ConsoleRequest()
        self.events: list[BotEvent] = []
        self.errors: list[BaseException] = []
        self.api_errors: list[BotEvent] = []
        self.request.add_listener(self._on_event)
        self._answered: set[str] = set()
        self._telegram_dispatch = self.request._dispatch
        self.request._dispatch = self._dispatch  # type: ignore[method-assign]
        self.app = self._build()
        self._offset = 0
        self.updates: list[Update] = []

    def _build(self) -> Application:
        app = build_application(self.settings, self.deps, self.request)

        async def record(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
            """Remember every error that reached the error handlers."""
            self.errors.append(context.error)

        app.add_error_handler(record)
        return app

    async def _dispatch(self, name: str, params: dict[str, Any], files: dict[str, Any]) -> Any:
        """The console's Bot API, plus Telegram's rule that a button press is answered only once."""
        if name == "answercallbackquery":
            query_id = str(params.get("callback_query_id"))
            if query_id in self._answered:
                raise _ApiError(400, f"Bad Request: {SECOND_ANSWER}")
            self._answered.add(query_id)
        return await self._telegram_dispatch(name, params, files)

    def _on_event(self, event: BotEvent) -> None:
        self.events.append(event)
        # Telegram's answers to a repeated edit or a repeated button answer: the bot expects them.
        if event.kind == "error" and "not modified" not in event.text and SECOND_ANSWER not in event.text:
            self.api_errors.append(event)

    # -- driving
    async def restart(self) -> None:
        """A new Application (as after a restart of the process) on the same chats and database."""
        await self.app.shutdown()
        self.app = self._build()
        await self.app.initialize()

    async def _run(self, update_id: int, person: int) -> list[Reply]:
        mark = len(self.events)
        for update in await self.app.bot.get_updates(offset=self._offset, timeout=0):
            self._offset = update.update_id + 1
            self.updates.append(update)
            await self.app.process_update(update)
        await self.deliver()
        return self.replies(person, mark)

    async def redeliver(self, update: Update, person: int) -> list[Reply]:
        """The same update again (same update_id), as Telegram does when the offset was not confirmed."""
        mark = len(self.events)
        await self.app.process_update(update)
        await self.deliver()
        return self.replies(person, mark)

    async def deliver(self) -> None:
        """One pass of the outbox delivery job, and the groups' messages it sends in the background (its errors go
        where PTB sends a failed job's)."""
        try:
            await deliver_outbox(CallbackContext(self.app))
            await groups_delivered(self.app.bot_data)
        except Exception as error:
            self.errors.append(error)

    async def say(self, person: int, text: str | None = None, **fields: Any) -> list[Reply]:
        """A message from `person` in their private chat (text and/or other fields)."""
        return await self._run(self.request.send_user_message(person, text, **fields), person)

    async def press(self, person: int, data: str, message: StoredMessage | None = None) -> list[Reply]:
        """`person` presses a button with callback `data` under `message` (default: their last one)."""
        message = message or self.last_message(person)
        return await self._run(self.request.press_inline(person, message, data), person)

    async def push(self, update: dict[str, Any], person: int) -> list[Reply]:
        """Any raw update (edited messages, group messages …)."""
        return await self._run(self.request.push_update(update), person)

    def message_payload(self, person: int, text: str | None = None, **fields: Any) -> dict[str, Any]:
        """A user message as the Bot API sends it (for `push`)."""
        chat = fields.pop("chat", None) or self.request.chat(person)
        payload = {"message_id": 10_000 + len(self.events), "date": int(time.time()), "chat": chat,
                   "from": self.request.user(person), **fields}
        if text is not None:
            payload["text"] = text
        return payload

    # -- observing
    def replies(self, person: int, since: int = 0) -> list[Reply]:
        """What `person` saw since event number `since`."""
        return [
            Reply(e.kind, e.text, e.message)
            for e in self.events[since:]
            if e.kind in ("message", "edit", "answer") and e.chat_id == person
        ]

    def last_message(self, person: int) -> StoredMessage:
        """The bot's newest message in a person's chat."""
        return [m for m in self.request.messages(person) if m.from_bot][-1]

    def unexpected_errors(self) -> list[BaseException]:
        """Errors other than the domain's polite refusals."""
        return [e for e in self.errors if not isinstance(e, DomainError)]

    def state(self) -> dict[str, Any]:
        """Tickets (id, status, assignee) and drafts (user, flow, state): what must not change by accident."""
        with db.transaction(self.engine) as s:
            tickets = [(t.id, t.status, t.assignee_id, t.text, t.address, t.phone)
                       for t in s.exec(select(Ticket).order_by(Ticket.id))]
            drafts = [(d.telegram_id, d.flow, d.state)
                      for d in s.exec(select(Draft).order_by(Draft.telegram_id, Draft.flow))]
        return {"tickets": tickets, "drafts": drafts}

    def resolved_ticket(self, member: int, text: str, label: str, at: datetime, person: int = 1) -> int:
        """A ticket of `person` in GRID (at 幸福里3号楼2单元502) that `member` accepted and resolved (修好了) by `at` + 30 min."""
        with db.transaction(self.engine) as s:
            ticket_id = tickets.submit_ticket(s, person, text, at, label=label, grid_code=GRID,
                                              address="幸福里3号楼2单元502", confidence=0.9).id
        with db.transaction(self.engine) as s:
            dispatch.accept_offer(s, ticket_id, member, at + timedelta(minutes=5))
        with db.transaction(self.engine) as s:
            tickets.resolve_ticket(s, ticket_id, member, at + timedelta(minutes=30), note="修好了")
        return ticket_id

    def intake_draft(self, person: int) -> dict[str, Any] | None:
        """A person's request being told (the intake draft), or None."""
        with db.transaction(self.engine) as s:
            return drafts.get_draft(s, person, "intake")

    def count(self, model: type) -> int:
        with db.transaction(self.engine) as s:
            return s.exec(select(func.count()).select_from(model)).one()

    def notifications(self) -> int:
        return self.count(Notification)

    def ticket(self, ticket_id: int) -> Ticket:
        with db.transaction(self.engine) as s:
            return s.get(Ticket, ticket_id)

    # -- the usual first steps
    def home(self, person: int, grid: str = GRID) -> None:
        """Give a resident a home grid (as choosing it with /start does)."""
        with db.transaction(self.engine) as s:
            members.ensure_person(s, person, _now(), name=f"居民{person}")
            members.set_home_grid(s, person, grid, _now())

    async def intake_to_address(self, person: int, text: str = "楼道灯坏了好几天了，晚上很黑") -> Reply:
        """Describe a need and confirm it: the bot now waits for the address."""
        understood = await self.say(person, text)
        card = next(r for r in understood if "我理解您反映的是" in r.text)
        await self.press(person, card.button("确认"), card.message)
        return card

    async def take_and_start(self, member: int) -> Reply:
        """A member presses 接单 on their newest offer, then 开始: returns the task card (接单成功)."""
        offer = next(r for r in reversed(self.replies(member)) if "新工单" in r.text)
        await self.press(member, offer.button("接单"), offer.message)
        details = next(r for r in self.replies(member) if "接单成功" in r.text)
        await self.press(member, details.button("开始"), details.message)
        return details

    async def at_task_step(self, member: int, step: str, person: int, text: str = "楼道灯坏了好几天了，晚上很黑") -> int:
        """A resident's need taken and started by `member`, who then presses 办结 ("done") or 退回 ("back"): the step
        waits for their words; returns the ticket's id."""
        ticket_id = await self.submit(person, text)
        details = await self.take_and_start(member)
        await self.press(member, f"tk:{step}:{ticket_id}", details.message)
        return ticket_id

    async def submit(self, person: int, text: str = "楼道灯坏了好几天了，晚上很黑") -> int:
        """A whole intake; returns the new ticket's id."""
        before = self.count(Ticket)
        await self.intake_to_address(person, text)
        await self.say(person, "幸福里小区 3 号楼 2 单元 502")
        await self.say(person, "跳过")
        assert self.count(Ticket) == before + 1, self.replies(person)
        with db.transaction(self.engine) as s:
            return s.exec(select(func.max(Ticket.id))).one()


def _now() -> Any:
    from bot.handlers.common import now

    return now()


def chinese(text: str) -> bool:
    """A reply a Chinese-speaking resident can read (and not a stack trace)."""
    return bool(CJK.search(text)) and "Traceback" not in text and "Error" not in text


@asynccontextmanager
async def bot_chat(
    engine: Engine, data_dir: Path, classifier: Classifier, **settings: Any
) -> AsyncIterator[BotChat]:
    """A running BotChat on `engine` (migrated, with the geography). No quiet hours unless a test sets them: the
    suite runs at any hour, and a reminder delivered at 22:00 in Shanghai would otherwise wait for the morning."""
    settings.setdefault("QUIET_HOURS", "00:00-00:00")
    bot_settings = BotSettings(_env_file=None, DATA_DIR=data_dir, **settings)
    deps = Deps(engine=engine, settings=bot_settings, classifier=classifier,
                taxonomy=classifier.taxonomy, worker_id="test-worker")
    chat = BotChat(engine, bot_settings, deps)
    await chat.app.initialize()
    try:
        yield chat
    finally:
        await chat.app.shutdown()
