"""A member's answer to an offer or a 指派 typed in words instead of pressed: a refusal is pointed to 「不方便」, a
plan to go later to 「接单」, and a member's own need or question is not taken for a refusal."""

from __future__ import annotations

import pytest

from bot import texts
from tests.bot.chat_harness import BotChat, assign, buttons
from tests.bot.conftest import RESIDENT
from tests.bot.handlers.coordinator.helpers import NEED, dispatch_cards, offered
from tests.conftest import GRID_COORD, World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


# --- a refusal typed in words ---

async def test_a_member_who_types_that_he_cannot_take_an_assignment_is_pointed_to_decline(
    chat: BotChat, world: World
) -> None:
    """The 网格员 assigns a ticket to 王师傅 (「👉 协调员指派给您一张工单」). 王师傅, an older volunteer, answers in words, as
    he would to a person: 「我在外地，这单接不了」 (or just 「不方便」). The bot answers him as a new resident:
    「我是社区服务助手，可以帮您登记生活中的困难和诉求…请直接说说您遇到的问题。」 (sometimes with 「📝 这是我的诉求，登记为诉求」). The
    assignment stays pending, the coordinator hears nothing for three wave timeouts and then only 「一直没有回复」. Typing
    「接单」 is pointed to the button (PRESS_TAKE, member.about_their_work), README: "Members' words do what their buttons
    would where it is safe" — but a refusal is not recognised at all. Expected: words refusing an offer or
    assignment waiting for the member's answer point to 「不方便」 (or decline it), not the resident's welcome."""
    ticket_id = await chat.submit(RESIDENT, NEED)
    wang = world.member("王师傅", ["电工"])
    card = dispatch_cards(await chat.say(GRID_COORD, "/dispatch"))[0]
    await assign(chat, GRID_COORD, card, "王师傅")
    assert any("指派给您" in r.text for r in chat.replies(wang))
    for words in ("我在外地，这单接不了", "不方便"):
        told = "\n".join(r.text for r in await chat.say(wang, words))
        assert "社区服务助手" not in told, (words, told)
        assert "不方便" in told or "婉拒" in told or "已告诉协调员" in told, (words, told)
    assert chat.ticket(ticket_id).status == "offered"  # (still asked, not lost)


async def test_polite_typed_refusals_are_pointed_to_decline(chat: BotChat, world: World) -> None:
    """王师傅 has an offer waiting. He answers it in words as people do, politely: 「不好意思，这单我不方便」,
    「今天有事，不方便」, or that it is not his trade: 「这个我修不了」. The fix e85a0ba points 「不方便」 alone and
    「我在外地，这单接不了」 to the 「不方便」 button, but these everyday variants still get the resident's welcome
    (「我是社区服务助手…请直接说说您遇到的问题」): _JUST_NOT_CONVENIENT must match the whole message (a 不好意思 / 今天有事
    before it breaks it) and _REFUSING has no 不方便 nor 修不了 / 干不了 / 弄不了. Expected: pointed to 「不方便」 too."""
    wang = await offered(chat, world)
    for words in ("不好意思，这单我不方便", "今天有事，不方便", "这个我修不了"):
        told = "\n".join(r.text for r in await chat.say(wang, words))
        assert "社区服务助手" not in told, (words, told)
        assert texts.PRESS_DECLINE in told, (words, told)


async def _answers(chat: BotChat, world: World, phrases: tuple[str, ...]) -> dict[str, str]:
    wang = await offered(chat, world)
    return {w: "\n".join(r.text for r in await chat.say(wang, w)) for w in phrases}


async def test_a_refusal_with_its_reason_after_it_is_pointed_to_decline(chat: BotChat, world: World) -> None:
    """王师傅 has an offer waiting and types the refusal first, the reason after: 「接不了，我在外地」,
    「这单我接不了了，家里有事」. Before c14815e (_REFUSING.search) these were answered 「不能接的话，请点工单消息下面的
    「不方便」按钮…」; now _REFUSAL must match the whole message and allows nothing after the refusal but 怎么办/行吗, so he
    gets the new resident's welcome 「我是社区服务助手…请直接说说您遇到的问题。」 with 「📝 这是我的诉求，登记为诉求」 and the
    offer waits unanswered. A regression. Expected: pointed to 「不方便」."""
    seen = await _answers(chat, world, ("接不了，我在外地", "这单我接不了了，家里有事"))
    for words, told in seen.items():
        assert texts.PRESS_DECLINE in told, (words, told)
        assert "社区服务助手" not in told, (words, told)


async def test_a_refusal_with_an_everyday_reason_or_particle_is_pointed_to_decline(
    chat: BotChat, world: World
) -> None:
    """「家里有事，去不了」, 「不好意思啊，今天去不了」, 「现在在外地，回不来」, 「我在外地呢」 — ordinary refusals from a member
    with an offer waiting. Each contains 去不了 / 在外地, which _REFUSING.search answered with 「不方便」 before c14815e.
    Now 家里 is not in _WHO_WHEN, 啊 / 呢 are not in _PAUSE or the endings, 回不来 is not in _CANNOT, so the whole-message
    match fails and he gets 「我是社区服务助手…」 (a regression). Expected: pointed to 「不方便」."""
    seen = await _answers(chat, world, ("家里有事，去不了", "不好意思啊，今天去不了", "现在在外地，回不来", "我在外地呢"))
    for words, told in seen.items():
        assert texts.PRESS_DECLINE in told, (words, told)


