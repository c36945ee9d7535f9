"""Helpers the members' tests share: a coordinator's 指派 through the bot, a reply's buttons, a ticket filed straight
through routing and the notifications it made."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from routing import db, tickets
from routing.models import Notification
from tests.bot.chat_harness import BotChat, Reply
from tests.conftest import G11, RESIDENT, T0, World

TZ = ZoneInfo("Asia/Shanghai")


def buttons(reply: Reply) -> list[str]:
    return [b["text"] for row in reply.message.inline_keyboard for b in row] if reply.message else []


async def assign(chat: BotChat, coordinator: int, card: Reply, name: str) -> None:
    """指派 on `card`, then the member `name`."""
    listed = await chat.press(coordinator, card.button("指派"), card.message)
    picker = next(r for r in listed if name in str(buttons(r)))
    await chat.press(coordinator, picker.button(name), picker.message)


async def assign_through_bot(chat: BotChat, coordinator: int, member_name: str) -> None:
    """The coordinator's /dispatch → 指派 → the member's button."""
    waiting = next(r for r in await chat.say(coordinator, "/dispatch")
                   if "指派" in str(r.message and r.message.inline_keyboard))
    choose = await chat.press(coordinator, waiting.button("指派"), waiting.message)
    card = next(r for r in choose if r.message is not None and member_name in str(r.message.inline_keyboard))
    await chat.press(coordinator, card.button(member_name), card.message)


def file_ticket(world: World, text: str = "厨房水管漏水了", label: str = "repair.plumbing", at: datetime = T0,
                address: str = "幸福里3号楼2单元501") -> int:
    """A ticket of the world's RESIDENT in G11 (a plumbing leak unless told), filed through routing at `at`."""
    with db.transaction(world.engine) as s:
        return tickets.submit_ticket(s, RESIDENT, text, at, label=label, grid_code=G11, address=address,
                                     phone="13800000000", confidence=0.9, settings=world.settings).id


def notifications(world: World, ticket_id: int, kind: str, recipient: int | None = None) -> list[Notification]:
    """A ticket's notifications of `kind` (to `recipient`), oldest first."""
    with db.transaction(world.engine) as s:
        q = select(Notification).where(Notification.ticket_id == ticket_id, Notification.kind == kind)
        if recipient is not None:
            q = q.where(Notification.recipient_id == recipient)
        return list(s.exec(q.order_by(Notification.id)))
