"""The member's side, found by a review in the thirty-fourth session (each test failed before): 办结's photo and words in
two messages, 不方便 pressed after 接单, an invite code typed in two halves. Each test's docstring tells the bug as the
member (or the resident they serve) saw it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from routing import db, dispatch, members
from routing.models import Ticket
from tests.bot.chat_harness import BotChat, photo, texts_of
from tests.conftest import World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1






async def test_the_words_sent_right_after_a_completion_photo_are_the_note_not_a_new_need(
    chat: BotChat, world: World
) -> None:
    """办结 asks 「请用一句话说明办理结果（也可以发一张照片配文字）」. The member sends the photo of the new bulb, then
    types the sentence as the next message (as most people do on a phone: the photo first, the words after it). The
    photo alone resolved the ticket with an empty note, and the sentence a minute later goes to the member's resident
    flow: the bot answers it as a stranger's message (「我是社区服务助手…请直接说说您遇到的问题」, or 「我理解您反映的是…」
    for words that read as a need), the note is kept nowhere, and the resident never learns what was done."""
    member = world.member("王师傅", ["电工"])
    ticket_id = await chat.submit(RESIDENT, "楼道灯坏了好几天了，晚上很黑")
    details = await chat.take_and_start(member)
    await chat.press(member, f"tk:done:{ticket_id}", details.message)
    await chat.say(member, None, photo=photo("bulb"))
    to_member = texts_of(await chat.say(member, "楼道灯泡已经换成新的了，亮了"))
    assert "我理解您反映的是" not in to_member and "请直接说说您遇到的问题" not in to_member, to_member
    assert chat.count(Ticket) == 1
    shown_to_resident = texts_of(chat.replies(RESIDENT))
    assert "换成新的" in shown_to_resident or "换成新的" in (chat.ticket(ticket_id).resolution_note or ""), (
        chat.ticket(ticket_id).resolution_note, shown_to_resident)



async def test_an_invite_code_typed_in_two_halves_is_taken_whole(chat: BotChat, world: World) -> None:
    """The coordinator reads the eight-letter code out over the phone in two halves, and the new member types
    「/join ABCD EFGH」. Invite codes are meant to be space-insensitive (members.normalize_code drops every space), but
    /join reads only the first word: the member is told 「邀请码不存在，请向协调员确认」 for a code that is valid."""
    code = world.invite()
    shown = texts_of(await chat.say(4242, f"/join {code[:4]} {code[4:]}"))
    assert "邀请码不存在" not in shown, shown
    assert "称呼" in shown, shown


async def test_a_completion_photo_sent_right_after_the_note_reaches_the_resident(chat: BotChat, world: World) -> None:
    """The same step the other way round: the member types 「灯泡换好了」 as the note, then sends the photo of the lit
    stairwell a moment later. The note alone resolved the ticket and closed the 办结 step, so the photo goes to the
    member's resident flow: the member is told 「照片收到了。请再用一句话说说是什么问题」 as if reporting a new problem,
    and the resident never gets the photo of the work."""
    member = world.member("王师傅", ["电工"])
    ticket_id = await chat.submit(RESIDENT, "楼道灯坏了好几天了，晚上很黑")
    details = await chat.take_and_start(member)
    await chat.press(member, f"tk:done:{ticket_id}", details.message)
    await chat.say(member, "灯泡换好了")
    to_member = texts_of(await chat.say(member, None, photo=photo("lit-stairs")))
    assert "是什么问题" not in to_member, to_member
    assert "lit-stairs" in (chat.ticket(ticket_id).resolution_attachments or []), to_member


async def test_a_quick_second_tap_on_decline_after_accepting_does_not_say_the_ticket_went_to_others(
    chat: BotChat, world: World
) -> None:
    """接单 and 不方便 sit side by side under an offer. The member taps 接单 and, before the message changes on his phone,
    his thumb also lands on 不方便 (or he has second thoughts). He holds the ticket — the resident was told 「已由 王师傅
    接单」 and 接单成功 with the address came — but the second tap rewrites the offer to 「好的，已转给其他党员。」:
    decline_offer returns quietly for an offer that is no longer pending, and the handler then tells him it was passed
    on, whatever happened to it (taken by himself, by another member, or cancelled)."""
    member = world.member("王师傅", ["电工"])
    ticket_id = await chat.submit(RESIDENT, "楼道灯坏了好几天了，晚上很黑")
    offer = next(r for r in reversed(chat.replies(member)) if "新工单" in r.text)
    await chat.press(member, offer.button("接单"), offer.message)
    second = texts_of(await chat.press(member, f"of:dec:{ticket_id}", offer.message))
    held = chat.ticket(ticket_id)
    assert held.status == "accepted" and held.assignee_id == world.member_id(member)
    assert "已转给其他党员" not in second, second


async def test_a_member_back_after_blocking_the_bot_is_told_they_are_off_duty(chat: BotChat, world: World) -> None:
    """Found by the matching review (the test failed before): a member who blocked the bot was set off duty (offers
    could not reach them). When they unblock it — Telegram sends /start — they were greeted as any member and never
    told that no ticket will come until they send /duty."""
    member = world.member("王师傅", ["水暖"])
    with db.transaction(world.engine) as s:
        dispatch.member_unreachable(s, member, datetime.now(UTC), settings=world.settings)
        assert not members.get_member(s, member).on_duty
    back = texts_of(await chat.say(member, "/start"))
    assert "恢复接单" in back, back
    await chat.say(member, "/duty on")
    assert "恢复接单" not in texts_of(await chat.say(member, "/start"))
