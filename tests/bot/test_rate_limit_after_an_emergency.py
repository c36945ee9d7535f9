"""MESSAGES_PER_MINUTE after 644a028: the answers at an urgent ticket's steps pass, a held-back message touches
nothing (bot/handlers/router.py _incoming).
Found by a review of the thirty-fourth session's later fixes (each test failed before; its docstring tells the bug as it was found)."""

from __future__ import annotations

import pytest

from tests.bot.chat_harness import BotChat
from tests.bot.test_abuse_flows import ADDRESS, Clock, card, chat, clock, intake  # noqa: F401

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1


async def test_the_first_message_held_back_after_an_emergency_gets_the_polite_answer(
    chat: BotChat, clock: Clock  # noqa: F811
) -> None:
    """An old woman has typed a lot this minute (20 messages while describing the stairwell light), then smells gas:
    「煤气泄漏了，好大的味道」 — the 21st message, which passes as urgent words do. She gives her address and skips the
    phone (the answers at an urgent ticket's steps pass now), and the stairwell light comes back with 「对吗？」. She
    types 「对」 — and the bot says nothing at all: no 「您的消息发得有点快…」, no card, nothing. Each of her next
    messages this minute is dropped in silence too, so she believes the bot is broken right after an emergency.
    The polite answer goes only with the message that is the first over the limit (abuse.MessageCount.first_exceeded,
    used in bot/handlers/router.py _route), and that message was the gas leak, which was not held back; since
    644a028 the urgent ticket's address and phone pass as well, so the first message really held back comes later
    and finds the answer 'spent'."""
    clock.advance(seconds=5)
    card(await chat.say(RESIDENT, "楼道灯坏了好几天了，晚上很黑"), "我理解您反映的是")
    for _ in range(19):
        await chat.say(RESIDENT, "你好")  # 20 messages this minute, each answered
    urgent = await chat.say(RESIDENT, "煤气泄漏了，好大的味道")  # the 21st: urgent, never held back
    assert any("已为您登记紧急工单" in r.text for r in urgent)
    clock.advance(seconds=10)
    assert await chat.say(RESIDENT, ADDRESS) != []  # the urgent ticket's address: passes
    assert await chat.say(RESIDENT, "跳过") != []  # its phone: passes, the waiting need comes back
    assert (intake(chat, RESIDENT) or {}).get("text") == "楼道灯坏了好几天了，晚上很黑", intake(chat, RESIDENT)
    clock.advance(seconds=10)  # still the same minute
    answered = await chat.say(RESIDENT, "对")
    assert answered != [], "her first message held back got no answer at all"


def _photo(n: int) -> list[dict]:
    return [{"file_id": f"scene-{n}", "file_unique_id": f"s{n}", "width": 1280, "height": 960}]


async def test_photos_of_a_fire_sent_at_its_address_step_reach_the_urgent_ticket(
    chat: BotChat, clock: Clock  # noqa: F811
) -> None:
    """A resident has typed a lot this minute (20 messages), then her stairwell fills with smoke: 「楼道里着火了，好多烟」.
    The urgent ticket is opened at once and the bot asks where she is. Before answering she sends the photo of the
    smoke, as the bot invites at any step (a photo there is added to the urgent ticket at once, 「照片已收到」, and the
    step asked again). The photo is dropped in silence: no answer, and the urgent ticket the coordinators are looking
    at has no photo. 644a028 lets the answers at an urgent ticket's steps through MESSAGES_PER_MINUTE
    (bot/handlers/router.py _incoming, `at_urgent_step`), but only words (ADDRESS, PHONE), not a photo at those steps
    (PHOTO_AT_STEP), which is held back like any message."""
    clock.advance(seconds=5)
    for _ in range(20):
        await chat.say(RESIDENT, "你好")  # the 21st message of the minute gets the polite answer
    urgent = await chat.say(RESIDENT, "楼道里着火了，好多烟")
    assert any("已为您登记紧急工单" in r.text for r in urgent), [r.text for r in urgent]
    state = intake(chat, RESIDENT) or {}
    assert state.get("ticket_id") and state.get("step") == "address", state
    clock.advance(seconds=5)
    answered = await chat.say(RESIDENT, None, photo=_photo(1))
    assert "scene-1" in (chat.ticket(state["ticket_id"]).attachments or []), [r.text for r in answered]
