"""Neighbours' reports of one problem linked (the member sees them together), never two buildings, towers or units
linked as one; and a resident's own need told again (the open ticket shown, or a new one after 办结)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot import texts
from classifier import Classifier
from routing import db, dispatch, tickets
from routing.models import Ticket
from tests.bot.chat_harness import BotChat
from tests.bot.handlers.resident.neighbours_harness import (
    ADDRESS,
    NEIGHBOUR,
    RESIDENT,
    Clock,
    card,
    handlers_clock,
    intake,
    neighbours_chat,
    request,
    tickets_of,
)
from tests.conftest import G11, OTHER_RESIDENT, T0, World, minutes
from tests.conftest import RESIDENT as WORLD_RESIDENT

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return handlers_clock(monkeypatch)


async def _report(chat: BotChat, person: int, need: str, address: str) -> Ticket:
    await chat.intake_to_address(person, need)
    await chat.say(person, address)
    await chat.say(person, "跳过")
    with db.transaction(chat.engine) as s:
        return s.exec(select(Ticket).where(Ticket.resident_id == person)).one()


# --- one problem told by neighbours: linked ---
@SQLITE
async def test_garbage_at_the_compound_gate_reported_from_two_buildings_is_linked(chat: BotChat, world: Any) -> None:
    """The garbage at the compound's gate has not been collected for days. A resident of 3号楼 reports 「小区门口的垃圾
    好几天没人清了」, a neighbour of 7号楼 the same words, each giving their home at the address step (the bot asks for
    one: 「请告诉我需要上门的地址，例如：幸福里小区 3 号楼 2 单元 502」). This is one problem at one shared place —
    the case the linking is for (routing/duplicates.py: "a street lamp, a lift, uncollected garbage") — and before
    644a028 the second ticket was linked to the first. Now it never is: when the words name no building,
    routing.duplicates._same takes the buildings of the reporters' home addresses as the place of the problem, so
    neighbours of different buildings (most neighbours) are never linked, whatever shared place they report."""
    chat.home(NEIGHBOUR)
    first = await _report(chat, RESIDENT, "小区门口的垃圾好几天没人清了", "幸福里小区3号楼2单元502")
    second = await _report(chat, NEIGHBOUR, "小区门口的垃圾好几天没人清了", "幸福里小区7号楼1单元301")
    assert first.label == second.label and first.grid_code == second.grid_code, (first.label, second.label)
    assert second.linked_to_id == first.id, f"#{second.number} was not linked to #{first.number}"


# --- two buildings, towers or units: never one problem ---
async def test_lifts_of_two_buildings_told_at_the_address_step_are_not_linked(chat: BotChat, world: Any) -> None:
    """Two households of one grid write the usual way — the need, then the address the bot asks for:
    「电梯坏了好几天了」 from 3号楼2单元502, and 「电梯坏了好几天了，上下楼很不方便」 from 7号楼1单元301. These are two lifts
    in two buildings, and README promises "different buildings never match". But the bot links the second
    ticket to the first, and the member offered the second reads 「🔗 附近居民反映的同一问题：#…，可一并查看处理」 and
    goes to the wrong building: routing.duplicates.link_near_duplicate compares only the tickets' words,
    never the building of their addresses (the building rule of `_same` sees only what the need's words say)."""
    world.member("李师傅", ["电梯"])
    chat.home(NEIGHBOUR)
    first = await _report(chat, RESIDENT, "电梯坏了好几天了", "幸福里小区3号楼2单元502")
    second = await _report(chat, NEIGHBOUR, "电梯坏了好几天了，上下楼很不方便", "幸福里小区7号楼1单元301")
    assert first.label == second.label and first.grid_code == second.grid_code
    assert "3号楼" in first.address and "7号楼" in second.address
    assert second.linked_to_id is None, (
        f"#{second.number} (7号楼) was linked to #{first.number} (3号楼) as the same problem")


@SQLITE
async def test_lifts_of_unit_2_in_two_buildings_are_not_linked(chat: BotChat, world: Any) -> None:
    """Two households of one grid report their lift, naming their unit as people do: 「2单元电梯又坏了，一直停在一楼」,
    one living in 幸福里小区3号楼2单元502, the other in 幸福里小区7号楼2单元301. These are two lifts in two buildings
    (README: different buildings never match, "read from the words or else from the address"), but the second ticket is
    linked to the first and its member is told 「附近居民反映的同一问题」. routing.duplicates._same reads the places of
    the words and only when the words name none those of the address: the words name unit 2, so the buildings of the
    addresses (3号楼 and 7号楼) are never looked at — a need that says where a little is matched less carefully than
    one that says nothing."""
    world.member("李师傅", ["电梯"])
    chat.home(NEIGHBOUR)
    first = await _report(chat, RESIDENT, "2单元电梯又坏了，一直停在一楼", "幸福里小区3号楼2单元502")
    second = await _report(chat, NEIGHBOUR, "2单元电梯又坏了，一直停在一楼", "幸福里小区7号楼2单元301")
    assert first.label == second.label and first.grid_code == second.grid_code
    assert second.linked_to_id is None, f"#{second.number} (7号楼) was linked to #{first.number} (3号楼)"


def _submit(world: World, resident: int, text: str, now) -> Ticket:
    with db.transaction(world.engine) as s:
        return tickets.submit_ticket(s, resident, text, now, label="property.elevator", grid_code=G11,
                                     address="幸福里小区", settings=world.settings)


@pytest.mark.parametrize(("mine", "theirs"), [
    ("A座电梯坏了，一直停在一楼", "B座电梯坏了，一直停在一楼"),        # two towers
    ("3号楼1门电梯坏了", "3号楼2门电梯坏了"),                          # two units, said the northern way (门)
])
def test_lifts_of_two_towers_or_two_units_are_not_linked(world: World, mine: str, theirs: str) -> None:
    """Two neighbours of one grid report a lift: one in A座, one in B座 (or in 3号楼1门 and 3号楼2门, as
    Beijing residents name units). These are two lifts, and README promises "different buildings never
    match" (the building rule: 3号楼2单元 and 5号楼2单元 are two lifts). The bot links them as one problem,
    and the member is told 「附近居民反映的同一问题」: routing.duplicates._PLACES knows buildings only as
    N号楼/栋/幢, compounds as N号院 and units as N单元, so a tower letter (A座/B座) or a unit said as N门 is
    left to the word similarity, which is 90 for these pairs."""
    first = _submit(world, WORLD_RESIDENT, mine, T0)
    second = _submit(world, OTHER_RESIDENT, theirs, T0 + minutes(10))
    with db.transaction(world.engine) as s:
        linked = s.get(Ticket, second.id).linked_to_id
    assert linked is None, f"「{theirs}」 was linked to 「{mine}」 (#{first.number}) as the same problem"


# --- one's own need told again ---
async def test_the_need_back_after_banjie_is_not_waved_off_as_a_duplicate(chat: BotChat, world: Any) -> None:
    """An old man reports 「楼道灯坏了好几天了，晚上很黑」; the electrician comes, presses 办结 (「灯泡换好了」) and
    leaves. That evening the light is dark again and he writes 「楼道灯又坏了，晚上很黑」. The bot answers that he
    reported the same problem already — ticket #…, 「目前已办结」 — 「不用重复登记，有进展会第一时间通知您」. Nothing
    more will happen on a ticket already 办结: no one is working on it, and there will be no progress to tell.
    routing.duplicates.find_own_duplicate takes every status in OPEN as "open", and a resolved ticket (办结,
    waiting only for its rating) is in OPEN."""
    electrician = world.member("王电工", ["电工"])
    tid = await chat.submit(RESIDENT, "楼道灯坏了好几天了，晚上很黑")
    with db.transaction(chat.engine) as s:
        dispatch.accept_offer(s, tid, electrician, datetime.now(UTC))
        tickets.resolve_ticket(s, tid, electrician, datetime.now(UTC), note="灯泡换好了")
        assert s.get(Ticket, tid).status == "resolved"

    replies = await chat.say(RESIDENT, "楼道灯又坏了，晚上很黑")
    said = "\n".join(r.text for r in replies)
    assert "不用重复登记" not in said, said


# --- as the resident and the member live it: the open ticket shown, the neighbours' reports together ---
class TestOnTheHandlersClock:
    """RESIDENT and NEIGHBOUR at home in the grid, the handlers' clock under the test's control; no unexpected error and
    no Bot API error by the end."""

    @pytest.fixture
    async def chat(
        self, engine: Engine, world: World, tmp_path: Path, classifier: Classifier
    ) -> AsyncIterator[BotChat]:
        async with neighbours_chat(engine, tmp_path, classifier) as chat:
            yield chat

    async def test_same_need_again_shows_the_open_ticket(self, chat: BotChat, clock: Clock) -> None:
        await request(chat, clock, RESIDENT, "楼道灯坏了好几天了，晚上很黑")
        (original,) = tickets_of(chat, RESIDENT)
        clock.advance(hours=2)
        said = await chat.say(RESIDENT, "楼道的灯还是坏的，好几天了")
        offer = card(said, "反映过同样的问题")
        new_anyway = offer.button("仍要新建")
        assert f"#{original.number}" in offer.text and "10:00" in offer.text
        assert not any("我理解您反映的是" in r.text for r in said)  # no address asked yet
        assert intake(chat, RESIDENT)["step"] == "duplicate"

        shown = await chat.press(RESIDENT, offer.button("查看原工单"), offer.message)
        status = card(shown, "状态")
        assert f"#{original.number}" in status.text and "楼道灯坏了好几天了" in status.text
        assert intake(chat, RESIDENT)["step"] == "duplicate"  # nothing lost: 仍要新建 is still there

        went_on = await chat.press(RESIDENT, status.button("仍要新建"), status.message)
        assert any(texts.DUPLICATE_NEW in r.text for r in went_on)
        understood = card(went_on, "我理解您反映的是")
        await chat.press(RESIDENT, understood.button("确认"), understood.message)
        await chat.say(RESIDENT, ADDRESS)
        assert any("已为您登记工单" in r.text for r in await chat.say(RESIDENT, "跳过"))
        assert len(tickets_of(chat, RESIDENT)) == 2
        stale = await chat.press(RESIDENT, new_anyway, offer.message)  # the question, answered already
        assert any(texts.STALE_BUTTON in r.text for r in stale)

        clock.advance(hours=7)  # outside DUPLICATE_WINDOW_HOURS: a new request as usual
        assert any("我理解您反映的是" in r.text for r in await chat.say(RESIDENT, "楼道灯坏了好几天了，晚上很黑"))
        other = await chat.say(RESIDENT, "家里插座没电了")  # another need: as usual
        assert any("我理解您反映的是" in r.text for r in other)

    async def test_member_sees_the_neighbours_reports_together(
        self, chat: BotChat, clock: Clock, world: World
    ) -> None:
        electrician = world.member("王电工", ["电工"])
        await request(chat, clock, RESIDENT, "3号楼路灯不亮")
        offer = card(chat.replies(electrician), "新工单")
        await chat.press(electrician, offer.button("接单"), offer.message)
        (first,) = tickets_of(chat, RESIDENT)

        clock.advance(minutes=20)
        mark = len(chat.events)
        await request(chat, clock, NEIGHBOUR, "三号楼门口路灯坏了，晚上很黑")
        (second,) = tickets_of(chat, NEIGHBOUR)
        assert second.linked_to_id == first.id
        seen = chat.replies(electrician, mark)
        told = card(seen, "又有居民反映了")
        assert f"#{first.number}" in told.text and f"#{second.number}" in told.text
        new_offer = card(seen, "新工单")  # the neighbour's ticket, offered to the same electrician
        assert f"附近居民反映的同一问题：#{first.number}" in new_offer.text
        for reply in seen:
            for private in (ADDRESS, "502", "居民2"):
                assert private not in reply.text.replace(f"#{first.number}", "").replace(
                    f"#{second.number}", ""), reply.text
