"""Review of 84ccf13: a 指派 withdrawn because the member filled up is handled only at the wave scan, and only for an
`offered` ticket whose latest offer it is (`advance_waves`, `_assignment_withdrawn_full`).

Found by a third review of the thirty-sixth session's fixes (each test failed before)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from routing import db, dispatch, tickets
from routing.models import Notification, Offer, Ticket
from tests.conftest import G11, GRID_COORD, RESIDENT, T0, World, minutes

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _submit(world: World, text: str, label: str, at, resident: int = RESIDENT) -> int:
    with db.transaction(world.engine) as s:
        return tickets.submit_ticket(s, resident, text, at, label=label, grid_code=G11,
                                     address="幸福里3号楼2单元501", phone="13800000000", confidence=0.9,
                                     settings=world.settings).id


def test_the_assigner_hears_when_an_escalated_assignment_is_withdrawn_because_the_member_filled_up(
        world: World) -> None:
    """The 网格员 指派s a broken socket to 王师傅 (capacity 2, one job in hand); the ticket is then escalated (its
    time ran out) with the 指派 still waiting. 王 takes a leak offered in a wave and is full, so the 指派 is withdrawn.
    Before 84ccf13 the 网格员 was told at once; now only `advance_waves` tells, and only for an `offered` ticket: an
    escalated one falls to 「waves_over」 and nobody ever hears that 王 will not come."""
    wang = world.member("王师傅", ["水暖"], capacity=2)
    first = _submit(world, "厨房水管漏水了", "repair.plumbing", T0)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, first, wang, T0 + minutes(1), settings=world.settings)
    socket = _submit(world, "客厅插座没电了", "repair.electrical", T0 + minutes(2), resident=RESIDENT + 1)
    wang_id = world.member_id(wang)
    with db.transaction(world.engine) as s:
        assert s.get(Ticket, socket).status == "dispatch"
        dispatch.assign_ticket(s, socket, GRID_COORD, wang_id, T0 + minutes(3), settings=world.settings)
    with db.transaction(world.engine) as s:
        dispatch.escalate_ticket(s, socket, T0 + minutes(4), reason="respond_overdue")
    leak = _submit(world, "卫生间下水道堵了", "repair.plumbing", T0 + minutes(5), resident=RESIDENT + 2)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, leak, wang, T0 + minutes(6), settings=world.settings)
    for later in (minutes(7), timedelta(days=2)):  # (the next scan, and one long after the 指派 would have timed out)
        with db.transaction(world.engine) as s:
            dispatch.advance_waves(s, T0 + later, settings=world.settings)
    with db.transaction(world.engine) as s:
        offer = s.exec(select(Offer).where(Offer.ticket_id == socket, Offer.member_id == wang_id)).one()
        assert offer.state == "withdrawn" and offer.reason == "full", (offer.state, offer.reason)
        told = [(n.kind, n.payload.get("reason") or n.payload.get("decline_reason")) for n in s.exec(
            select(Notification).where(Notification.recipient_id == GRID_COORD, Notification.ticket_id == socket,
                                       Notification.created_at >= T0 + minutes(6)))]
    assert told, "the 网格员 is never told that his 指派 to 王师傅 was withdrawn (王 is full)"
