"""The resident's intake after the thirty-fourth session's fixes: regressions and edges of the new rules.
Found by a review of the thirty-fourth session's own fixes (each test failed before; its docstring tells the bug as it was found)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot import texts
from routing import db
from routing.models import Rating, Ticket
from tests.bot.chat_harness import BotChat, texts_of
from tests.conftest import World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1
NEED = "楼道灯坏了好几天了，晚上很黑"






async def test_a_new_need_with_a_building_number_under_is_this_right_is_not_taken_for_the_address(
    chat: BotChat
) -> None:
    """The resident tells 「楼道灯坏了好几天了，晚上很黑」 and sees 「对吗？」. Before pressing anything they write a
    different need, as people do, with its building: 「3号楼2单元电梯坏了」. The bot answers 「已记下上门地址：
    3号楼2单元电梯坏了（登记时不用再说一遍）」 and shows the lighting card again: the lift need is gone, and the
    lighting ticket would be filed with 「3号楼2单元电梯坏了」 as its address. (Before the fix of an address told early
    the lift was a new request.) resident.address_only (bot/handlers/resident.py) removes numbers.address_in(text)
    from the message and finds nothing left, but address_in returns the whole clause that holds a building number,
    words of the need included — so any one-clause need with a building number (its own docstring's example
    3号楼2单元的楼道灯坏了 too) is 'an address told on its own'."""
    await chat.say(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, "3号楼2单元电梯坏了"))
    state = chat.intake_draft(RESIDENT) or {}
    assert "已记下上门地址" not in shown, shown
    assert state.get("text") != NEED or "电梯坏了" not in (state.get("address") or ""), state



async def test_a_visit_note_told_with_also_at_the_phone_step_is_not_made_another_need(chat: BotChat) -> None:
    """Reporting a kitchen leak, at the phone step the resident writes how to get there: 「我们小区停车也不方便，师傅来了
    停在外面就行」 (parking is hard here too, just park outside). The bot answers 「「我们小区停车也不方便…」这件事我先
    记下了，等这一件登记好就接着为您办。这一件还差联系电话」: the plumbing ticket is filed without the note (the member is
    never told to park outside), and right after it a parking 「对吗？」 card is opened for a need the resident never
    had. Before the fix of another need told at the phone step these words were added to the ticket. The new rule
    (resident._another_need, bot/handlers/resident.py) takes any confident request of another item that contains 也 as
    another need; 也 is in most sentences about the visit (也不方便, 也没人, 也坏了)."""
    await chat.intake_to_address(RESIDENT, "厨房水管漏水了，地上全是水")
    await chat.say(RESIDENT, "幸福里小区3号楼2单元502")
    shown = texts_of(await chat.say(RESIDENT, "我们小区停车也不方便，师傅来了停在外面就行"))
    after = texts_of(await chat.say(RESIDENT, "跳过"))
    ticket = chat.ticket(1)
    assert "停在外面" in ticket.text, (shown, after, ticket.text)
    assert chat.count(Ticket) == 1 and "停车" not in after, (shown, after)


async def _newcomer_to_card(chat: BotChat, newcomer: int) -> None:
    asked = await chat.say(newcomer, NEED)
    area = next(r for r in asked if r.message is not None and r.message.inline_keyboard)
    grids = await chat.press(newcomer, area.button("幸福里社区"), area.message)
    grid = next(r for r in grids if r.message is not None and r.message.inline_keyboard)
    shown = await chat.press(newcomer, grid.button("幸福里第一网格"), grid.message)
    assert "对吗" in texts_of(shown), texts_of(shown)


async def test_a_first_time_resident_who_types_yes_under_is_this_right_is_not_sent_back_to_the_area(
    chat: BotChat
) -> None:
    """A first-time resident writes 「楼道灯坏了好几天了，晚上很黑」, chooses 幸福里社区 · 幸福里第一网格 (「好的，已记下您在
    …」), and gets the 「对吗？」 card. They type 「对」 (or 没问题): the bot answers 「您说的事我已经记下了。请点下面的按钮
    选择社区和网格，选好就接着为您登记。」 with the community buttons again — the community they have just chosen — and
    the need stays unconfirmed; whatever they type there (an address, 对, 没问题) gets the same. area_chosen
    (bot/handlers/resident.py) shows the card but leaves the intake draft at step "area", and the router's new
    AREA_WORDS rule (bot/handlers/router.py _target) sends every text at that step to the area buttons."""
    newcomer = 55
    await _newcomer_to_card(chat, newcomer)
    shown = texts_of(await chat.say(newcomer, "对"))
    assert "选择社区和网格" not in shown, shown
    assert (chat.intake_draft(newcomer) or {}).get("step") == "address", (shown, chat.intake_draft(newcomer))


async def test_a_fire_told_under_is_this_right_does_not_become_the_waiting_needs_address(chat: BotChat) -> None:
    """The resident has told 「楼道灯坏了好几天了，晚上很黑」 and sees 「对吗？」 when the building catches fire: 「3号楼
    着火了」. The fire is handled first (119, a ticket), and then the lighting need comes back — with 「3号楼着火了」 as its
    address, never asked for: the member is sent to 「3号楼着火了」. The router reads the fire as an address told early
    (resident.address_only takes any one-clause message with a building number for an address) and keeps that
    'address' with the need that waits for the emergency (`then` in bot/handlers/router.py _route)."""
    await chat.say(RESIDENT, NEED)
    await chat.say(RESIDENT, "3号楼着火了")
    await chat.say(RESIDENT, "幸福里小区3号楼2单元502")  # (the fire ticket's address)
    await chat.say(RESIDENT, "跳过")  # (its phone: the lighting need comes back)
    state = chat.intake_draft(RESIDENT) or {}
    assert "楼道灯" in state.get("text", ""), state
    assert "着火" not in (state.get("address") or ""), state


@pytest.mark.parametrize(("stars", "words"), [
    ("1", "只换了灯泡，线路有问题，一开灯就跳闸"),
    ("5", "师傅人很好，顺便帮我把水龙头也换了"),
])
async def test_the_reason_for_a_rating_that_names_another_item_is_its_comment(
    chat: BotChat, world: World, stars: str, words: str
) -> None:
    """The stairwell light was 「fixed」; the resident gives 1 star and reads 「…工单已重新打开，协调员会跟进。想补充说明的话
    直接回复」. They reply why: 「只换了灯泡，线路有问题，一开灯就跳闸」. Instead of 「补充说明已记录」 (the reason going to
    the coordinators with the 差评提醒, who need it) they get a new 「我理解您反映的是：…电路…对吗？」 card: the reason
    is not stored and the coordinators never see it. Likewise praise after 5 stars, 「师傅人很好，顺便帮我把水龙头也
    换了」, becomes a plumbing request. The router's new rule (bot/handlers/router.py _route: `_another_need` for
    COMMENT) takes any confident request of another item than the rated ticket's as a new need — but a reason or a
    thank-you names the work, often in another item's words."""
    member = world.member("王师傅", ["电工"])
    ticket_id = chat.resolved_ticket(member, "楼道灯坏了好几天了", "property.public_lighting",
                          datetime.now(UTC) - timedelta(hours=1))
    await chat.deliver()
    prompt = next(r for r in chat.replies(RESIDENT) if "打个分" in r.text)
    await chat.press(RESIDENT, prompt.button(stars), prompt.message)
    shown = texts_of(await chat.say(RESIDENT, words))
    assert "我理解您反映的是" not in shown and chat.intake_draft(RESIDENT) is None, shown
    with db.transaction(chat.engine) as s:
        rating = s.exec(select(Rating).where(Rating.ticket_id == ticket_id)).first()
        assert rating is not None and rating.comment == words, (shown, rating)


@pytest.mark.parametrize("words", ["对的，地址是幸福里小区3号楼2单元502", "是的，在3号楼2单元502"])
async def test_yes_with_the_address_under_is_this_right_neither_replaces_the_need_nor_is_lost(
    chat: BotChat, words: str
) -> None:
    """Under 「楼道灯坏了好几天了，晚上很黑 … 对吗？」 the resident answers the question and says where in one go:
    「对的，地址是幸福里小区3号楼2单元502」. The lighting need is replaced by a new request of these words, shown with
    「我不太确定这属于哪类事项」 and 燃气泄漏 / 电梯故障 / 小区停车 to choose from (「是的，在3号楼2单元502」 gets
    「我是社区服务助手…请直接说说您遇到的问题」 and the address is lost). The session's fixes understand 「对的」 alone
    (typed_answer) and an address alone (address_only), but a yes with the address is neither: the router
    (bot/handlers/router.py _target) makes it a new request."""
    await chat.say(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, words))
    state = chat.intake_draft(RESIDENT) or {}
    assert "我不太确定" not in shown and texts.NON_REQUEST["other"] not in shown, shown
    assert state.get("text") == NEED and "3号楼2单元502" in (state.get("address") or ""), (shown, state)
