"""What a resident lives through from the first message to a ticket and its rating, found by a review in the
thirty-fourth session (each test failed before): words told at the phone step, an emergency told while another need
waits, everyday answers under 「对吗？」, an address told early, words at the area step, stars typed as ⭐, a new
need after a rating. Each test's docstring tells the bug as it was found."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot import texts
from routing.models import Ticket
from tests.bot.chat_harness import BotChat, card_with, texts_of
from tests.conftest import World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1
NEED = "楼道灯坏了好几天了，晚上很黑"
ADDRESS = "幸福里小区3号楼2单元502"








async def _to_phone_step(chat: BotChat) -> None:
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, ADDRESS)
    assert chat.intake_draft(RESIDENT)["step"] == "phone"


# ── the phone step ───────────────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize(("words", "kept"), [
    ("白天家里没人，晚上6点以后再来，门卫在3号楼旁边", "晚上6点以后"),
    ("厨房水管也在漏水，就在5号楼", "厨房水管"),
])
async def test_words_at_the_phone_step_that_name_a_building_are_not_dropped(
    chat: BotChat, words: str, kept: str
) -> None:
    """Asked for a phone, the resident writes 「白天家里没人，晚上6点以后再来，门卫在3号楼旁边」. The bot answers
    「已补充地址：幸福里小区3号楼2单元502 门卫在3号楼旁边」 and that is all: 「白天家里没人，晚上6点以后再来」 is
    in neither the request nor the address, so the member comes at noon to an empty flat. phone_typed
    (bot/handlers/resident.py) takes numbers.address_in(rest) as more of the address and returns, dropping the rest
    of the message, although the step promises words there are never dropped."""
    await _to_phone_step(chat)
    shown = texts_of(await chat.say(RESIDENT, words))
    await chat.say(RESIDENT, "跳过")
    ticket = chat.ticket(1)
    waiting = chat.intake_draft(RESIDENT) or {}
    assert kept in ticket.text or kept in (ticket.address or "") or kept in waiting.get("text", ""), (
        shown, ticket.text, ticket.address, waiting)


async def test_another_need_told_at_the_phone_step_is_not_folded_into_the_first(chat: BotChat) -> None:
    """At the address step 「另外我家厨房水管也漏水了」 is kept as a need of its own and taken up after the first
    (「这件事我先记下了」). One step later, at the phone step, the same words are glued to the lighting ticket as
    「（补充）另外我家厨房水管也漏水了」: the electrician is sent a plumbing job and no plumbing ticket is ever made.
    phone_typed treats every request-like message as a supplement; it never checks, as address_given does, for a
    confident request of another item."""
    await _to_phone_step(chat)
    await chat.say(RESIDENT, "另外我家厨房水管也漏水了")
    after = texts_of(await chat.say(RESIDENT, "跳过"))
    assert "水管" not in chat.ticket(1).text, chat.ticket(1).text
    assert texts.NEXT_NEED in after or chat.count(Ticket) == 2, after


# ── an emergency told while another need waits ───────────────────────────────────────────────────────
async def test_an_emergency_told_before_confirming_another_need_does_not_lose_that_need(chat: BotChat) -> None:
    """The resident tells 「楼道灯坏了好几天了」, gets 「对吗？」, and before pressing 确认 smells gas and writes
    「厨房一股煤气味，很大」. The emergency is handled (119 first, a ticket at once), but the lighting need is gone:
    nothing says 「您刚才还提到另一件事」 once the gas ticket has its address and phone, and pressing 确认 on its card
    afterwards says 「这个按钮已经失效了」. At the address and phone steps the router keeps the need in progress
    (`then`) for after the emergency; at the confirm step (bot/handlers/router.py _route) the urgent message is a plain
    new request whose draft replaces the need being confirmed."""
    shown = await chat.say(RESIDENT, NEED)
    light = card_with(shown, "确认")
    assert "119" in texts_of(await chat.say(RESIDENT, "厨房一股煤气味，很大"))
    await chat.say(RESIDENT, ADDRESS)
    after = texts_of(await chat.say(RESIDENT, "跳过"))
    pressed = texts_of(await chat.press(RESIDENT, light.button("确认"), light.message))
    assert "楼道灯" in after or texts.STALE_BUTTON not in pressed, (after, pressed)


async def test_the_address_given_before_an_emergency_is_not_asked_again_after_it(chat: BotChat) -> None:
    """The resident has described the broken light, confirmed it and given 「幸福里小区3号楼2单元502」; at the phone
    step they write 「楼下着火了！好多烟」. After the fire ticket is done the light need comes back from the start:
    its 「对吗？」 card, then 「请告诉我需要上门的地址」 although they gave it a minute ago (the 使用上次的地址 button
    offers the fire's address, not this one). The router keeps only the need's text, photos and next need (`then`
    in bot/handlers/router.py _route), not the address already told."""
    await _to_phone_step(chat)
    await chat.say(RESIDENT, "楼下着火了！好多烟")
    await chat.say(RESIDENT, "幸福里3号楼楼下")
    await chat.say(RESIDENT, "跳过")
    state = chat.intake_draft(RESIDENT)
    assert state is not None and "楼道灯" in state["text"], state
    assert state.get("address") == ADDRESS, state


# ── typed answers under 「对吗？」 ──────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("words", ["没问题", "对对对", "是的是的", "对的，谢谢", "不对不对"])
async def test_everyday_answers_under_is_this_right_are_understood(chat: BotChat, words: str) -> None:
    """The card says 「对吗？没问题请点「确认」，不对请点「修改」。」. An older resident types 「没问题」 (the card's own
    word), 「对对对」 or 「是的是的」 and is told 「我是社区服务助手…请直接说说您遇到的问题」, as if nothing had been said;
    「对的，谢谢」 gets 「不客气！能帮上忙我们很高兴」 and the resident leaves believing the need was registered, while
    it waits unconfirmed for ever; 「不对不对」 also gets the introduction, not the categories. typed_answer's _YES and _NO
    (bot/handlers/resident.py) take a single word only: no repetition, no 没问题, nothing after it."""
    await chat.say(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, words))
    state = chat.intake_draft(RESIDENT)
    assert texts.NON_REQUEST["other"] not in shown, shown
    moved_on = state is not None and state["step"] != "confirm"
    assert moved_on or texts.CHOOSE_CATEGORY in shown, (shown, state)


# ── the area step ───────────────────────────────────────────────────────────────────────────────────
async def test_a_new_resident_who_types_their_community_is_not_asked_for_their_problem_again(
    chat: BotChat
) -> None:
    """A first-time resident writes 「楼道灯坏了好几天了，晚上很黑」 and is shown the communities. Instead of pressing
    one, they type 「我住幸福里社区3号楼」: the bot answers 「我是社区服务助手…请直接说说您遇到的问题」 (with 登记为诉求),
    while their need sits waiting for a community; the community buttons are not shown again. The router has no
    route for text at the intake's area step (bot/handlers/router.py _target): it is a new message."""
    newcomer = 55
    await chat.say(newcomer, NEED)
    assert chat.intake_draft(newcomer)["step"] == "area"
    shown = await chat.say(newcomer, "我住幸福里社区3号楼")
    assert texts.NON_REQUEST["other"] not in texts_of(shown), texts_of(shown)


# ── ratings ─────────────────────────────────────────────────────────────────────────────────────────
async def test_stars_typed_as_star_emoji_rate_the_ticket(chat: BotChat, world: World) -> None:
    """Under 「请为这次服务打个分」, whose buttons read 「5 ⭐⭐⭐⭐⭐」, the resident types ⭐⭐⭐⭐⭐ (or 5颗⭐). The bot
    answers with its introduction 「我是社区服务助手…请直接说说您遇到的问题」: the ticket stays unrated and the buttons
    are not shown again. stars_typed (bot/handlers/resident.py) takes a star emoji only after a digit (5⭐) and
    _RATING_WORDS has none; the classifier then strips the emoji and reads nothing."""
    member = world.member("王师傅", ["电工"])
    ticket_id = chat.resolved_ticket(member, "楼道灯坏了好几天了", "property.public_lighting",
                          datetime.now(UTC) - timedelta(hours=1))
    await chat.deliver()
    shown = texts_of(await chat.say(RESIDENT, "⭐⭐⭐⭐⭐"))
    assert chat.ticket(ticket_id).rating == 5 or texts.RATE_WITH_BUTTONS in shown, shown


async def test_a_new_need_right_after_a_rating_is_not_filed_as_its_comment(chat: BotChat, world: World) -> None:
    """The resident gives the repaired light 5 stars (the ticket closes) and, a minute later, writes
    「另外我家厨房下水道堵了，水下不去，在3号楼2单元502」. The bot answers 「补充说明已记录，谢谢您！」: the words are
    stored as the comment of the closed lighting ticket and no plumbing ticket is ever made, while the resident
    believes it was registered. For 30 minutes (COMMENT_WINDOW) the router takes any words as the rating's comment
    (bot/handlers/router.py _target), even a confident request of another item than the rated ticket's."""
    member = world.member("王师傅", ["电工"])
    ticket_id = chat.resolved_ticket(member, "楼道灯坏了好几天了", "property.public_lighting",
                          datetime.now(UTC) - timedelta(hours=1))
    await chat.deliver()
    prompt = next(r for r in chat.replies(RESIDENT) if "打个分" in r.text)
    await chat.press(RESIDENT, prompt.button("5"), prompt.message)
    assert chat.ticket(ticket_id).status == "closed"
    shown = texts_of(await chat.say(RESIDENT, "另外我家厨房下水道堵了，水下不去，在3号楼2单元502"))
    state = chat.intake_draft(RESIDENT)
    assert (state is not None and "下水道" in state["text"]) or chat.count(Ticket) == 2, shown


# ── a need told in two messages ─────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("where", ["地址是幸福里小区3号楼2单元502", "在幸福里3号楼2单元502"])
async def test_the_address_typed_under_is_this_right_neither_replaces_the_need_nor_is_lost(
    chat: BotChat, where: str
) -> None:
    """The resident writes 「楼道灯坏了好几天了，晚上很黑」, sees 「对吗？」 and, before pressing 确认, adds where:
    「地址是幸福里小区3号楼2单元502」. That message becomes a new request of its own: the lighting need is replaced by
    「我不太确定这属于哪类事项」 offering 燃气泄漏 / 小区停车 / 电梯故障 for the address, and 确认 on the lighting card
    answers 「这个按钮已经失效了」. Written 「在幸福里3号楼2单元502」 it gets 「我是社区服务助手…请直接说说您遇到的问题」
    and, after 确认, 「请告诉我需要上门的地址」 as if never said. Only the address and phone steps read an address
    (bot/handlers/router.py _target); at the confirm step every message is a new need."""
    card = card_with(await chat.say(RESIDENT, NEED), "确认")
    shown = texts_of(await chat.say(RESIDENT, where))
    pressed = texts_of(await chat.press(RESIDENT, card.button("确认"), card.message))
    state = chat.intake_draft(RESIDENT)
    assert texts.STALE_BUTTON not in pressed and state is not None and state["text"] == NEED, (shown, pressed, state)
    assert state["step"] == "phone", (shown, pressed, state)
