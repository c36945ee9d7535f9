"""The member's side after the thirty-fourth session's fixes: edges of the new rules.
Found by a review of the thirty-fourth session's own fixes (each test failed before; its docstring tells the bug as it was found)."""

from __future__ import annotations

import pytest

from routing.models import Ticket
from tests.bot.chat_harness import BotChat, photo, texts_of
from tests.conftest import World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1






async def test_a_completion_photo_with_a_caption_sent_after_the_note_reaches_the_resident(
    chat: BotChat, world: World
) -> None:
    """At 办结 the member types 「灯泡换好了，亮了」, then sends the photo of the lit stairwell with a short caption,
    「换好后的样子」. A photo without a caption now joins the resolution, but this one is taken as the member's own new
    request: the member is answered 「请先选择您所在的社区和网格（只需选一次）」 (a member with a home area gets a
    「我理解您反映的是…」 / 「我不太确定…」 card about his own photo), and the resident never gets the photo of the work.
    The ALBUM window (bot/handlers/router.py _target) takes a photo only when it comes without words (`photo_alone`),
    and words only while the note is missing; a captioned photo after the note is neither."""
    member = world.member("王师傅", ["电工"])
    ticket_id = await chat.submit(RESIDENT, "楼道灯坏了好几天了，晚上很黑")
    details = await chat.take_and_start(member)
    await chat.press(member, f"tk:done:{ticket_id}", details.message)
    await chat.say(member, "灯泡换好了，亮了")
    to_member = texts_of(await chat.say(member, None, caption="换好后的样子", photo=photo("lit-stairs")))
    assert "lit-stairs" in (chat.ticket(ticket_id).resolution_attachments or []), to_member
    assert "社区和网格" not in to_member and "我理解您反映的是" not in to_member, to_member
    assert chat.count(Ticket) == 1


async def test_thanks_for_the_points_after_a_completion_photo_are_not_sent_to_the_resident_as_the_note(
    chat: BotChat, world: World
) -> None:
    """The member resolves with the photo of the new bulb alone and reads 「✅ 已办结，辛苦了！本单积分已记入…」. He
    answers it, as people answer a kind word: 「好的，谢谢」. The resident then gets 「📝 王师傅 补充了工单 #… 的办理说明：
    「好的，谢谢」」. For five minutes after a 办结 without words (ALBUM_WINDOW, note_missing) the router
    (bot/handlers/router.py _target) and member._finish_task take any words as the note, even thanks or a greeting
    (the phone step, for one, does not keep 谢谢 as words of the request)."""
    member = world.member("王师傅", ["电工"])
    ticket_id = await chat.submit(RESIDENT, "楼道灯坏了好几天了，晚上很黑")
    details = await chat.take_and_start(member)
    await chat.press(member, f"tk:done:{ticket_id}", details.message)
    await chat.say(member, None, photo=photo("bulb"))
    await chat.say(member, "好的，谢谢")
    await chat.deliver()
    to_resident = texts_of(chat.replies(RESIDENT))
    assert "「好的，谢谢」" not in to_resident, to_resident
    assert "好的，谢谢" not in (chat.ticket(ticket_id).resolution_note or ""), chat.ticket(ticket_id).resolution_note
