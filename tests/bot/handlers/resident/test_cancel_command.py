"""/cancel while a second need waits (to be folded into test_intake.py)."""

from __future__ import annotations

import pytest

from bot import texts
from routing.models import Ticket
from tests.bot.chat_harness import BotChat, texts_of

RESIDENT = 1

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def test_cancel_drops_the_first_need_and_the_second_comes_next(chat: BotChat) -> None:
    """She told two needs at once (楼道灯坏了，另外厨房水管也漏了) and was told the second would follow the first. She
    sends /cancel under the first one's card: 「好的，这条诉求已取消」 — and the kitchen pipe was gone without a word,
    while 取消 pressed on the card goes on to it. Now /cancel does the same: the pipe's card follows; a second
    /cancel drops that one too."""
    await chat.say(RESIDENT, "楼道灯坏了，另外厨房水管也漏了")
    shown = texts_of(await chat.say(RESIDENT, "/cancel"))
    assert texts.INTAKE_CANCELLED in shown and "厨房水管也漏了" in shown and "对吗" in shown, shown
    assert "厨房水管" in chat.intake_draft(RESIDENT)["text"]
    shown = texts_of(await chat.say(RESIDENT, "/cancel"))
    assert texts.INTAKE_CANCELLED in shown and "对吗" not in shown, shown
    assert chat.intake_draft(RESIDENT) is None and chat.count(Ticket) == 0
