"""/my while a need is being told (to be folded into test_intake.py)."""

from __future__ import annotations

import pytest

from bot import texts
from tests.bot.chat_harness import BotChat, texts_of

RESIDENT = 1
NEED = "楼道灯坏了好几天了，晚上很黑"

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def test_my_while_the_address_is_asked_says_the_need_is_not_registered_yet(chat: BotChat) -> None:
    """She confirmed 楼道灯坏了 and was asked for the address; unsure, she sends /my to see it: 「您还没有工单。遇到问题
    直接告诉我就行。」 — as if she had told nothing, and the address question gone from view. Now /my says nothing is
    registered yet and asks for the address again; the address then registers the ticket."""
    await chat.intake_to_address(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, "/my"))
    assert "遇到问题直接告诉我就行" not in shown and texts.STILL_NEEDS_ADDRESS in shown, shown
    await chat.say(RESIDENT, "幸福里小区 3 号楼 2 单元 502")
    assert "已为您登记工单" in texts_of(await chat.say(RESIDENT, "跳过"))


async def test_my_under_the_card_lists_the_tickets_then_shows_the_card_again(chat: BotChat) -> None:
    """With a ticket already registered and a second need waiting under 「对吗？」, /my lists the ticket and shows the
    waiting card again, its buttons last."""
    await chat.submit(RESIDENT, "小区门口的垃圾好几天没人清理了")
    await chat.say(RESIDENT, NEED)
    replies = await chat.say(RESIDENT, "/my")
    shown = texts_of(replies)
    assert "我的工单" in shown and texts.NEED_NOT_SUBMITTED in shown and "对吗" in replies[-1].text, shown
