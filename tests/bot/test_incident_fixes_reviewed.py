"""Review of the incident / intake fixes (678d8f2, efae5a7). Each test fails on the current code for the reason its
docstring tells.
Found by a review of the session's incident and intake fixes (each test failed before)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from bot import texts
from routing import db
from routing.models import Ticket
from tests.bot.chat_harness import BotChat, texts_of

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)



RESIDENT = 1
NEED = "楼道灯坏了好几天了"
HOME = "幸福里小区3号楼2单元502"


def _tickets_of(chat: BotChat, person: int) -> list[Ticket]:
    with db.transaction(chat.engine) as s:
        return list(s.exec(select(Ticket).where(Ticket.resident_id == person).order_by(Ticket.id)).all())


async def test_a_gas_smell_at_another_home_is_a_second_emergency(chat: BotChat, world: Any) -> None:
    """A resident reports 「厨房一股煤气味，很大」, gives 幸福里小区3号楼2单元502 and skips the phone: urgent ticket #1.
    Half an hour later she is at her mother's across the estate and smells gas there too: 「我妈家里也有一股很大的煤气味，
    在幸福里小区7号楼1单元301」. Expected: a second urgent ticket (another kitchen, another leak, another address) and
    the coordinators alerted about 7号楼. Instead resident._new_intake → duplicates.own_open_emergency takes any own open
    urgent ticket of the same item, whatever its words or place, and only adds the words to #1 as a 补充
    (「这句话已补充到您刚才登记的紧急工单…」): no ticket for 7号楼, no 🚨 alert, the crew goes to 3号楼 only."""
    world.member("王师傅", ["燃气维修"])
    chat.home(101)
    assert "已为您登记紧急工单" in texts_of(await chat.say(101, "厨房一股煤气味，很大"))
    await chat.say(101, "幸福里小区3号楼2单元502")
    await chat.say(101, "跳过")
    shown = texts_of(await chat.say(101, "我妈家里也有一股很大的煤气味，在幸福里小区7号楼1单元301"))
    mine = _tickets_of(chat, 101)
    assert len(mine) == 2 and mine[1].urgent, (shown, [(t.number, t.address, t.text) for t in mine])


async def test_the_first_of_a_group_telling_its_address_is_not_linked_to_itself(chat: BotChat, world: Any) -> None:
    """Two neighbours write 「电梯卡住了 里面关着人 快来」 within a minute. The first (101) has not yet answered where;
    the second's ticket is linked to the first's (words alone). Then 101 tells her address 幸福里小区3号楼2单元502.
    Expected: 101's ticket stays the group's first (linked_to_id None). Instead tickets.add_contact → duplicates.relink
    → link_near_duplicate finds the neighbour's ticket, whose group's first is 101's own ticket, and links the ticket
    to ITSELF (linked_to_id == its own id): a self-loop in the group the members' and coordinators' cards list."""
    world.member("李师傅", ["电梯"])
    chat.home(101)
    chat.home(102)
    words = "电梯卡住了 里面关着人 快来"
    assert "已为您登记紧急工单" in texts_of(await chat.say(101, words))
    assert "已为您登记紧急工单" in texts_of(await chat.say(102, words))
    first, second = _tickets_of(chat, 101)[0], _tickets_of(chat, 102)[0]
    assert second.linked_to_id == first.id
    await chat.say(101, "幸福里小区3号楼2单元502")
    first = _tickets_of(chat, 101)[0]
    assert first.linked_to_id != first.id, f"#{first.number} linked to itself"


async def test_a_fire_told_under_the_card_after_a_no_is_an_emergency(chat: BotChat) -> None:
    """The resident typed 「楼道灯坏了好几天了」 and is shown 「对吗？」. Before answering, smoke comes up the stairs and
    they write 「不是，楼下着火了，好大的烟」 ("no — downstairs is on fire"). Expected: the 119 advice and an urgent
    ticket, as for any emergency told while a need waits. Instead the router's new says_no_first rule (678d8f2) takes
    every message opening with 不是 under 「对吗？」 for a "no" and only shows 「请选择类别」: no 119, no ticket, no
    coordinator alerted. router._target: `resident.says_no_first(text)` → TYPED_ANSWER meaning "no", before any
    classification."""
    await chat.say(RESIDENT, NEED)
    assert (chat.intake_draft(RESIDENT) or {}).get("step") == "confirm"
    shown = texts_of(await chat.say(RESIDENT, "不是，楼下着火了，好大的烟"))
    assert "119" in shown, shown


async def test_telling_on_the_need_with_bushi_under_the_card_is_kept(chat: BotChat) -> None:
    """Under 「对吗？」 for 「楼道灯坏了好几天了」 the resident adds 「不是一两天了，都坏了一个多月了」 ("it's not a day
    or two — it has been broken over a month"). Expected: the words go on telling the need (as 「好几天了」 does) and the
    card is shown again. Instead says_no_first reads 不是 followed by anything as a correction: the categories are shown
    (as if the bot had misread the lamp), and the words are dropped from the need."""
    await chat.say(RESIDENT, NEED)
    words = "不是一两天了，都坏了一个多月了"
    shown = texts_of(await chat.say(RESIDENT, words))
    draft = chat.intake_draft(RESIDENT) or {}
    assert texts.CHOOSE_CATEGORY not in shown and "一个多月" in draft.get("text", ""), (shown, draft.get("text"))


async def test_suanle_buyongle_at_the_phone_step_skips_the_phone(chat: BotChat) -> None:
    """Asked 「方便留个手机号吗？」, the resident answers 「算了，不用了」 ("never mind, no need") — no phone. 不用了 at the
    phone step means no phone (resident._WITHDRAWN's own comment); since 678d8f2 算了 is in _WITHDRAWN, so the whole
    lamp request is given up (「好的，这次就不登记了」) — the resident thinks it was submitted. Expected: the phone skipped
    and the request submitted (a ticket opened)."""
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, HOME)
    shown = texts_of(await chat.say(RESIDENT, "算了，不用了"))
    assert _tickets_of(chat, RESIDENT), shown


@pytest.mark.parametrize("words", ["不对，房间号602", "不对，门牌号602"])
async def test_a_room_corrected_with_its_name_keeps_the_address(chat: BotChat, words: str) -> None:
    """At the phone step (address 幸福里小区3号楼2单元502) the resident corrects the room saying what it is:
    「不对，房间号602」 / 「不对，门牌号602」. Expected: 幸福里小区3号楼2单元602. Instead numbers.corrected_address's new
    _NAMED_FIRST rule (678d8f2: 光明里5号楼, another estate named first) takes any two non-numerals before a number for
    a new estate and returns the words as the whole address: the ticket's address becomes 「房间号602」 — estate,
    building and unit lost, and the bot confirms 「地址已改为：房间号602」. (Before 678d8f2 the room was replaced.)"""
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, HOME)
    shown = texts_of(await chat.say(RESIDENT, words))
    address = (chat.intake_draft(RESIDENT) or {}).get("address") or ""
    assert address.startswith("幸福里小区3号楼2单元") and "602" in address, (shown, address)
