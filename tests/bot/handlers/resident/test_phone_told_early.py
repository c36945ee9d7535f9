"""A phone number told under the 「对吗？」 card (to be folded into test_address_and_phone.py)."""

from __future__ import annotations

import pytest

from bot import texts
from routing.models import Ticket
from tests.bot.chat_harness import BotChat, texts_of

RESIDENT = 1
NEED = "楼道灯坏了好几天了，晚上很黑"
ADDRESS = "幸福里小区 3 号楼 2 单元 502"

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def test_a_yes_with_the_phone_confirms_and_the_phone_is_not_asked_again(chat: BotChat) -> None:
    """An older resident answers the card with 「对的，我电话13812345678」: the bot said 「我是社区服务助手…请直接说说您
    遇到的问题」, the need stayed unconfirmed and the number was lost. Now the yes confirms, the number is kept, and once
    the address is told the ticket is registered with it, the phone not asked."""
    await chat.say(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, "对的，我电话13812345678"))
    assert "已记下联系电话：13812345678" in shown, shown
    assert chat.intake_draft(RESIDENT)["step"] == "address", shown
    shown = texts_of(await chat.say(RESIDENT, ADDRESS))
    assert texts.ASK_PHONE not in shown and "已为您登记工单" in shown, shown
    ticket = chat.ticket(1)
    assert (ticket.phone, ticket.address, ticket.text) == ("13812345678", ADDRESS, NEED)


@pytest.mark.parametrize("words", ["我电话13812345678", "手机：138 1234 5678", "有事打我电话一三八一二三四五六七八"],
                         ids=["labelled", "grouped", "in_numerals"])
async def test_the_phone_alone_under_the_card_is_kept_and_the_card_shown_again(chat: BotChat, words: str) -> None:
    """The number alone, before 确认: kept, the card asked again; 确认 then goes to the address, and the ticket takes
    the number without asking for it."""
    await chat.say(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, words))
    assert "已记下联系电话：13812345678" in shown and "对吗" in shown, shown
    assert chat.intake_draft(RESIDENT)["step"] == "confirm"
    await chat.say(RESIDENT, "对")
    await chat.say(RESIDENT, ADDRESS)
    assert chat.count(Ticket) == 1 and chat.ticket(1).phone == "13812345678"
