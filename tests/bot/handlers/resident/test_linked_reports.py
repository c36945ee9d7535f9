"""Neighbours' reports linked: buildings told at the address step, units and shared places.
Found by reviews of personal data and of the later fixes in the thirty-fourth session (each test failed before; its
docstring tells the bug as it was found)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from routing import db
from routing.models import Ticket
from tests.bot.chat_harness import BotChat

RESIDENT, NEIGHBOUR = 1, 2
SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def _report(chat: BotChat, person: int, need: str, address: str) -> Ticket:
    await chat.intake_to_address(person, need)
    await chat.say(person, address)
    await chat.say(person, "跳过")
    with db.transaction(chat.engine) as s:
        return s.exec(select(Ticket).where(Ticket.resident_id == person)).one()


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
