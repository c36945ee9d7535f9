"""The edges of the conversations: words after a rating (its comment only for a while; an emergency is never a
comment), a member's note for a ticket that moved on meanwhile, what an offer hides however a number is written, the
notice of a reopened ticket to the member it was taken from, and a long answer measured as Telegram measures it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot import texts
from bot.handlers import resident
from classifier import Classifier
from routing import db, dispatch, drafts, tickets
from tests.bot.chat_harness import BotChat, bot_chat
from tests.conftest import World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1
NEED = "楼道灯坏了好几天了，晚上很黑"


async def _rated(chat: BotChat, world: World, stars: str = "5") -> int:
    """A resident's ticket done by an electrician and rated (the comment step left open)."""
    member = world.member("王师傅", ["电工"])
    ticket_id = await chat.submit(RESIDENT, NEED)
    now = datetime.now(UTC)
    with db.transaction(chat.engine) as s:
        dispatch.accept_offer(s, ticket_id, member, now)
        tickets.resolve_ticket(s, ticket_id, member, now)
    await chat.deliver()
    rate = next(r for r in chat.replies(RESIDENT) if "打个分" in r.text)
    await chat.press(RESIDENT, rate.button(stars), rate.message)
    return ticket_id


async def test_urgent_message_after_rating_is_not_swallowed_as_comment(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """After the stars the resident reports a gas leak: the urgent advice and a request, not a rating comment."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        await _rated(chat, world)
        replies = await chat.say(RESIDENT, "厨房煤气泄漏了，味道很大，怎么办")
        shown = [r.text for r in replies]
        assert not any(texts.COMMENT_SAVED in t for t in shown), shown
        assert any("119" in t for t in shown), shown


async def test_member_not_stuck_after_ticket_is_cancelled_while_a_done_note_is_awaited(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """A member presses 办结 (the bot waits for the note); meanwhile the resident cancels the ticket: the member is
    told once, and their next words are theirs again (not refused as that ticket's note)."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        member = world.member("王师傅", ["电工"])
        ticket_id = await chat.submit(RESIDENT, NEED)
        details = await chat.take_and_start(member)
        await chat.press(member, f"tk:done:{ticket_id}", details.message)
        with db.transaction(chat.engine) as s:
            tickets.cancel_ticket(s, ticket_id, RESIDENT, datetime.now(UTC))
        await chat.deliver()
        first = [r.text for r in await chat.say(member, "已经修好了，换了新灯泡")]
        second = [r.text for r in await chat.say(member, "我家厨房下水道堵了，水下不去")]
        # The second message is a new need of the member's own; it is refused again as a note.
        assert not any("当前状态为" in t for t in second), (first, second)
        assert all(flow != "task" for tid, flow, _ in chat.state()["drafts"] if tid == member), chat.state()


@pytest.mark.parametrize("phone", ["138 1234 5678", "138-1234-5678"])
async def test_offer_never_shows_the_residents_phone_written_with_spaces_or_dashes(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier, phone: str
) -> None:
    """Offers go to several members before anyone accepts (product.md: they never show the resident's phone), also
    when the number is written in groups, as people write it."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        member = world.member("王师傅", ["电工"])
        await chat.submit(RESIDENT, f"楼道灯坏了好几天了，晚上很黑，有事打我电话{phone}")
        offer = next(r for r in chat.replies(member) if "新工单" in r.text)
        assert "5678" not in offer.text, offer.text


async def test_offer_never_shows_an_exact_address_in_building_unit_room_notation(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """楼-单元-室 written as 3-2-502 is the usual short form of an exact address; offers must not show it."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        member = world.member("王师傅", ["电工"])
        await chat.submit(RESIDENT, "幸福里小区3-2-502门口的楼道灯坏了好几天了，晚上很黑")
        offer = next(r for r in chat.replies(member) if "新工单" in r.text)
        assert "502" not in offer.text, offer.text


async def test_mydata_with_emoji_rich_tickets_stays_within_telegrams_limit(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """Telegram measures a message in UTF-16 units (🙏 counts 2): /mydata of emoji-rich requests still fits."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        now = datetime.now(UTC)
        with db.transaction(chat.engine) as s:
            for _ in range(8):
                tickets.submit_ticket(s, RESIDENT, "楼道灯坏了" + "🙏" * 300, now,
                                      label=None, grid_code="S01-C01-G01", address="幸福里 3 号楼")
        replies = await chat.say(RESIDENT, "/mydata")
        assert chat.api_errors == [], [e.text for e in chat.api_errors]
        assert any("我们保存的您的信息" in r.text for r in replies), [r.text for r in replies]


async def test_member_is_not_told_to_follow_up_a_reopened_ticket_taken_from_them(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """A 1–2 star rating reopens the ticket *without* its member (assignee cleared, points taken back, the
    coordinators re-dispatch it): the member is not told to follow up a ticket no longer in their /tasks."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        await _rated(chat, world, stars="1")
        member = world.members["王师傅"]
        reopened = [r.text for r in chat.replies(member) if "重新打开" in r.text]
        tasks_list = [r.text for r in await chat.say(member, "/tasks")]
        assert reopened and any("暂时没有工单" in t for t in tasks_list), (reopened, tasks_list)
        assert not any("请尽快跟进" in t for t in reopened), reopened


async def test_words_long_after_a_rating_are_a_new_message_not_its_comment(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """Within COMMENT_WINDOW the words after the stars are their comment; later, they are what they say."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        ticket_id = await _rated(chat, world)
        asked = datetime.now(UTC) - resident.COMMENT_WINDOW - timedelta(minutes=1)
        with db.transaction(chat.engine) as s:
            drafts.save_draft(s, RESIDENT, resident.COMMENT, {"ticket_id": ticket_id, "await": "comment"}, asked)
        shown = [r.text for r in await chat.say(RESIDENT, "我家厨房下水道堵了，水下不去")]
        assert not any(texts.COMMENT_SAVED in t for t in shown), shown
        assert any("下水道" in t or "水管" in t for t in shown), shown  # (the new need, read back to confirm)
        assert all(flow != resident.COMMENT for person, flow, _ in chat.state()["drafts"] if person == RESIDENT)
