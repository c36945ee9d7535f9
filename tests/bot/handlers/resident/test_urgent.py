"""Urgent needs: a ticket at once and the coordinators alerted before any question, someone in crisis asked gently,
what a frightened resident adds going to that ticket, an emergency told in the middle of another need going first;
and a real incident (a gas smell, a lift stuck with people inside) told by many neighbours at once."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from bot import texts
from routing import db
from routing.models import Notification, NotificationKind, Ticket
from tests.bot.chat_harness import BotChat, texts_of
from tests.bot.handlers.resident.neighbours_harness import tickets_of
from tests.conftest import COORD, GRID_COORD

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1
ADDRESS = "幸福里小区 3 号楼 2 单元 502"
NEED = "楼道灯坏了好几天了"


def _urgent_alerts(chat: BotChat) -> int:
    with db.transaction(chat.engine) as s:
        return len(s.exec(select(Notification).where(Notification.kind == NotificationKind.urgent_alert)).all())


def _ticket_of(chat: BotChat, person: int) -> Ticket:
    with db.transaction(chat.engine) as s:
        return s.exec(select(Ticket).where(Ticket.resident_id == person)).one()


async def _urgent_report(chat: BotChat, person: int, words: str, address: str | None = None) -> Ticket:
    """A frightened resident: the emergency in words, then where (when the words did not say it), then no phone."""
    chat.home(person)
    shown = texts_of(await chat.say(person, words))
    assert "已为您登记紧急工单" in shown, shown  # (opened at once, as README promises)
    if address is not None:
        await chat.say(person, address)
    await chat.say(person, "跳过")
    ticket = _ticket_of(chat, person)
    assert ticket.urgent and (address is None or ticket.address == address), (ticket.urgent, ticket.address)
    return ticket


# --- an urgent need is a ticket at once ---
@pytest.mark.parametrize("text", ["厨房一股煤气味，很大", "我妈摔倒了叫不醒"])
async def test_an_urgent_report_alerts_the_coordinators_before_any_question(chat: BotChat, text: str) -> None:
    """The resident, frightened, answers nothing after the advice: the ticket and the coordinators' alert exist."""
    shown = texts_of(await chat.say(RESIDENT, text))
    assert "119" in shown or "120" in shown
    assert "已为您登记紧急工单" in shown and "确认" not in shown
    assert chat.count(Ticket) == 1 and _urgent_alerts(chat) >= 1


async def test_the_crisis_line_promise_of_notified_staff_is_kept(chat: BotChat) -> None:
    shown = texts_of(await chat.say(RESIDENT, "我不想活了"))
    assert "12356" in shown and "已经告诉社区的工作人员" in shown  # (said once the ticket exists, not before)
    assert _urgent_alerts(chat) >= 1


async def test_someone_in_crisis_is_asked_gently_and_may_decline(chat: BotChat) -> None:
    shown = texts_of(await chat.say(RESIDENT, "我不想活了"))
    assert "请告诉我需要上门的地址" not in shown and "不想说也没关系" in shown and "确认" not in shown
    await chat.say(RESIDENT, "不想说")
    await chat.say(RESIDENT, "跳过")
    assert chat.intake_draft(RESIDENT) is None and chat.count(Ticket) == 1


async def test_where_and_a_phone_given_later_reach_the_coordinators(chat: BotChat) -> None:
    await chat.say(RESIDENT, "厨房一股煤气味，很大")
    await chat.say(RESIDENT, ADDRESS)
    shown = texts_of(await chat.say(RESIDENT, "13812345678"))
    assert "已补充到您的紧急工单" in shown
    ticket = chat.ticket(1)
    assert (ticket.address, ticket.phone) == (ADDRESS, "13812345678")
    with db.transaction(chat.engine) as s:
        added = s.exec(select(Notification).where(Notification.kind == NotificationKind.contact_added)).all()
    assert added, "the coordinators are told what was added"


# --- what the resident adds about the emergency ---
async def test_already_called_119_is_added_to_the_emergency_not_a_second_need(chat: BotChat) -> None:
    await chat.say(RESIDENT, "厨房一股煤气味，很大")
    shown = texts_of(await chat.say(RESIDENT, "已经打了119"))
    assert "已补充到您的紧急工单" in shown or "补充到您的紧急工单" in shown, shown
    await chat.say(RESIDENT, ADDRESS)
    after = texts_of(await chat.say(RESIDENT, "跳过"))
    assert texts.NEXT_NEED not in after and chat.intake_draft(RESIDENT) is None and chat.count(Ticket) == 1
    assert "已经打了119" in chat.ticket(1).text and chat.ticket(1).address == ADDRESS


