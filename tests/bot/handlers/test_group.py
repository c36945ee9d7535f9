"""Group chats, through the real Application on the offline console's in-process Bot API: only a
coordinator's /subscribe and /unsubscribe are answered (/unsubscribe of one scope among several says what is
left); a subscribed group gets its scope's alerts without personal data; a resident writing in a group gets
nothing and no ticket. Delivery: a group that removed the bot (403) is unsubscribed, one that became a supergroup
is followed."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import select
from telegram.error import ChatMigrated, Forbidden
from telegram.ext import Application, CallbackContext

from bot import texts
from bot.app import build_application, make_deps
from bot.config import BotSettings
from bot.console import BotEvent, ConsoleRequest, StoredMessage
from bot.delivery import deliver_outbox, groups_delivered
from classifier import Classifier
from routing import db, subscriptions, tickets
from routing.models import (
    Draft,
    GroupSubscription,
    Notification,
    NotificationKind,
    NotificationStatus,
    Person,
    Ticket,
)
from tests.bot.chat_harness import BotChat, bot_chat
from tests.bot.test_delivery import FakeBot, make_context
from tests.bot.test_failures import failing_statement
from tests.conftest import C1, COORD, G11, GRID_COORD, RESIDENT, World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

GROUP = -5001
ADDRESS, PHONE, NAME = "幸福里3号楼2单元501", "13912345678", "张阿姨"
_message_ids = itertools.count(1000)


class Console:
    """The real bot on a ConsoleRequest, with helpers to speak in a group and wait for quiet."""

    def __init__(self, app: Application, request: ConsoleRequest) -> None:
        self.app, self.request = app, request
        self.events: list[BotEvent] = []
        request.add_listener(self.events.append)
        self.pushed = 0

    def say_in_group(self, user_id: int, text: str, chat_id: int = GROUP) -> None:
        """A person writes in a group (a command gets its bot_command entity, as Telegram sends)."""
        message: dict[str, Any] = {"message_id": next(_message_ids), "date": int(time.time()),
                                   "chat": self.request.chat(chat_id), "from": self.request.user(user_id),
                                   "text": text}
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        self.pushed = self.request.push_update({"message": message})

    def bot_removed(self, chat_id: int = GROUP) -> None:
        """Telegram tells the bot it was removed from a group (my_chat_member)."""
        self.pushed = self.request.push_update({"my_chat_member": {
            "chat": self.request.chat(chat_id), "from": self.request.user(GRID_COORD),
            "date": int(time.time()),
            "old_chat_member": {"status": "member", "user": self.request.bot_user},
            "new_chat_member": {"status": "kicked", "user": self.request.bot_user, "until_date": 0},
        }})

    async def settle(self) -> None:
        """Wait until every pushed update was fetched and handled, and the bot fell quiet."""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            busy = (self.request.delivered_update_id < self.pushed or not self.app.update_queue.empty()
                    or self.app.update_processor.current_concurrent_updates
                    or time.monotonic() - self.request.last_activity < 0.2)
            if not busy:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the bot did not settle")

    async def deliver(self) -> None:
        """One pass of the outbox delivery job, as the repeating job runs it, and the groups' messages it sends in the
        background. (Awaited: a job scheduled to run at once started late on a loaded machine, after `settle` had
        seen the bot quiet.)"""
        await deliver_outbox(CallbackContext(self.app))
        await groups_delivered(self.app.bot_data)
        await self.settle()

    def messages(self, chat_id: int) -> list[StoredMessage]:
        return [m for m in self.request.messages(chat_id) if m.from_bot]


@pytest.fixture
async def console(engine: Engine, world: World, db_url: str) -> AsyncIterator[Console]:
    settings = BotSettings(_env_file=None, DATABASE_URL=db_url)
    request = ConsoleRequest()
    app = build_application(settings, make_deps(settings, engine), request)
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        yield Console(app, request)
        await app.updater.stop()
        await app.stop()


def count(engine: Engine, model: Any) -> int:
    with db.transaction(engine) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def submit_urgent(engine: Engine, settings: Any) -> str:
    with db.transaction(engine) as s:
        ticket = tickets.submit_ticket(s, RESIDENT, f"{NAME}家燃气味很重，电话{PHONE}", datetime.now(UTC),
                                       label=None, grid_code=G11, address=ADDRESS, phone=PHONE,
                                       urgent=True, resident_name=NAME, settings=settings)
        return f"#{ticket.number}"


# --- /subscribe and /unsubscribe: only a coordinator's, in a group ---

async def test_only_a_coordinators_subscribe_is_answered_in_a_group(console: Console, engine: Engine,
                                                                   world: World) -> None:
    for text in ("/subscribe", "/start", "/help", "/my", "/dispatch", "/unknown",
                 "楼道灯坏了好几天了，请派人修一下", "/subscribe 网格"):
        console.say_in_group(RESIDENT, text)
    await console.settle()
    assert console.events == []  # not a word: neither in the group nor in the resident's chat
    assert count(engine, Ticket) == 0 and count(engine, GroupSubscription) == 0
    assert count(engine, Draft) == 0
    with db.transaction(engine) as s:
        assert s.get(Person, RESIDENT) is None  # nothing was stored about them either

    console.say_in_group(GRID_COORD, "/subscribe@jiedan_console_bot")  # as group clients send it
    await console.settle()
    [answer] = console.messages(GROUP)
    assert "已订阅" in answer.text and "幸福里第一网格" in answer.text
    console.say_in_group(COORD, "/subscribe 月球社区")  # a coordinator's mistake is explained
    await console.settle()
    assert "没有找到「月球社区」" in console.messages(GROUP)[-1].text
    with db.transaction(engine) as s:
        assert [n.code for n in subscriptions.group_scopes(s, GROUP)] == [G11]


async def test_subscribe_in_a_private_chat_says_where_to_send_it(console: Console) -> None:
    console.request.send_user_message(GRID_COORD, "/subscribe")
    console.pushed = console.request.send_user_message(RESIDENT, "/subscribe")
    await console.settle()
    assert "在群里" in console.messages(GRID_COORD)[-1].text
    assert "只对协调员开放" in console.messages(RESIDENT)[-1].text


async def _in_group(chat: BotChat, person: int, text: str) -> list[str]:
    """`person` sends a command in the group; what the bot said there."""
    payload = chat.message_payload(person, text, chat=chat.request.chat(GROUP),
                                   entities=[{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}])
    return [r.text for r in await chat.push({"message": payload}, GROUP)]


async def test_unsubscribing_one_scope_does_not_call_the_other_one_outside_ones_scope(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """The street coordinator subscribes the street's work group to 幸福里社区 and to 幸福里第一网格, then ends the
    grid's subscription with /unsubscribe 幸福里第一网格. The bot answers in the group 「已取消订阅：幸福里第一网格
    仍在订阅（不在您的管辖范围内，需由相应协调员取消）：幸福里社区」 — but 幸福里社区 is his own scope, he could end it
    himself with /unsubscribe 幸福里社区; the group is told it needs some other coordinator to do it
    (unsubscribe_group puts every subscription it did not end in `kept`, also those left only because another scope
    was named)."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        assert any("已订阅" in t for t in await _in_group(chat, COORD, "/subscribe 幸福里社区"))
        assert any("已订阅" in t for t in await _in_group(chat, COORD, "/subscribe 幸福里第一网格"))
        answer = "\n".join(await _in_group(chat, COORD, "/unsubscribe 幸福里第一网格"))
        assert "已取消订阅：幸福里第一网格" in answer, answer
        with db.transaction(engine) as s:
            assert [n.code for n in subscriptions.group_scopes(s, GROUP)] == [C1]
        assert "不在您的管辖范围内" not in answer, answer


