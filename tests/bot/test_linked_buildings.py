"""Neighbours' reports linked: buildings told at the address step.
Found by a review of personal data and abuse limits in the thirty-fourth session (each test failed before; its docstring tells the bug as it was found)."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from routing import db
from routing.models import Ticket
from tests.bot.chat_harness import BotChat

RESIDENT, NEIGHBOUR = 1, 2


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
