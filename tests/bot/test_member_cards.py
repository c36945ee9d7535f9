"""What coordinators and members read about members' work, found by a review (each test failed before): a blocked
member's held ticket, the reason of a hand-back, a specific trade offered general repairs, a past deadline. Each test's docstring tells the bug as it was found."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot import delivery
from routing import db, dispatch, tickets
from routing.models import Notification, NotificationKind
from tests.conftest import G11, G12, GRID_COORD, RESIDENT, T0, World, minutes

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
TZ = ZoneInfo("Asia/Shanghai")


def _submit(world: World, text: str = "厨房水管漏水了") -> int:
    with db.transaction(world.engine) as s:
        return tickets.submit_ticket(s, RESIDENT, text, T0, label="repair.plumbing", grid_code=G11,
                                     address="幸福里3号楼2单元501", phone="13800000000",
                                     confidence=0.9, settings=world.settings).id


def _notes(world: World, ticket_id: int, kind: str, recipient: int | None = None) -> list[Notification]:
    with db.transaction(world.engine) as s:
        q = select(Notification).where(Notification.ticket_id == ticket_id, Notification.kind == kind)
        if recipient is not None:
            q = q.where(Notification.recipient_id == recipient)
        return list(s.exec(q.order_by(Notification.id)))


def test_coordinators_told_a_member_blocked_the_bot_see_the_ticket_held_and_can_reassign_it(world: World) -> None:
    """A member holding a ticket blocks the bot (403): the coordinator gets one message per held ticket, but it
    names no ticket, says his *pending offers* moved on (the held ticket did not move: it stays 已接单 with him) and
    has no 指派 button — and /dispatch does not list an accepted ticket, so the coordinator cannot act on it."""
    member = world.member("王师傅", ["水暖"])
    tid = _submit(world)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, member, T0 + minutes(1))
        number = f"#{tickets.get_ticket(s, tid).number}"
    with db.transaction(world.engine) as s:
        dispatch.member_unreachable(s, member, T0 + minutes(2), settings=world.settings)
    [note] = _notes(world, tid, NotificationKind.member_unreachable, GRID_COORD)
    text, markup = delivery.render(note.kind, note.payload, TZ)
    assert number in text, text
    assert markup is not None, "no 指派 button to give the ticket to someone else"


def test_the_hand_back_reason_reaches_the_coordinators_who_dispatch(world: World) -> None:
    """退回 asks the member for a reason (「需要专业资质、联系不上居民」). When nobody else can take it, the ticket
    goes to the coordinators, whose 待派单 card says neither that it was handed back nor why (the reason is only in
    the database log): the coordinator who must now assign it by hand does not learn 「联系不上居民」."""
    member = world.member("王师傅", ["水暖"])
    tid = _submit(world)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, member, T0 + minutes(1))
    with db.transaction(world.engine) as s:
        tickets.hand_back(s, tid, member, "联系不上居民，电话一直关机", T0 + minutes(5), settings=world.settings)
    cards = _notes(world, tid, NotificationKind.dispatch_needed, GRID_COORD)
    assert cards, "the ticket went to dispatch"
    text, _ = delivery.render(cards[-1].kind, cards[-1].payload, TZ)
    assert "联系不上居民" in text, text


def test_a_member_who_ticked_only_gas_repair_is_not_offered_general_repairs(world: World) -> None:
    """At /join a member ticks ✅燃气维修 and leaves ▫️维修 (general repair, a separate button) unticked. A 家具小修
    ticket (skill 维修) is still offered to him — with a fit of 0.95, so ahead of a 维修 member one grid away: the
    containment rule meant for free-text tags (水电工 ⊇ 电工) turns the trade word 维修 inside 燃气维修 / 家电维修 into
    the general 维修 skill, against TRADE_WORDS' own rule that trades are compared by what they work on."""
    gas = world.member("燃气师傅", ["燃气维修"])
    world.member("维修师傅", ["维修"], G12)
    with db.transaction(world.engine) as s:
        tid = tickets.submit_ticket(s, RESIDENT, "衣柜门合页坏了", T0, label="repair.furniture", grid_code=G11,
                                    address="幸福里3号楼2单元501", confidence=0.9, settings=world.settings).id
    offered = [n.recipient_id for n in _notes(world, tid, NotificationKind.offer)]
    assert gas not in offered, offered


def test_an_offer_after_a_hand_back_shows_no_response_limit_already_past(world: World) -> None:
    """A member accepts a 水管 ticket (快办: respond within 60 min) at once, works on it and hands it back two hours
    later. The new offer to the next member says 「请在 3月3日 11:00 前响应」 although it is 12:00 now: the deadline
    shown was met by the first acceptance and is long past — the member is asked to beat a time already gone."""
    from bot import texts

    a = world.member("a", ["水暖"])
    b = world.member("b", ["水暖"], G12)
    world.settings = world.settings.model_copy(update={"WAVE_SIZE": 1})
    tid = _submit(world)
    back = T0 + minutes(120)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, a, T0 + minutes(1))
    with db.transaction(world.engine) as s:
        tickets.hand_back(s, tid, a, "缺少配件", back, settings=world.settings)
    [note] = _notes(world, tid, NotificationKind.offer, b)
    text, _ = delivery.render(note.kind, note.payload, TZ)
    from datetime import datetime

    due = datetime.fromisoformat(note.payload["respond_due_at"])
    assert due < back  # (the situation)
    assert f"请在 {texts.local_time(due, TZ)} 前响应" not in text, text