async def test_a_reason_alone_is_pointed_to_decline(chat: BotChat, world: World) -> None:
    """The neighbour of the fix: _WHY lists 在忙, 不舒服, 太忙了 as reasons, but a reason typed alone as the answer —
    「在忙」, 「人不舒服」, 「最近太忙了」 — needs a _CANNOT word after it, so he is welcomed as a new resident
    (「我是社区服务助手…」) while 「没时间」 or 「人不在本地」 alone are pointed to 「不方便」. Expected: the same answer."""
    seen = await _answers(chat, world, ("在忙", "人不舒服", "最近太忙了"))
    for words, told in seen.items():
        assert "社区服务助手" not in told, (words, told)
        assert texts.PRESS_DECLINE in told, (words, told)


async def test_a_refusal_asked_as_a_question_is_pointed_to_decline(chat: BotChat, world: World) -> None:
    """王师傅 has an offer waiting and asks 「我这周在外地，接不了怎么办？」 — the very question the 「不方便」 button answers.
    The classifier reads it as a request (a land dispute), and about_their_work returns at once for a request
    (before the new refusal check, which would skip it anyway: _A_QUESTION, meant for a member's own 家里灯修好了吗,
    excludes anything ending in ？). So his refusal becomes an intake card of his own: 「「我这周在外地，接不了怎么办？」
    我不太确定这属于哪类事项，请选一个最接近的…」 and the offer stays unanswered. Expected: a
    refusal asked as a question (接不了怎么办？) is answered with the 「不方便」 button too."""
    wang = await offered(chat, world)
    seen = "\n".join(r.text for r in await chat.say(wang, "我这周在外地，接不了怎么办？"))
    assert texts.PRESS_DECLINE in seen, seen


# --- going later is no refusal ---

async def test_a_member_who_says_he_will_go_later_is_not_told_to_decline(chat: BotChat, world: World) -> None:
    """王师傅 has an offer waiting and types under it 「下午没时间，我晚上去修」 — he means to take it, tonight. The bot
    answers 「不能接的话，请点工单消息下面的「不方便」按钮，好及时另行安排。」: 没时间 anywhere in the words is read as a refusal
    (_REFUSING.search in member.about_their_work), and he is steered to the button that gives the ticket away.
    Expected: words that say when he will go are not answered as a refusal (rather: point to 「接单」)."""
    wang = await offered(chat, world)
    seen = "\n".join(r.text for r in await chat.say(wang, "下午没时间，我晚上去修"))
    assert texts.PRESS_DECLINE not in seen, seen


async def test_not_convenient_today_but_tomorrow_is_pointed_to_take_the_offer(chat: BotChat, world: World) -> None:
    """c14815e points 「下午没时间，我晚上去修」 to 「接单」 (_GOING_LATER), but its neighbour 「今天不方便，明天去修」 or
    「今天不行，明天过去」 gets 「我是社区服务助手…请直接说说您遇到的问题。」 with 「登记为诉求」: 不方便 / 不行 are in _CANNOT
    but not in _WHY, which is all _REASONS lets before the time. Expected: pointed to 「接单」 like the 没时间 wording."""
    seen = await _answers(chat, world, ("今天不方便，明天去修", "今天不行，明天过去"))
    for words, told in seen.items():
        assert texts.PRESS_TAKE in told, (words, told)


# --- a member's own need or question is no refusal ---

async def test_a_members_own_need_mentioning_a_trip_is_not_taken_for_a_refusal(chat: BotChat, world: World) -> None:
    """王师傅, a member with an offer waiting, is also a resident. He writes his own family's need:
    「我儿子出差了，家里水管漏了」. Since e85a0ba any message with 出差了 / 在外地 / 没时间 / 没空 … anywhere in it
    (_REFUSING.search) from a member with an offer is answered 「不能接的话，请点工单消息下面的「不方便」按钮，好及时另行安排。」
    — his leaking pipe is not registered nor offered 登记为诉求 (as it was before the fix, and as it is for any
    resident: 「我是社区服务助手…」 with 「📝 这是我的诉求，登记为诉求」), and he is nudged to decline an offer he did not
    mention. The same for his own ticket's news 「维修师傅说今天来不了」 (来不了), which a resident is answered about with
    his tickets and 登记为诉求. Expected: a message that tells a need
    is not read as a refusal of the offer."""
    wang = await offered(chat, world)
    for words in ("我儿子出差了，家里水管漏了", "维修师傅说今天来不了"):
        told = await chat.say(wang, words)
        seen = "\n".join(r.text for r in told)
        assert texts.PRESS_DECLINE not in seen, (words, seen)
        assert any("登记为诉求" in str(buttons(r)) for r in told), (words, seen)  # (as any resident is answered)


async def test_a_members_question_about_his_own_repair_is_not_taken_for_a_refusal(chat: BotChat, world: World) -> None:
    """王师傅 (an offer waiting) asks about something he was told: 「今天来不了？」, 「修不了？」. Before c14815e,
    _A_QUESTION kept a question (…？) from being read as a refusal; the fix dropped that check for the whole-message
    pattern (to accept 接不了怎么办？), and the trailing ？ is allowed by itself, so his question is answered 「不能接的话，
    请点工单消息下面的「不方便」按钮…」 — pushing him to give away an offer he did not mention. Expected: a bare question
    (ending in ？ with no 怎么办 / 行吗) is not answered as his refusal."""
    seen = await _answers(chat, world, ("今天来不了？", "修不了？"))
    for words, told in seen.items():
        assert texts.PRESS_DECLINE not in told, (words, told)
