"""Review of 25cbf8f: a member filling up has his coordinator's 指派 withdrawn (`_withdraw_when_full`).

Found by a second review of the thirty-sixth session's fixes (each test failed before)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from routing import db, dispatch, tickets
from routing.models import Member, Notification, NotificationKind, Offer, OfferState, Ticket
from tests.conftest import G11, GRID_COORD, RESIDENT, T0, World, minutes

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _submit(world: World, text: str, label: str, at, resident: int = RESIDENT) -> int:
    with db.transaction(world.engine) as s:
        return tickets.submit_ticket(s, resident, text, at, label=label, grid_code=G11,
                                     address="幸福里3号楼2单元501", phone="13800000000", confidence=0.9,
                                     settings=world.settings).id


def test_an_assignment_withdrawn_because_the_member_filled_up_goes_back_to_dispatch(world: World) -> None:
    """The 网格员 指派s a broken socket to 王师傅 (capacity 2, one job in hand); before answering it 王 takes a leak
    offered to him in a wave and is full, so the 指派 is withdrawn and the 网格员 told 「工单回到待派单，请另行指派」. But at
    the next scan the socket, left `offered` with nobody asked, is sent out in waves (to 张师傅, an electrician) instead
    of going back to 待派单 as the 网格员 was told — unlike a declined or an off-duty 指派."""
    wang = world.member("王师傅", ["水暖"], capacity=2)
    first = _submit(world, "厨房水管漏水了", "repair.plumbing", T0)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, first, wang, T0 + minutes(1), settings=world.settings)
    socket = _submit(world, "客厅插座没电了", "repair.electrical", T0 + minutes(2), resident=RESIDENT + 1)
    wang_id = world.member_id(wang)
    with db.transaction(world.engine) as s:
        assert s.get(Ticket, socket).status == "dispatch"  # (no electrician yet)
        dispatch.assign_ticket(s, socket, GRID_COORD, wang_id, T0 + minutes(3),
                               settings=world.settings)
    world.member("张师傅", ["电工"], now=T0 + minutes(4))
    leak = _submit(world, "卫生间下水道堵了", "repair.plumbing", T0 + minutes(5), resident=RESIDENT + 2)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, leak, wang, T0 + minutes(6), settings=world.settings)
    with db.transaction(world.engine) as s:
        dispatch.advance_waves(s, T0 + minutes(7), settings=world.settings)
    with db.transaction(world.engine) as s:  # (at the scan: the card that it waits for 派单 again, and why)
        told = [n.payload for n in s.exec(select(Notification).where(
            Notification.recipient_id == GRID_COORD, Notification.ticket_id == socket,
            Notification.kind.in_([NotificationKind.assignment_answered, NotificationKind.dispatch_needed]),
            Notification.created_at >= T0 + minutes(6)))]
    assert told and all(p.get("decline_reason") or p.get("withdrawn") for p in told), told
    with db.transaction(world.engine) as s:
        status = s.get(Ticket, socket).status
        asked = s.exec(select(Member.display_name).join(Offer, Offer.member_id == Member.id).where(
            Offer.ticket_id == socket, Offer.state == OfferState.pending)).all()
    assert status == "dispatch" and not asked, (
        f"told 「工单回到待派单」, the socket is {status}, offered to {asked}")


def test_a_coordinator_who_assigned_a_ticket_to_himself_is_not_told_he_declined_it(world: World) -> None:
    """The 网格员, registered as a volunteer too, 指派s a broken socket to himself (「我自己去」, capacity 2, one job
    in hand), then takes a leak offered to him in a wave and is full. His own 指派 is withdrawn and he is sent
    「↩️ 网格员老张 婉拒了您指派的工单 … 原因：手上工单已满」 about himself — `decline_offer` leaves the member out of
    those told, `_withdraw_when_full` tells the assigner whoever he is."""
    from routing import members

    with db.transaction(world.engine) as s:
        code = members.create_invite(s, GRID_COORD, T0, settings=world.settings).code
        me = members.register_member(s, GRID_COORD, code, "网格员老张", ["水暖", "电工"], G11, T0,
                                     settings=world.settings)
        me.capacity = 2
    first = _submit(world, "厨房水管漏水了", "repair.plumbing", T0 + minutes(1))
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, first, GRID_COORD, T0 + minutes(2), settings=world.settings)
    socket = _submit(world, "客厅插座没电了", "repair.electrical", T0 + minutes(3), resident=RESIDENT + 1)
    my_id = world.member_id(GRID_COORD)
    with db.transaction(world.engine) as s:
        dispatch.assign_ticket(s, socket, GRID_COORD, my_id, T0 + minutes(4), settings=world.settings)
    leak = _submit(world, "卫生间下水道堵了", "repair.plumbing", T0 + minutes(5), resident=RESIDENT + 2)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, leak, GRID_COORD, T0 + minutes(6), settings=world.settings)
    with db.transaction(world.engine) as s:
        told = [n.payload.get("member_name") for n in s.exec(select(Notification).where(
            Notification.recipient_id == GRID_COORD, Notification.ticket_id == socket,
            Notification.kind == NotificationKind.assignment_answered))]
    assert not told, f"the 网格员 is told that {told} (himself) declined his own 指派"
