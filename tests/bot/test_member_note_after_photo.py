"""The 办结 note after a photo-only 办结 (bd2590c: 好的，谢谢 after a photo-only 办结 is not the note).
Found by a review of the thirty-fourth session's later fixes (each test failed before; its docstring tells the bug as it was found)."""

from __future__ import annotations

import pytest

from tests.bot.chat_harness import BotChat, photo, texts_of
from tests.conftest import World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1






@pytest.mark.parametrize("note", ["灯泡换好了，亮了", "已经修好了", "线路已修复", "处理好了"])
async def test_the_note_typed_after_the_completion_photo_reaches_the_resident(
    chat: BotChat, world: World, note: str
) -> None:
    """At 办结 the member, on his phone, sends the photo of the lit stairwell first and then types what he did:
    「灯泡换好了，亮了」 (or 已经修好了, 线路已修复, 处理好了). The note is never stored nor sent to the resident
    (no 「📝 王师傅 补充了工单 #… 的办理说明」): the member gets an answer meant for a resident's thanks or question
    instead of 「已补充办理说明」. The new rule for 「好的，谢谢」 (bot/handlers/router.py _route: `_talk`) takes any
    words the classifier reads as thanks, a greeting or a status question for talk — and the classifier reads
    nearly every completion note as thanks (「修好了」 is how residents thank) or as a status question
    (线路已修复)."""
    member = world.member("王师傅", ["电工"])
    ticket_id = await chat.submit(RESIDENT, "楼道灯坏了好几天了，晚上很黑")
    details = await chat.take_and_start(member)
    await chat.press(member, f"tk:done:{ticket_id}", details.message)
    await chat.say(member, None, photo=photo("bulb"))
    to_member = texts_of(await chat.say(member, note))
    assert chat.ticket(ticket_id).resolution_note == note, (to_member, chat.ticket(ticket_id).resolution_note)
