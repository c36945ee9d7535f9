"""Words after a rating after bd2590c: its comment unless they open with 另外/还有.
Found by a review of the thirty-fourth session's later fixes (each test failed before; its docstring tells the bug as it was found)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.bot.chat_harness import BotChat, texts_of
from tests.conftest import World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1






@pytest.mark.parametrize("words", ["谢谢师傅！另外我家厨房水管也漏水了", "师傅辛苦了。还有个事，楼下的垃圾好几天没人清了"])
async def test_a_new_need_told_after_thanks_below_the_rating_is_not_swallowed_as_its_comment(
    chat: BotChat, world: World, words: str
) -> None:
    """The stairwell light is fixed; the resident gives 5 stars and, as people do, thanks the member first and then
    says what else is wrong: 「谢谢师傅！另外我家厨房水管也漏水了」. The bot answers 「补充说明已记录」 — the leak is
    stored as the lighting ticket's rating comment, no request is opened and nobody will come, while the resident
    believes it was reported. (Before bd2590c this message opened a plumbing request.) The new rule
    (resident.tells_another_need, used in bot/handlers/router.py _route for COMMENT) looks for 另外/还有 only at the
    very start of the message, so a need after a thank-you (谢谢…另外…, 辛苦了。还有个事…) is a comment."""
    member = world.member("王师傅", ["电工"])
    chat.resolved_ticket(member, "楼道灯坏了好几天了", "property.public_lighting", datetime.now(UTC) - timedelta(hours=1))
    await chat.deliver()
    prompt = next(r for r in chat.replies(RESIDENT) if "打个分" in r.text)
    await chat.press(RESIDENT, prompt.button("5"), prompt.message)
    shown = texts_of(await chat.say(RESIDENT, words))
    assert chat.intake_draft(RESIDENT) is not None, shown


async def test_still_a_problem_after_a_low_rating_is_its_comment(chat: BotChat, world: World) -> None:
    """The stairwell light was 「fixed」; the resident gives 1 star and reads 「…工单已重新打开，协调员会跟进。想补充说明的话
    直接回复」. They reply why, the usual way: 「还有问题，一开灯就跳闸」 (there is still a problem: the switch trips).
    Instead of 「补充说明已记录」 they get a new 「我理解您反映的是：…电路…对吗？」 card, and the reason is not stored
    as the rating's comment, so the coordinators following up the reopened ticket never read it. bd2590c made words
    after a rating a comment unless they open with 另外/还有 (resident.tells_another_need), but 还有 opens 「还有问题」,
    「还有毛病」 — "still" a problem, the commonest reason for a low rating — as well as 「还有，…」 (and another thing)."""
    member = world.member("王师傅", ["电工"])
    chat.resolved_ticket(member, "楼道灯坏了好几天了", "property.public_lighting", datetime.now(UTC) - timedelta(hours=1))
    await chat.deliver()
    prompt = next(r for r in chat.replies(RESIDENT) if "打个分" in r.text)
    await chat.press(RESIDENT, prompt.button("1"), prompt.message)
    shown = texts_of(await chat.say(RESIDENT, "还有问题，一开灯就跳闸"))
    assert "我理解您反映的是" not in shown and chat.intake_draft(RESIDENT) is None, shown
