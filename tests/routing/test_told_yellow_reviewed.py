"""Review of the alerts fix (4f23440): the holder of a ticket past its limit is told unless a 🟡 "reached them".

Found by a review of the thirty-sixth session's fixes (each test failed before)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from routing import db, dispatch, outbox, tickets
from routing.models import Notification, NotificationKind, NotificationStatus
from tests.conftest import GRID_COORD, T0, World, minutes
from tests.routing.test_alerts import FAST_RESOLVE, scan, submit

TZ = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_holder_whose_yellow_card_was_withdrawn_overnight_is_never_told_the_ticket_is_late(world: World) -> None:
    """王师傅 holds a plumbing ticket (办结 by 3月4日 10:00). Its 🟡 falls at 05:12 and is held for the quiet hours; at
    05:30 he hands the ticket back, so at 07:00 the worker drops the held card as moot (never sent). At 07:05 the
    网格员 指派 it back to him and he accepts. At 10:00 it passes its limit: the coordinators get the 🔴, but 王师傅
    — holding it, never shown any card — gets nothing: the cancelled card counts as 「told」 (told_yellow reads every
    yellow_card row, whatever its status)."""
    settings = world.settings
    wang = world.member("王师傅", ["水暖"])
    wang_id = world.member_id(wang)
    tid = submit(world.engine, settings)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, wang, T0 + minutes(5), settings=settings)
    assert scan(world.engine, settings, T0 + minutes(1152)) >= 1  # 🟡 at 3月4日 05:12, to 王师傅 and the grid
    with db.transaction(world.engine) as s:
        tickets.hand_back(s, tid, wang, "家里临时有事", T0 + minutes(1170), settings=settings)
    with db.transaction(world.engine) as s:  # 07:00: the delivery worker claims the held card (outbox.reminder_moot)
        (held,) = s.exec(select(Notification.id).where(Notification.recipient_id == wang,
                                                        Notification.kind == NotificationKind.yellow_card)).all()
        assert outbox.reminder_moot(s, held)
    with db.transaction(world.engine) as s:
        for offer in dispatch.pending_offers(s, tid):
            if offer.member_id == wang_id:
                break
        else:
            dispatch.assign_ticket(s, tid, GRID_COORD, wang_id, T0 + minutes(1265), settings=settings)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, wang, T0 + minutes(1266), settings=settings)
    assert scan(world.engine, settings, T0 + minutes(FAST_RESOLVE)) >= 1  # 🔴 at 10:00
    with db.transaction(world.engine) as s:
        shown = s.exec(select(Notification).where(
            Notification.recipient_id == wang, Notification.ticket_id == tid,
            Notification.kind == NotificationKind.yellow_card,
            Notification.status != NotificationStatus.cancelled)).all()
    assert shown, "王师傅 holds the ticket past its limit and no card about it will ever reach him"
