"""接单: who is offered a ticket (equals tied at the cut, free-text skill tags), offers that can no longer be answered
(a member at capacity, one who blocked the bot) and room numbers in offers. Found by a review of matching in the
thirty-sixth session (each test failed before); each docstring tells what a user does and what went wrong."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.delivery import render
from routing import db, dispatch, tickets
from routing.models import Notification, NotificationKind, Offer, OfferState, Ticket
from tests.conftest import COORD, G11, G12, GRID_COORD, RESIDENT, T0, World, minutes

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
TZ = ZoneInfo("Asia/Shanghai")


def _submit(world: World, text: str = "厨房水管漏水了", label: str = "repair.plumbing", at=T0,
            address: str = "幸福里3号楼2单元501") -> int:
    with db.transaction(world.engine) as s:
        return tickets.submit_ticket(s, RESIDENT, text, at, label=label, grid_code=G11, address=address,
                                     phone="13800000000", confidence=0.9, settings=world.settings).id


def _pending(world: World, ticket_id: int) -> set[int]:
    """Telegram ids of the members whose offer of the ticket waits for their answer."""
    from routing.models import Member

    with db.transaction(world.engine) as s:
        return set(s.exec(select(Member.telegram_id).join(Offer, Offer.member_id == Member.id).where(
            Offer.ticket_id == ticket_id, Offer.state == OfferState.pending)).all())


def _offered(world: World, ticket_id: int) -> set[int]:
    with db.transaction(world.engine) as s:
        return set(s.exec(select(Notification.recipient_id).where(
            Notification.ticket_id == ticket_id, Notification.kind == NotificationKind.offer)).all())


def _status(world: World, ticket_id: int) -> str:
    with db.transaction(world.engine) as s:
        return s.get(Ticket, ticket_id).status


# ── capacity ──────────────────────────────────────────────────────────────────────────────────────
def test_a_member_who_reaches_capacity_no_longer_holds_up_his_other_offers(world: World) -> None:
    """王师傅 (capacity 1, the grid's only plumber) is offered two leaks a minute apart and takes the first. He can no
    longer take the second (接单 is refused: 「您手上已有 1 张工单」), yet its offer stays pending: nobody else is asked,
    the 快办 ticket waits three wave timeouts (30 of its 60 minutes to respond) on him, and only then do the
    coordinators hear that it needs 派单. His offer should be withdrawn when he fills up and the ticket moved on."""
    wang = world.member("王师傅", ["水暖"], capacity=1)
    first = _submit(world)
    second = _submit(world, "卫生间下水道堵了", at=T0 + minutes(1))
    assert _pending(world, second) == {wang}
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, first, wang, T0 + minutes(2), settings=world.settings)
    with db.transaction(world.engine) as s:
        dispatch.advance_waves(s, T0 + minutes(12), settings=world.settings)  # (the first wave timed out)
    assert wang not in _pending(world, second), "the second ticket still waits on a member who cannot take it"
    assert _status(world, second) == "dispatch", _status(world, second)


# ── ties ──────────────────────────────────────────────────────────────────────────────────────────
@pytest.mark.xfail(strict=True, reason="not done yet: weighing every member tied at the lookahead cut (rank() over the scored rows) cost 10–30 % of the candidate query and ~15 % of SQLite routing throughput here; see the closing note")
def test_equally_good_members_without_offers_come_before_those_already_holding_some(world: World) -> None:
    """A grid registers sixteen volunteers with the same skill on the same day (all tie: same grid, same fit, no load,
    never assigned). Five leaks come in one after another and nobody answers yet. The fifth goes again to 成员1–3, who
    already hold two unanswered offers each, while 成员13–16, as good and with none, have never been offered anything:
    the pending-offers penalty is only applied to the first WAVE_SIZE × LOOKAHEAD members by id, so ties beyond them are
    never seen (the Python `rank`, which the SQL claims to mirror, puts 成员13–15 first)."""
    ids = [world.member(f"成员{i}", ["水暖"]) for i in range(1, 17)]
    for i in range(4):
        _submit(world, at=T0 + minutes(i))
    fifth = _submit(world, at=T0 + minutes(4))
    offered = _offered(world, fifth)
    assert offered.isdisjoint(ids[:3]), f"offered again to members holding two offers each: {sorted(offered)}"
    assert offered <= set(ids[12:]), sorted(offered)


# ── free-text skill tags ──────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize(("tag", "label", "text"), [
    ("宠物医生", "health.family_doctor", "想签约家庭医生，老人有高血压"),  # a vet is no family doctor
    ("电焊工", "repair.electrical", "家里跳闸了，插座都没电"),  # a welder is no electrician
    ("燃气维修师傅", "repair.furniture", "衣柜门合页坏了"),  # a gas fitter is no general handyman
    ("电器维修师傅", "repair.lock", "防盗门锁坏了打不开"),  # an appliance repairer is no locksmith
])
def test_a_free_text_tag_is_not_taken_for_another_trade(world: World, tag: str, label: str, text: str) -> None:
    """A member registers with a free-text tag (as the API and the demo allow: rapidfuzz maps tags to skills). A vet's
    「宠物医生」 is taken for 医生 (0.95: 医生 is inside it), a welder's 「电焊工」 for 电工 (ratio 0.8), and 「燃气维修师傅」 /
    「电器维修师傅」 for the general 维修 (the trade-word rule only looks at tags that *end* in 维修, so 师傅 after it
    defeats it — the bug fixed for 燃气维修 comes back): each is offered requests of a trade not theirs."""
    member = world.member("张三", [tag])
    ticket_id = _submit(world, text, label)
    assert member not in _offered(world, ticket_id), f"{tag} offered {label}"


@pytest.mark.parametrize(("tag", "label", "text"), [
    ("家具维修", "repair.furniture", "衣柜门合页坏了"),  # the item is 家具小修, skill 维修
    ("门窗维修", "repair.lock", "窗户关不上了，合页坏了"),  # the item 门锁门窗, skills 开锁 / 维修
    ("作业辅导", "education.tutoring", "孩子作业不会做，想找人辅导一下"),  # the item is named 作业辅导, skill 教师
    ("心理疏导", "health.mental", "最近心情很差，想找人聊聊"),  # the item is named 心理疏导, skill 心理咨询
])
def test_a_free_text_tag_naming_the_service_itself_is_matched(world: World, tag: str, label: str, text: str) -> None:
    """A volunteer types the very service he offers, in the words of the item residents' requests are filed under:
    「家具维修」, 「门窗维修」, 「作业辅导」, 「心理疏导」. None of them maps to any skill (X维修 is kept from 维修 by the
    trade-word rule; 作业辅导 and 心理疏导 share too few characters with 教师 / 心理咨询): he is registered without a
    word of warning and is never offered the requests he named."""
    member = world.member("李四", [tag])
    ticket_id = _submit(world, text, label)
    assert member in _offered(world, ticket_id), f"{tag} not offered {label}"


# ── privacy of offers ─────────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize(("words", "room"), [
    ("幸福里3号楼2单元502号厨房水管漏水了", "502"),  # a room said N号, as many residents write it
    ("我家门牌号3-502，厨房水管漏水了", "3-502"),  # building-room, without the unit
])
def test_an_offer_hides_the_room_number_written_with_hao_or_as_building_dash_room(
        world: World, words: str, room: str) -> None:
    """The resident's message already holds the address, so it is the ticket's words. Every member of the wave reads
    them in the offer's 「诉求」 line, where house numbers are masked: 「幸福里*号楼*单元502号」 (the room N号 is taken
    for a bare day-of-month 号 and left) and 「门牌号3-502」 (only building-unit-room with three parts is masked) — the
    door is shown to members who have not accepted, against 「offers never show the exact address」."""
    world.member("王师傅", ["水暖"])
    ticket_id = _submit(world, words, address="")
    with db.transaction(world.engine) as s:
        note = s.exec(select(Notification).where(Notification.ticket_id == ticket_id,
                                                 Notification.kind == NotificationKind.offer)).one()
    text, _ = render(note.kind, note.payload, TZ)
    assert room not in text, text


# ── a member who blocked the bot ──────────────────────────────────────────────────────────────────
def test_the_coordinator_who_assigned_a_member_who_blocked_the_bot_is_told(world: World) -> None:
    """The street coordinator opens /dispatch and assigns a 网格 ticket to 王师傅 (「已把工单…指派给 王师傅，等待对方
    确认」). 王师傅 has blocked the bot: the assignment fails with 403, he is set off duty and the ticket goes back to
    派单 — the 网格员 gets the card, but the street coordinator who made the assignment hears nothing and goes on
    believing 王师傅 will confirm (a decline, an acceptance or no answer are all told to him: `_tell_assigner`)."""
    with db.transaction(world.engine) as s:
        ticket_id = tickets.submit_ticket(s, RESIDENT, "家里有点事想找人帮忙", T0, label=None, grid_code=G11,
                                          address="幸福里3号楼", settings=world.settings).id
    wang = world.member("王师傅", ["水暖"], G12, now=T0 + minutes(1))
    with db.transaction(world.engine) as s:
        dispatch.assign_ticket(s, ticket_id, COORD, world.member_id(wang), T0 + minutes(2), settings=world.settings)
    with db.transaction(world.engine) as s:
        dispatch.member_unreachable(s, wang, T0 + minutes(3), settings=world.settings)
    assert _status(world, ticket_id) == "dispatch"
    with db.transaction(world.engine) as s:
        told = s.exec(select(Notification).where(Notification.ticket_id == ticket_id,
                                                 Notification.recipient_id == COORD,
                                                 Notification.created_at > T0 + minutes(2))).all()
        grid_told = s.exec(select(Notification).where(Notification.ticket_id == ticket_id,
                                                      Notification.recipient_id == GRID_COORD,
                                                      Notification.created_at > T0 + minutes(2))).all()
    assert grid_told, "(the 网格员 is told)"
    assert told, "the street coordinator who assigned 王师傅 is never told the assignment did not reach him"
