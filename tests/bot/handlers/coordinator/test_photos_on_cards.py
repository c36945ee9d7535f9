"""The resident's photos reach the coordinators who answer for her ticket: after the 🚨 alert or the 📮 card that counts
them, once each (a later card of the same ticket neither counts nor sends them again)."""

from __future__ import annotations

import pytest

from tests.bot.chat_harness import BotChat, assign_through_bot, photo
from tests.bot.conftest import RESIDENT
from tests.bot.handlers.resident.intake_helpers import photos_to
from tests.conftest import GRID_COORD, World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def test_the_photo_sent_with_an_emergency_follows_the_alert(chat: BotChat) -> None:
    """A photo of the smoke with 「楼道里冒烟了，好像着火了」: the 🚨 card said nothing of it and the coordinators never saw
    it (only a member who took the ticket did). Now the card counts it and it follows."""
    chat.home(RESIDENT)
    await chat.say(RESIDENT, None, photo=photo("smoke"), caption="楼道里冒烟了，好像着火了")
    await chat.deliver()
    alert = next(r for r in chat.replies(GRID_COORD) if "紧急工单，请立即跟进" in r.text)
    assert "居民发的照片 1 张" in alert.text, alert.text
    assert len(photos_to(chat, GRID_COORD)) == 1, [r.text for r in chat.replies(GRID_COORD)]


async def test_the_photo_of_a_need_nobody_can_take_comes_with_the_first_dispatch_card_only(
    chat: BotChat, world: World
) -> None:
    """No electrician registered: the 📮 card of her 楼道灯 counts her photo and it follows. Assigned later and declined,
    the ticket's next 📮 card neither counts it nor sends it again."""
    understood = await chat.say(RESIDENT, None, photo=photo("dark-stairs"), caption="楼道灯坏了好几天了，晚上很黑")
    card = next(r for r in understood if "我理解您反映的是" in r.text)
    await chat.press(RESIDENT, card.button("确认"), card.message)
    await chat.say(RESIDENT, "幸福里小区 3 号楼 2 单元 502")
    mark = len(chat.events)
    await chat.say(RESIDENT, "跳过")
    await chat.deliver()
    first = next(r for r in chat.replies(GRID_COORD, mark) if "有工单需要派单" in r.text)
    assert "居民发的照片 1 张" in first.text, first.text
    assert len(photos_to(chat, GRID_COORD, mark)) == 1
    member = world.member("李师傅", ["电工"])
    await assign_through_bot(chat, GRID_COORD, "李师傅")
    offer = next(r for r in chat.replies(member) if "指派给您" in r.text)
    mark = len(chat.events)
    await chat.press(member, offer.button("不方便"), offer.message)
    await chat.deliver()
    again = [r.text for r in chat.replies(GRID_COORD, mark)]
    assert any("不方便" in t for t in again) and not any("居民发的照片" in t for t in again), again
    assert not photos_to(chat, GRID_COORD, mark), again
