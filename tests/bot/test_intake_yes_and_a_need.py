"""The resident's 「对吗？」 card after bd2590c: a yes, or nothing, followed by a need told with its building.
Found by a review of the thirty-fourth session's later fixes (each test failed before; its docstring tells the bug as it was found)."""

from __future__ import annotations

import pytest

from tests.bot.chat_harness import BotChat, texts_of

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1
NEED = "楼道灯坏了好几天了，晚上很黑"






@pytest.mark.parametrize("words", ["对的，3号楼2单元电梯也坏了", "对的，2单元电梯也坏了", "3号楼2单元电梯也坏了"])
async def test_another_need_with_its_building_under_is_this_right_is_not_filed_as_the_address(
    chat: BotChat, words: str
) -> None:
    """Under 「我理解您反映的是：物业设施 · 照明楼道「楼道灯坏了好几天了，晚上很黑」对吗？」 the resident answers and adds
    another need, the natural way: 「对的，3号楼2单元电梯也坏了」 (yes, and the lift of 3号楼2单元 is broken too). The bot
    answers 「已记下上门地址：3号楼2单元电梯也坏了（登记时不用再说一遍）」, confirms the lighting need and asks for the
    phone: the lighting ticket is filed with 「3号楼2单元电梯也坏了」 as the address the member goes to, and the lift is
    never reported. (Before bd2590c these words were a new request.) 「3号楼2单元电梯也坏了」 alone, without the
    yes, is taken for the address the same way (the case bd2590c set out to fix). resident.address_only takes the whole
    clause numbers.address_in returns — words of the need included — for the address, also after a yes now, and the
    router (bot/handlers/router.py _route, `_a_need`) relies on the classifier being confident about the whole
    message to tell a need; with 对的 or 也 in it, it is not."""
    await chat.say(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, words))
    state = chat.intake_draft(RESIDENT) or {}
    assert "已记下上门地址" not in shown, shown
    assert state.get("text") != NEED or "电梯" not in (state.get("address") or ""), (shown, state)