async def test_the_fire_brigade_arrived_is_not_taken_for_the_address(chat: BotChat) -> None:
    await chat.say(RESIDENT, "家里着火了")
    await chat.say(RESIDENT, "已经打过119了，消防车到了")
    state = chat.intake_draft(RESIDENT)
    assert state is not None and not state.get("address") and not chat.ticket(1).address, state


async def test_already_called_120_keeps_what_happened(chat: BotChat) -> None:
    await chat.say(RESIDENT, "我妈摔倒了叫不醒")
    await chat.say(RESIDENT, "已经打了120")
    assert chat.count(Ticket) == 1
    assert "我妈摔倒了叫不醒" in chat.ticket(1).text and "已经打了120" in chat.ticket(1).text


async def test_the_smell_getting_stronger_is_not_a_second_emergency(chat: BotChat, world: Any) -> None:
    """An old woman writes 「3号楼楼道里一股很大的煤气味」, gets the 119 advice and her urgent ticket #first, and skips the
    phone. Nobody has come yet; three minutes later she writes 「煤气味越来越大了」. The bot tells her
    「已为您登记紧急工单 #second」 — a new number — asks her address again, and the coordinators get a second
    「🚨 紧急工单，请立即跟进」 card, 地址：未填, that says nothing of #first: one leak is now two emergencies to
    dispatch (and two tickets to close, two red cards, counted twice in /stats). The ticket is not linked either:
    resident._new_intake skips the own-duplicate check for urgent requests, and duplicates.link_near_duplicate
    leaves out the resident's own tickets (`resident != :resident`), so nothing ties the two together."""
    world.member("王师傅", ["燃气维修"])
    first = await _urgent_report(chat, 101, "3号楼楼道里一股很大的煤气味")
    shown = texts_of(await chat.say(101, "煤气味越来越大了"))
    with db.transaction(chat.engine) as s:
        mine = s.exec(select(Ticket).where(Ticket.resident_id == 101).order_by(Ticket.id)).all()
    assert len(mine) == 1 or all(t.linked_to_id == first.id for t in mine[1:]), (
        f"a second, unlinked urgent ticket #{mine[-1].number} for the same leak as #{first.number}; she was told:\n"
        + shown)


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
    mine = tickets_of(chat, 101)
    assert len(mine) == 2 and mine[1].urgent, (shown, [(t.number, t.address, t.text) for t in mine])


# --- an emergency told in the middle of another need ---
async def test_an_emergency_at_another_needs_address_step_goes_first_and_the_other_follows(chat: BotChat) -> None:
    await chat.intake_to_address(RESIDENT, "楼道灯坏了好几天了，晚上很黑")
    first = texts_of(await chat.say(RESIDENT, "厨房一股煤气味，很大"))
    assert "119" in first and "已为您登记紧急工单" in first
    await chat.say(RESIDENT, ADDRESS)
    after = texts_of(await chat.say(RESIDENT, "跳过"))
    assert texts.NEXT_NEED in after and "楼道灯" in after, after
    assert chat.intake_draft(RESIDENT)["text"] == "楼道灯坏了好几天了，晚上很黑"


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


# --- a cry for help; a question after an emergency ---
@pytest.mark.parametrize("text", ["救命啊", "有人吗 救命", "快来人啊"])
async def test_a_cry_for_help_gets_a_hotline(chat: BotChat, text: str) -> None:
    shown = texts_of(await chat.say(RESIDENT, text))
    assert "110" in shown or "120" in shown, shown


async def test_a_question_after_an_emergency_is_not_told_there_is_no_ticket(chat: BotChat) -> None:
    await chat.say(RESIDENT, "厨房一股煤气味，很大")
    shown = texts_of(await chat.say(RESIDENT, "人呢？说好的人呢"))
    assert "您还没有工单" not in shown, shown


