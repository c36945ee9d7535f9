"""Review of 25cbf8f: 号码 added to the words a door number follows (bot/numbers.py `_HOUSE`).

Found by a second review of the thirty-sixth session's fixes (each test failed before)."""

from __future__ import annotations

import pytest

from tests.bot.chat_harness import BotChat, texts_of

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1
NEED = "楼道灯坏了好几天了，晚上很黑"


async def test_a_phone_number_told_under_is_this_right_is_not_taken_for_the_address(chat: BotChat) -> None:
    """The resident tells her need, sees 「对吗？」 and, before pressing, adds 「我的电话号码是13812345678」 so the member
    can call her. Since 号码 counts as a door-number word (for 门牌号码3-502), any number after it is a house number:
    her phone number is taken as her address (「已记下上门地址：我的电话号码是13812345678」), and the ticket would go
    out with no place to go to."""
    await chat.say(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, "我的电话号码是13812345678"))
    state = chat.intake_draft(RESIDENT) or {}
    assert "已记下上门地址" not in shown and "13812345678" not in (state.get("address") or ""), (shown, state)