async def test_subscribe_in_a_group_while_the_database_fails_asks_to_try_again(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """A coordinator types /subscribe 幸福里社区 in the street's work group just as the database connection drops: the
    bot said nothing in the group (errors were answered in private chats only), so he could not tell whether the group
    was subscribed. Now he is asked to try again, and the second try subscribes it."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        with failing_statement(engine, "group_subscription") as failed:
            answer = await _in_group(chat, COORD, "/subscribe 幸福里社区")
        assert failed, "the failure was injected"
        assert answer == [texts.TRY_AGAIN], answer
        chat.errors.clear()
        assert any("已订阅" in t for t in await _in_group(chat, COORD, "/subscribe 幸福里社区"))
        with db.transaction(engine) as s:
            assert [n.name for n in subscriptions.group_scopes(s, GROUP)] == ["幸福里社区"]


# --- the alerts a subscribed group gets ---

async def test_a_subscribed_group_gets_alerts_without_personal_data(console: Console, engine: Engine,
                                                                   world: World) -> None:
    console.say_in_group(GRID_COORD, "/subscribe")
    await console.settle()
    number = submit_urgent(engine, world.settings)
    await console.deliver()
    alert = console.messages(GROUP)[-1]
    assert "紧急工单" in alert.text and number in alert.text and "幸福里第一网格" in alert.text
    assert "私聊" in alert.text and alert.inline_keyboard == []
    shown = alert.text.replace(number, "")  # (a ticket number such as #R9501 may hold "501")
    for personal in (ADDRESS, PHONE, NAME, "燃气味很重", "501"):
        assert personal not in shown
    private = [m.text for m in console.messages(GRID_COORD)]  # the coordinator's own copy: all of it
    assert any(number in text and ADDRESS in text for text in private)

    console.say_in_group(RESIDENT, "/unsubscribe")  # not a coordinator: silence, nothing ends
    await console.settle()
    assert console.messages(GROUP)[-1] is alert and count(engine, GroupSubscription) == 1
    console.say_in_group(GRID_COORD, "/unsubscribe")
    await console.settle()
    assert "已取消订阅：幸福里第一网格" in console.messages(GROUP)[-1].text
    before = len(console.messages(GROUP))
    submit_urgent(engine, world.settings)
    await console.deliver()
    assert len(console.messages(GROUP)) == before  # no more alerts


# --- a group that removed the bot, or became a supergroup ---

async def test_removing_the_bot_from_a_group_unsubscribes_it(console: Console, engine: Engine) -> None:
    console.say_in_group(GRID_COORD, "/subscribe")
    await console.settle()
    assert count(engine, GroupSubscription) == 1
    console.bot_removed()
    await console.settle()
    assert count(engine, GroupSubscription) == 0


async def test_a_group_upgraded_to_a_supergroup_keeps_its_subscription(console: Console,
                                                                       engine: Engine) -> None:
    console.say_in_group(GRID_COORD, "/subscribe")
    await console.settle()
    new_id = -1005550001
    console.pushed = console.request.push_update({"message": {  # Telegram's service message
        "message_id": next(_message_ids), "date": int(time.time()), "chat": console.request.chat(GROUP),
        "from": console.request.user(GRID_COORD), "migrate_to_chat_id": new_id}})
    await console.settle()
    with db.transaction(engine) as s:
        assert [n.code for n in subscriptions.group_scopes(s, new_id)] == [G11]
        assert subscriptions.group_scopes(s, GROUP) == []
    assert len(console.messages(GROUP)) == 1  # the service message got no answer


def _group_note(engine: Engine, world: World) -> int:
    with db.transaction(engine) as s:
        subscriptions.subscribe_group(s, GROUP, GRID_COORD, datetime.now(UTC))
    submit_urgent(engine, world.settings)
    with db.transaction(engine) as s:
        return s.exec(select(Notification.id).where(
            Notification.kind == NotificationKind.group_alert)).one()


def failing_in_group(bot: FakeBot, *errors: Exception) -> list[str]:
    """Make the fake bot raise `errors` for the group's next sends; returns what it tried to send there."""
    send, queued, tried = bot.send_message, list(errors), []

    async def send_message(chat_id: int, text: str, **kwargs: Any) -> Any:
        if chat_id == GROUP:
            tried.append(text)
            if queued:
                raise queued.pop(0)
        return await send(chat_id, text, **kwargs)

    bot.send_message = send_message  # type: ignore[method-assign]
    return tried


async def _deliver(engine: Engine, bot: FakeBot) -> None:
    """A delivery pass and the groups' messages it sends in the background."""
    context = make_context(engine, bot)
    await deliver_outbox(context)
    await groups_delivered(context.bot_data)


async def test_403_from_a_group_unsubscribes_it_and_marks_no_person(engine: Engine, world: World) -> None:
    note = _group_note(engine, world)
    bot = FakeBot()
    tried = failing_in_group(bot, Forbidden("Forbidden: bot was kicked from the group chat"))
    await _deliver(engine, bot)
    assert len(tried) == 1
    with db.transaction(engine) as s:
        assert s.get(Notification, note).status == NotificationStatus.unreachable
        assert s.exec(select(GroupSubscription)).all() == []
        assert s.get(Person, GROUP) is None
        assert s.get(Person, GRID_COORD).unreachable_at is None  # the coordinators still get theirs
    assert any(m["chat_id"] == GRID_COORD for m in bot.sent)


async def test_a_group_that_became_a_supergroup_gets_its_alert_at_the_new_id(engine: Engine,
                                                                            world: World) -> None:
    note = _group_note(engine, world)
    new_id = -1009876543210
    bot = FakeBot()
    failing_in_group(bot, ChatMigrated(new_id))
    await _deliver(engine, bot)
    await _deliver(engine, bot)  # the next pass sends it to the new id
    assert [m["chat_id"] for m in bot.sent].count(new_id) == 1
    assert GROUP not in [m["chat_id"] for m in bot.sent]
    with db.transaction(engine) as s:
        moved = s.get(Notification, note)
        assert (moved.recipient_id, moved.status) == (new_id, NotificationStatus.sent)
        assert [n.code for n in subscriptions.group_scopes(s, new_id)] == [G11]
