"""A member who takes a ticket already past its resolution limit is told so, not given a deadline in the past; found
by a review of alerts in the thirty-sixth session (the test failed before)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.delivery import render
from routing import db, dispatch, tickets
from routing.models import Notification, NotificationKind
from tests.conftest import GRID_COORD, T0, World, minutes
from tests.routing.test_alerts import FAST_RESOLVE, scan, submit

TZ = ZoneInfo("Asia/Shanghai")


def last_to(world: World, ticket_id: int, person: int, kind: NotificationKind) -> str:
    with db.transaction(world.engine) as s:
        note = s.exec(select(Notification).where(
            Notification.ticket_id == ticket_id, Notification.recipient_id == person, Notification.kind == kind)
            .order_by(Notification.id.desc())).first()
    assert note is not None, f"no {kind} to {person}"
    return render(note.kind, note.payload, TZ)[0]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_member_taking_an_overdue_ticket_is_asked_to_finish_it_before_yesterday(world: World) -> None:
    """A plumbing ticket (resolve 24 h, due 3月4日 10:00) passes its limit in 王师傅's hands (🔴 to the coordinators);
    at 3月4日 12:00 he hands it back and the grid coordinator assigns it to 赵师傅, who accepts. 赵师傅's task card
    says 「请在 3月4日 10:00 前办结」 — two hours ago: an instruction nobody can follow, and no word that the ticket
    is already overdue (the offer he was sent reads 「办结时限：3月4日 10:00」 likewise)."""
    settings = world.settings
    wang = world.member("王师傅", ["水暖"])
    tid = submit(world.engine, settings)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, wang, T0 + minutes(5), settings=settings)
    assert scan(world.engine, settings, T0 + minutes(FAST_RESOLVE)) >= 1  # 🔴 at 3月4日 10:00
    zhao = world.member("赵师傅", ["水暖"], now=T0 + minutes(FAST_RESOLVE + 60))
    back = T0 + minutes(FAST_RESOLVE + 120)  # 3月4日 12:00 local
    with db.transaction(world.engine) as s:
        tickets.hand_back(s, tid, wang, "配件买不到", back, settings=settings)
    with db.transaction(world.engine) as s:
        if not dispatch.pending_offers(s, tid):
            dispatch.assign_ticket(s, tid, GRID_COORD, world.member_id(zhao), back + minutes(1))
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, zhao, back + minutes(2), settings=settings)
    task = last_to(world, tid, zhao, NotificationKind.offer_accepted)
    assert "请在 3月4日 10:00 前办结" not in task, f"accepted at 12:02, the member reads:\n{task}"
