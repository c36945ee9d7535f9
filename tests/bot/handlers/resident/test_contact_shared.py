"""A contact card shared during an intake (to be folded into test_address_and_phone.py)."""

from __future__ import annotations

import pytest

from bot import texts
from routing.models import Ticket
from tests.bot.chat_harness import BotChat, texts_of

RESIDENT = 1
NEED = "楼道灯坏了好几天了，晚上很黑"
ADDRESS = "幸福里小区 3 号楼 2 单元 502"
SONS_CARD = {"phone_number": "+86 139 1234 5678", "first_name": "李明"}
OWN_CARD = {"phone_number": "13812345678", "first_name": "张阿姨", "user_id": RESIDENT}

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def test_her_sons_card_at_the_phone_step_is_the_number_to_call(chat: BotChat) -> None:
    """Asked for a phone, she sends her son's card from the address book (he will let the worker in). The ticket was
    registered with no phone, his number dropped without a word; now it is the ticket's phone, and the request says
    whose it is."""
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, ADDRESS)
    assert "已为您登记工单" in texts_of(await chat.say(RESIDENT, None, contact=SONS_CARD))
    ticket = chat.ticket(1)
    assert ticket.phone == "+8613912345678" and "联系人：李明" in ticket.text, (ticket.phone, ticket.text)


@pytest.mark.parametrize("card", [OWN_CARD, SONS_CARD], ids=["own", "her_sons"])
async def test_a_card_under_the_card_or_at_the_address_step_is_kept_for_the_phone_step(chat: BotChat,
                                                                                     card: dict) -> None:
    """A card sent before the phone is asked — under 「对吗？」 (「您刚才说的事还没有提交」, the number lost) or at the
    address step (「手机号等下一步再发就行」, lost too) — is kept; the phone step is then not asked."""
    await chat.say(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, None, contact=card))
    assert "已记下联系电话" in shown and "对吗" in shown, shown
    await chat.say(RESIDENT, "对")
    assert chat.intake_draft(RESIDENT)["step"] == "address"
    shown = texts_of(await chat.say(RESIDENT, None, contact=OWN_CARD))
    assert "已记下联系电话：13812345678" in shown and "地址" in shown, shown  # (the address asked again)
    assert texts.ASK_PHONE not in texts_of(await chat.say(RESIDENT, ADDRESS))
    assert chat.count(Ticket) == 1 and chat.ticket(1).phone == "13812345678"
