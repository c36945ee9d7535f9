"""What the coordinators' tests share: the cards with 指派, a member with an offer waiting."""

from __future__ import annotations

from tests.bot.chat_harness import BotChat, Reply, buttons
from tests.bot.conftest import RESIDENT
from tests.conftest import World

NEED = "楼道灯坏了好几天了，晚上很黑"  # 照明楼道: an electrician's job (电工)
GAS = "厨房煤气味很大，好像漏气了"  # 燃气泄漏: urgent, 燃气维修 / 消防


def dispatch_cards(replies: list[Reply]) -> list[Reply]:
    """The replies with a 指派 button (/dispatch's cards, the 📮 and 🚨 cards)."""
    return [r for r in replies if "指派" in str(buttons(r))]


async def offered(chat: BotChat, world: World) -> int:
    """王师傅 has a wave offer (楼道灯) waiting for his answer; returns his id."""
    wang = world.member("王师傅", ["电工"])
    await chat.submit(RESIDENT, NEED)
    assert any("接单" in str(buttons(r)) for r in chat.replies(wang))
    return wang
