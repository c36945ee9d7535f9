"""Review of deb6560: on an escalated ticket a 指派 that ends (unanswered, withdrawn as full) is now told to the
coordinators who have the ticket; one the member declines is told only to who assigned it (`decline_offer`).

Found by a fourth review of the thirty-sixth session's fixes (each test failed before)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from routing import db, dispatch, tickets
from routing.models import Notification, NotificationKind, Ticket
from tests.conftest import COORD, G11, GRID_COORD, RESIDENT, T0, World, minutes

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def test_the_coordinators_of_an_escalated_ticket_hear_when_its_assignment_is_declined(world: World) -> None:
    """The 网格员 指派s a broken socket to 王师傅; its time runs out and it is escalated to the street (who get a red
    card while the 指派 still waits). 王 answers 「不方便」. The street coordinator is never told: had 王 filled up or not
    answered, deb6560 sends him a 「需派单」 card naming 王 — declined, the ticket sits with him as if 王 were coming."""
    wang = world.member("王师傅", ["电工"], capacity=1)
    busy = world.member("张师傅", ["电工"], capacity=0)  # (nobody takes it in a wave: it goes to 派单)
    del busy
    with db.transaction(world.engine) as s:
        socket = tickets.submit_ticket(s, RESIDENT, "客厅插座没电了", T0, label="repair.electrical", grid_code=G11,
                                       address="幸福里3号楼2单元501", phone="13800000000", confidence=0.9,
                                       settings=world.settings).id
    with db.transaction(world.engine) as s:  # (the wave to 王 declined: to 派单)
        dispatch.decline_offer(s, socket, wang, T0 + minutes(1), reason="在外地", settings=world.settings)
        assert s.get(Ticket, socket).status == "dispatch", s.get(Ticket, socket).status
    with db.transaction(world.engine) as s:
        dispatch.assign_ticket(s, socket, GRID_COORD, world.member_id(wang), T0 + minutes(3), settings=world.settings)
    with db.transaction(world.engine) as s:
        dispatch.escalate_ticket(s, socket, T0 + minutes(4), reason="respond_overdue")
        assert s.get(Ticket, socket).status == "escalated"
    with db.transaction(world.engine) as s:
        dispatch.decline_offer(s, socket, wang, T0 + minutes(5), reason="腰扭了", settings=world.settings)
    with db.transaction(world.engine) as s:
        dispatch.advance_waves(s, T0 + minutes(6), settings=world.settings)
    with db.transaction(world.engine) as s:
        told = [n.payload for n in s.exec(select(Notification).where(
            Notification.recipient_id == COORD, Notification.ticket_id == socket,
            Notification.kind == NotificationKind.dispatch_needed, Notification.created_at >= T0 + minutes(5)))]
    assert any(p.get("declined_by") == "王师傅" for p in told), told