# --- an incident told by many neighbours ---
async def test_people_stuck_in_lifts_of_two_buildings_are_not_one_problem(chat: BotChat, world: Any) -> None:
    """Two residents of one grid write at the same moment 「电梯卡住了 里面关着人 快来」: one lives in 幸福里小区3号楼,
    the other in 幸福里小区7号楼; each gives the address the bot asks for right after. Two lifts, two groups of people
    trapped. README (Abuse, duplicates): different buildings never match, read "from the address where the problem is in
    the reporter's own building: ... a lift". Instead the second ticket is linked to the first, and the member offered it
    reads 「🔗 附近居民反映的同一问题：#…，可一并查看处理」 — he may go to 3号楼 and leave 7号楼's people in the lift.
    An urgent ticket is opened at once, before the address (resident._open_urgent_ticket → tickets.submit_ticket →
    duplicates.link_near_duplicate with an empty address), and tickets.add_contact, which saves the address a minute
    later, never looks at the link again."""
    world.member("李师傅", ["电梯"])
    first = await _urgent_report(chat, 101, "电梯卡住了 里面关着人 快来", "幸福里小区3号楼2单元502")
    second = await _urgent_report(chat, 102, "电梯卡住了 里面关着人 快来", "幸福里小区7号楼1单元301")
    assert first.label == second.label == "property.elevator"
    assert second.linked_to_id is None, f"#{second.number} (7号楼) was linked to #{first.number} (3号楼)"


async def test_gas_smelt_in_two_homes_is_not_one_leak(chat: BotChat, world: Any) -> None:
    """Two households write 「厨房一股煤气味，很大」 within minutes, one from 幸福里小区3号楼2单元502, the other from
    幸福里小区7号楼1单元301: two kitchens, two possible leaks (duplicates.py: "a leaking tap in two kitchens is two
    problems"). The bot links the second to the first, and the gas fitter offered or holding them is told
    「附近居民反映的同一问题…可一并查看处理」: he fixes 3号楼 and takes 7号楼 for the same leak. duplicates.link_near_duplicate
    links any shared-category item (safety) on the words alone; a gas smell at home is in the reporter's home, but the
    address (not even known yet: the urgent ticket is opened before it is asked) is never read."""
    world.member("王师傅", ["燃气维修"])
    first = await _urgent_report(chat, 101, "厨房一股煤气味，很大", "幸福里小区3号楼2单元502")
    second = await _urgent_report(chat, 102, "厨房一股煤气味，很大", "幸福里小区7号楼1单元301")
    assert first.label == second.label == "safety.gas_leak"
    assert second.linked_to_id is None, f"#{second.number} (7号楼 kitchen) linked to #{first.number} (3号楼 kitchen)"


async def test_the_coordinators_are_told_a_neighbours_gas_report_is_the_incident_already_open(
        chat: BotChat, world: Any) -> None:
    """Three neighbours of 3号楼 smell gas in the stairwell and each writes 「3号楼楼道里一股很大的煤气味」 within a minute
    (in a real incident: forty). The bot links the second and third tickets to the first (the member's offers say so).
    But the grid and street coordinators get three 「🚨 紧急工单，请立即跟进」 cards, each with its own 指派 button and
    not one word that it is the incident already open (#first): with forty of them they cannot tell one leak from
    forty, and may send forty crews or miss a second building among them. routing.tickets.submit_ticket builds the
    urgent_alert payload without the link it has just made, and bot.delivery.LINKED_KINDS leaves urgent_alert out."""
    world.member("王师傅", ["燃气维修"])
    words = "3号楼楼道里一股很大的煤气味"
    first, second, third = [await _urgent_report(chat, person, words) for person in (101, 102, 103)]
    assert second.linked_to_id == first.id and third.linked_to_id == first.id  # (linked: the member is told)
    for coordinator in (GRID_COORD, COORD):
        alerts = [r.text for r in chat.replies(coordinator) if "紧急工单，请立即跟进" in r.text]
        assert len(alerts) == 3, alerts
        later = [a for a in alerts if f"#{first.number}" not in a.split("\n")[1]]  # (the card of #second, #third)
        assert all(f"#{first.number}" in a for a in later), (
            f"coordinator {coordinator}: the alerts for #{second.number} and #{third.number} never name "
            f"#{first.number}:\n" + "\n---\n".join(later))


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
    first, second = tickets_of(chat, 101)[0], tickets_of(chat, 102)[0]
    assert second.linked_to_id == first.id
    await chat.say(101, "幸福里小区3号楼2单元502")
    first = tickets_of(chat, 101)[0]
    assert first.linked_to_id != first.id, f"#{first.number} linked to itself"


async def test_an_emergency_told_with_its_place_keeps_only_the_place_as_the_address(chat: BotChat) -> None:
    """「3号楼2单元楼道里好大煤气味，我电话13912345678」: the card to the coordinators read 地址：3号楼2单元楼道里好大煤气味
    (the smell was no need word to stop the address at; a review at the offline console, the forty-sixth session)."""
    chat.home(RESIDENT)
    await chat.say(RESIDENT, "3号楼2单元楼道里好大煤气味，我电话13912345678")
    ticket = _ticket_of(chat, RESIDENT)
    assert ticket.urgent and ticket.address == "3号楼2单元", ticket.address
