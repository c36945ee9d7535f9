"""A member between other duties and a coordinator who answers for the results, found by a review (each test failed
on the code before): what the coordinator who assigned is told, the words after 不方便 and 办结, a started task's card,
old 开始/办结 buttons, and an assignment to a member at capacity."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from classifier import Classifier
from routing import db, dispatch, tickets
from tests.bot.chat_harness import BotChat, bot_chat
from tests.conftest import COORD, GRID_COORD, World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1
NEED = "楼道灯坏了好几天了，晚上很黑"


async def _assign_through_bot(chat: BotChat, coordinator: int, member_name: str) -> None:
    """The coordinator's /dispatch → 指派 → the member's button."""
    waiting = next(r for r in await chat.say(coordinator, "/dispatch") if "指派" in str(r.message and r.message.inline_keyboard))
    choose = await chat.press(coordinator, waiting.button("指派"), waiting.message)
    card = next(r for r in choose if r.message is not None and member_name in str(r.message.inline_keyboard))
    await chat.press(coordinator, card.button(member_name), card.message)


async def test_the_coordinator_who_assigned_is_told_of_the_acceptance_in_their_words(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """A coordinator assigns a ticket (指派) and the member accepts: the coordinator is told in a coordinator's words, not
    the resident's 「您的工单 … 对方会尽快联系您」."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        await chat.submit(RESIDENT, NEED)  # nobody registered yet: it waits for 派单
        member = world.member("王师傅", ["电工"])
        await _assign_through_bot(chat, COORD, "王师傅")
        offer = next(r for r in chat.replies(member) if "指派给您" in r.text)
        mark = len(chat.events)
        await chat.press(member, offer.button("接单"), offer.message)
        told = [r.text for r in chat.replies(COORD, mark)]
        assert told, "the coordinator is told"
        assert not any("您的工单" in t or "对方会尽快联系您" in t for t in told), told


