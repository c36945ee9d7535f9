"""Review final: regressions of fb57205 / a275e6e (办结 notes, hand-back reasons, corrections).
Found by a last review of the session's fixes (each test failed before)."""

from __future__ import annotations

import pytest

from tests.bot.chat_harness import BotChat, card_with, texts_of
from tests.conftest import World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1
NEED = "楼道灯坏了好几天了，晚上很黑"


@pytest.mark.parametrize("words", [
    "原来的灯泡瓦数不够，已换成新的LED灯，现在亮了",
    "换了灯泡还是不亮，查出是开关坏了，已换新开关，现在正常了",
    "之前约了两次居民都没到家，今天上门已修好",
    "上次来时还在修的线路今天已全部换好，灯亮了",
])
async def test_a_done_note_that_mentions_a_past_problem_resolves_the_ticket(
    chat: BotChat, world: World, words: str
) -> None:
    """王师傅 fixes the stairwell lamp, presses 「办结」 and writes the note 「原来的灯泡瓦数不够，已换成新的LED灯，现在
    亮了」 (or 「换了灯泡还是不亮，查出是开关坏了，已换新开关，现在正常了」 …). The work is done and says so: the ticket
    should be resolved and the resident asked to rate. Instead he is told 「好的，还没办结…」 and the ticket stays in
    progress: since a275e6e _NOT_DONE_SURELY (不够, 还是不亮, 没到, 还在修 anywhere) wins over words of work done.
    (bot/handlers/member.py task_text_given: _NOT_DONE_SURELY.search without _WORK_DONE.)"""
    member = world.member("王师傅", ["电工"])
    ticket_id = await chat.at_task_step(member, "done", RESIDENT, NEED)
    told = texts_of(await chat.say(member, words))
    assert chat.ticket(ticket_id).status == "resolved", (told, chat.ticket(ticket_id).status)


@pytest.mark.parametrize("words", [
    "还在修另一家的水管，今天实在过不去，请安排别人",
    "不退不行了，家里老人住院，这周都去不了",
])
async def test_a_hand_back_reason_beginning_with_a_take_back_word_hands_the_ticket_back(
    chat: BotChat, world: World, words: str
) -> None:
    """王师傅 presses 「退回」 on purpose and gives as reason 「还在修另一家的水管，今天实在过不去，请安排别人」 (or
    「不退不行了，家里老人住院，这周都去不了」). The ticket should go back to be offered to someone else. Instead he is
    told 「好的，不退回了，工单仍由您办理。」 and keeps a job he just said he cannot do (it will run into yellow/red cards):
    since a275e6e any message *beginning* with a word of _TAKE_BACK_SURELY (还在修, 不退…) followed by anything at all is
    a take-back.
    (bot/handlers/member.py _STEP_TAKEN_BACK: ({_TAKE_BACK_SURELY}).*)"""
    member = world.member("王师傅", ["电工"])
    ticket_id = await chat.submit(RESIDENT, NEED)
    offer = card_with(chat.replies(member), "接单")
    await chat.press(member, offer.button("接单"), offer.message)
    details = card_with(chat.replies(member), "退回")
    await chat.press(member, details.button("退回"), details.message)
    told = texts_of(await chat.say(member, words))
    assert chat.ticket(ticket_id).assignee_id is None, (told, chat.ticket(ticket_id).status)


async def test_a_gas_smell_told_on_with_the_unit_is_not_a_second_emergency(chat: BotChat, world: World) -> None:
    """A resident reports 「厨房一股煤气味，很大」 and gives her address 幸福里小区3号楼502 (no unit), skips the phone:
    urgent ticket #1. Ten minutes later: 「2单元楼道里煤气味越来越大了」 — her own entrance, the same leak, told on.
    Expected: the words added to #1 (「…已补充到您刚才登记的紧急工单…」), as for 「煤气味越来越大了」. Instead a second
    urgent ticket is opened (a second 🚨 alert, a second crew): since fb57205 duplicates.own_open_emergency compares the
    places the new words name (_places: {2单元}) with those of the ticket (_where: {3号楼}) and, sharing none, calls it
    another place — a part of the address the first report did not give is taken for somewhere else."""
    from sqlmodel import select

    from routing import db
    from routing.models import Ticket

    world.member("王师傅", ["燃气维修"])
    chat.home(101)
    assert "已为您登记紧急工单" in texts_of(await chat.say(101, "厨房一股煤气味，很大"))
    await chat.say(101, "幸福里小区3号楼502")
    await chat.say(101, "跳过")
    shown = texts_of(await chat.say(101, "2单元楼道里煤气味越来越大了"))
    with db.transaction(chat.engine) as s:
        mine = list(s.exec(select(Ticket).where(Ticket.resident_id == 101)).all())
    assert len(mine) == 1, (shown, [(t.number, t.address, t.text) for t in mine])


async def test_a_misread_need_corrected_into_an_emergency_does_not_come_back(chat: BotChat, world: World) -> None:
    """A resident writes 「厨房水龙头坏了，幸福里小区3号楼2单元502」 meaning the gas; the bot reads 「家居维修 · 水管疏通 …
    对吗？」. She answers 「不对，是厨房燃气灶漏气了，一股煤气味」. She rightly gets the 119 advice and an urgent ticket
    (after giving the address again). But when she skips the phone the bot says 「您刚才还提到另一件事，现在接着为您登记：
    …水管疏通 「厨房水龙头坏了…」 对吗？」 — the very reading she just said was wrong (不对) comes back as a second need.
    Expected: her 不对 ends that reading; no 水管疏通 card afterwards. Since fb57205 bot/handlers/router.py _route turns a
    correction read as urgent into REQUEST with "waiting" = the whole draft under 「对吗？」 (only "meaning" dropped), so
    the misread need is restored after the emergency."""
    world.member("王师傅", ["燃气维修"])
    chat.home(101)
    await chat.say(101, "厨房水龙头坏了，幸福里小区3号楼2单元502")
    assert "119" in texts_of(await chat.say(101, "不对，是厨房燃气灶漏气了，一股煤气味"))
    await chat.say(101, "幸福里小区3号楼2单元502")
    shown = texts_of(await chat.say(101, "跳过"))
    assert "水管疏通" not in shown and "水龙头" not in shown, shown
