"""Who assigned a member who blocked the bot is told (fix of 4f23440) — not when the ticket was escalated meanwhile.

Found by a review of the thirty-sixth session's fixes (each test failed before)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from routing import db, dispatch, tickets
from routing.models import Notification, NotificationKind
from tests.conftest import G11, GRID_COORD, RESIDENT, T0, World, minutes

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def test_the_grid_coordinator_is_told_when_his_assignee_of_an_escalated_ticket_blocked_the_bot(world: World) -> None:
    """The 网格员 assigns a leak to 王师傅 (「等待对方确认」); before 王 answers, the ticket is escalated to the community
    (its yellow card). 王 has blocked the bot: he is set off duty and the 指派 withdrawn, but `_off_duty` only tells
    the assigner for a ticket still `offered` — the 网格员 hears nothing, neither then nor when the assignment's time
    runs out (an escalated ticket with no pending 指派 just ends its waves silently), though had 王 merely not
    answered he would have been told 「未回复」."""
    wang = world.member("王师傅", ["水暖"])
    with db.transaction(world.engine) as s:
        ticket_id = tickets.submit_ticket(s, RESIDENT, "厨房水管漏水了", T0, label="repair.plumbing", grid_code=G11,
                                          address="幸福里3号楼2单元501", phone="13800000000", confidence=0.9,
                                          settings=world.settings).id
    with db.transaction(world.engine) as s:
        dispatch.assign_ticket(s, ticket_id, GRID_COORD, world.member_id(wang), T0 + minutes(2),
                               settings=world.settings)
    with db.transaction(world.engine) as s:
        dispatch.escalate_ticket(s, ticket_id, T0 + minutes(3), reason="yellow")
    with db.transaction(world.engine) as s:
        dispatch.member_unreachable(s, wang, T0 + minutes(4), settings=world.settings)
    with db.transaction(world.engine) as s:
        dispatch.advance_waves(s, T0 + minutes(60), settings=world.settings)
    with db.transaction(world.engine) as s:
        told = s.exec(select(Notification).where(
            Notification.ticket_id == ticket_id, Notification.recipient_id == GRID_COORD,
            Notification.kind == NotificationKind.assignment_answered)).all()
    assert told, "the 网格员 who assigned 王师傅 is never told the assignment cannot reach him"
