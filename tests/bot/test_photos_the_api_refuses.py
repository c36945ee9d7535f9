"""Telegram methods the emulator (tests/emulator/server.js) does not have: sendPhoto answers 404
"Not Found: method sendPhoto is not emulated" (PTB raises InvalidToken).
Found by a review of Telegram's failures (each test failed before: a refused photo held the person's chat ~43 min)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.bot.chat_harness import BotChat, photo, texts_of
from tests.conftest import World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1


def without_send_photo(chat: BotChat) -> list[str]:
    """The Bot API as the emulator answers it: no sendPhoto (404). Returns the methods refused."""
    from bot.console import _ApiError

    real, refused = chat._telegram_dispatch, []

    async def emulator(name: str, params: dict, files: dict) -> Any:
        if name == "sendphoto":
            refused.append(name)
            raise _ApiError(404, "Not Found: method sendPhoto is not emulated")
        return await real(name, params, files)

    chat._telegram_dispatch = emulator
    return refused


async def test_the_rating_prompt_is_not_held_behind_a_completion_photo_that_cannot_be_sent(
    chat: BotChat, world: World
) -> None:
    """王师傅 fixes the stairwell light and presses 办结 with a photo of the lit stairs and a note. On a Bot API
    without sendPhoto (the emulator) the resident should still be asked at once to rate the service
    (「请为这次服务打个分」 with its star buttons). Instead the photo's failed send holds the resident's chat
    (bot/delivery.py deliver_one: InvalidToken → mark_failed(holds_chat=True)), and the rating prompt queued
    after it waits behind a photo that will never go: for the photo's ten attempts, about 43 minutes."""
    member = world.member("王师傅", ["电工"])
    ticket_id = await chat.submit(RESIDENT, "楼道灯坏了好几天了，晚上很黑")
    details = await chat.take_and_start(member)
    refused = without_send_photo(chat)
    mark = len(chat.events)
    await chat.press(member, f"tk:done:{ticket_id}", details.message)
    await chat.say(member, "灯泡换好了，亮了", photo=photo("lit"))
    assert str(chat.ticket(ticket_id).status).endswith("resolved"), chat.ticket(ticket_id).status
    shown = texts_of(chat.replies(RESIDENT, mark))
    assert "已办结" in shown, shown
    assert refused, "the photo was tried"
    assert "请为这次服务打个分" in shown, shown


async def test_a_members_next_offer_is_not_held_behind_a_residents_photo_that_cannot_be_sent(
    chat: BotChat, world: World
) -> None:
    """A resident reports the dark stairwell with a photo; 王师傅 takes it (「接单成功 … 📷 居民发的照片 1 张」). On a
    Bot API without sendPhoto (the emulator) the photo cannot follow. Then a neighbour in the same grid reports that
    the lights at home do not work: 王师傅, on duty with room for more, should get 「📋 有一张新工单等您接单」 at once. Instead the
    failed photo holds his chat (bot/delivery.py deliver_one: InvalidToken → mark_failed(holds_chat=True)) and the
    new offer waits behind it — past its own wave, so it goes to someone else or to the coordinators."""
    member = world.member("王师傅", ["电工"])
    await chat.say(RESIDENT, None, photo=photo("stairs"), caption="楼道灯坏了好几天了，晚上很黑")
    card = next(r for r in chat.replies(RESIDENT) if "我理解" in r.text)
    await chat.press(RESIDENT, card.button("确认"), card.message)
    await chat.say(RESIDENT, "幸福里小区 3 号楼 2 单元 502")
    await chat.say(RESIDENT, "跳过")
    assert chat.ticket(1).attachments == ["stairs"]
    refused = without_send_photo(chat)
    offer = next(r for r in chat.replies(member) if "新工单" in r.text)
    await chat.press(member, offer.button("接单"), offer.message)
    assert refused and any("居民发的照片 1 张" in r.text for r in chat.replies(member))
    neighbour = RESIDENT + 100
    chat.home(neighbour)
    mark = len(chat.events)
    await chat.submit(neighbour, "家里的电灯不亮了，开关也没反应")
    shown = texts_of(chat.replies(member, mark))
    assert "新工单" in shown, f"王师傅 saw: {shown!r}"