async def test_declining_a_coordinators_assignment_is_not_passed_to_other_members(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """不方便 on what a coordinator assigned sends the ticket back to the coordinators, and says so (not 「已转给其他党员」)."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        ticket_id = await chat.submit(RESIDENT, NEED)
        member = world.member("王师傅", ["电工"])
        await _assign_through_bot(chat, GRID_COORD, "王师傅")
        offer = next(r for r in chat.replies(member) if "指派给您" in r.text)
        shown = [r.text for r in await chat.press(member, offer.button("不方便"), offer.message)]
        assert chat.ticket(ticket_id).status == "dispatch"  # back with the coordinators, no other member asked
        assert not any("已转给其他党员" in t for t in shown), shown


async def test_coordinator_who_assigned_hears_of_the_decline(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """The street coordinator who assigned a ticket of G11 hears of the member's decline, as of an acceptance (not only
    the grid's coordinator)."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        await chat.submit(RESIDENT, NEED)
        member = world.member("王师傅", ["电工"])
        await _assign_through_bot(chat, COORD, "王师傅")
        offer = next(r for r in chat.replies(member) if "指派给您" in r.text)
        mark = len(chat.events)
        await chat.press(member, offer.button("不方便"), offer.message)
        assert chat.replies(GRID_COORD, mark), "the grid coordinator is told"
        assert chat.replies(COORD, mark), "the coordinator who assigned it is told nothing"


async def test_done_says_the_points_are_in_already(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """办结 gives the points at once (/points right after shows them), and its words say so."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        member = world.member("王师傅", ["电工"])
        ticket_id = await chat.submit(RESIDENT, NEED)
        details = await chat.take_and_start(member)
        await chat.press(member, f"tk:done:{ticket_id}", details.message)
        done = [r.text for r in await chat.say(member, "已经修好了，换了新灯泡")]
        pts = [r.text for r in await chat.say(member, "/points")]
        assert chat.ticket(ticket_id).status == "resolved"
        assert any("积分：0" not in t for t in pts if "积分：" in t), pts  # points given already
        assert not any("评价后积分" in t for t in done), (done, pts)


async def test_tasks_card_of_a_started_ticket_does_not_ask_to_press_start(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """/tasks shows a ticket in progress with 办结 / 退回, and its text does not ask to press 开始办理."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        member = world.member("王师傅", ["电工"])
        ticket_id = await chat.submit(RESIDENT, NEED)
        now = datetime.now(UTC)
        with db.transaction(chat.engine) as s:
            dispatch.accept_offer(s, ticket_id, member, now)
            tickets.start_ticket(s, ticket_id, member, now)
        cards = [r for r in await chat.say(member, "/tasks") if r.text.startswith("📌")]
        assert len(cards) == 1
        assert "办结" in str(cards[0].message.inline_keyboard)
        assert "开始办理" not in cards[0].text, cards[0].text


async def test_old_done_button_of_a_resolved_ticket_does_not_ask_for_a_note(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """An old 办结 (the /tasks copy, or the first card) of a ticket already resolved asks for no note."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        member = world.member("王师傅", ["电工"])
        ticket_id = await chat.submit(RESIDENT, NEED)
        now = datetime.now(UTC)
        with db.transaction(chat.engine) as s:
            dispatch.accept_offer(s, ticket_id, member, now)
            tickets.start_ticket(s, ticket_id, member, now)
        card = next(r for r in await chat.say(member, "/tasks") if r.message and r.message.inline_keyboard)
        await chat.press(member, card.button("办结"), card.message)
        await chat.say(member, "修好了")
        assert chat.ticket(ticket_id).status == "resolved"
        again = [r.text for r in await chat.press(member, card.button("办结"), card.message)]
        assert not any("请用一句话说明办理结果" in t for t in again), again


async def test_after_an_old_done_button_the_members_own_need_is_not_refused(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """After an old 办结, the member's next words (a need of their own) are not taken as that ticket's note."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        member = world.member("王师傅", ["电工"])
        ticket_id = await chat.submit(RESIDENT, NEED)
        now = datetime.now(UTC)
        with db.transaction(chat.engine) as s:
            dispatch.accept_offer(s, ticket_id, member, now)
            tickets.start_ticket(s, ticket_id, member, now)
            tickets.resolve_ticket(s, ticket_id, member, now, note="修好了")
        await chat.deliver()
        card = next(r for r in chat.replies(member) if "接单成功" in r.text)
        await chat.press(member, f"tk:done:{ticket_id}", card.message)
        shown = [r.text for r in await chat.say(member, "我家厨房下水道堵了，水下不去")]
        assert not any("不能变为" in t for t in shown), shown


async def test_pressing_start_twice_is_harmless(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """开始 pressed twice (a double tap, or the first card and then the /tasks copy) changes nothing and raises no alert,
    as a second 接单 by the winner."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        member = world.member("王师傅", ["电工"])
        ticket_id = await chat.submit(RESIDENT, NEED)
        offer = next(r for r in chat.replies(member) if "新工单" in r.text)
        await chat.press(member, offer.button("接单"), offer.message)
        details = next(r for r in chat.replies(member) if "接单成功" in r.text)
        await chat.press(member, f"tk:start:{ticket_id}", details.message)
        again = [r.text for r in await chat.press(member, f"tk:start:{ticket_id}", details.message)]
        assert not any("不能变为" in t for t in again), again


async def test_a_coordinator_cannot_assign_to_a_member_at_capacity(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """A member at capacity could never accept (接单 is refused): the 指派 is refused with the reason, and the ticket
    stays waiting for 派单 (it was left offered with no timer)."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        chat.home(RESIDENT + 1)
        member = world.member("王师傅", ["电工"], capacity=1)
        first = await chat.submit(RESIDENT, NEED)
        with db.transaction(chat.engine) as s:
            dispatch.accept_offer(s, first, member, datetime.now(UTC))
        second = await chat.submit(RESIDENT + 1, "我家下水道堵了，水下不去")  # no plumber: 派单
        assert chat.ticket(second).status == "dispatch"
        mark = len(chat.events)
        await _assign_through_bot(chat, GRID_COORD, "王师傅")
        told = [r.text for r in chat.replies(GRID_COORD, mark)]
        assert any("上限" in t for t in told), told
        assert chat.ticket(second).status == "dispatch"
        assert not any("指派给您" in r.text for r in chat.replies(member))
