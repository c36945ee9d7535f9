"""A member who blocked the bot, found by a review of the member side in the thirty-fourth session (the test failed
before): the coordinators are told once. Its docstring tells the bug as it was found."""

from __future__ import annotations

import pytest
from sqlmodel import select

from routing import alerts, db, dispatch, outbox, tickets
from routing.models import Notification, NotificationKind
from tests.conftest import G11, GRID_COORD, RESIDENT, T0, World, minutes

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


def _notes(world: World, ticket_id: int, kind: str, recipient: int) -> list[Notification]:
    with db.transaction(world.engine) as s:
        return list(s.exec(select(Notification).where(
            Notification.ticket_id == ticket_id, Notification.kind == kind,
            Notification.recipient_id == recipient).order_by(Notification.id)))


def test_a_member_who_blocked_the_bot_is_reported_to_the_coordinators_once_not_at_every_failed_message(
    world: World,
) -> None:
    """王师傅 holds a plumbing ticket and blocks the bot. The first message that fails with 403 tells the grid's
    网格员 「党员 王师傅 已屏蔽机器人…他手上的这张工单请改派」 — right. But nothing stops the bot writing to him
    afterwards: the next day his 🟡 yellow card for that ticket is queued, fails with 403 too, and the 网格员 gets the
    same 「已屏蔽机器人…请改派」 message again — and again at every later message to him (a rating, the resident's new
    phone, a cancellation), once per ticket he holds each time."""
    member = world.member("王师傅", ["水暖"])
    with db.transaction(world.engine) as s:
        tid = tickets.submit_ticket(s, RESIDENT, "厨房水管漏水了", T0, label="repair.plumbing", grid_code=G11,
                                    address="幸福里3号楼2单元501", confidence=0.9, settings=world.settings).id
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, member, T0 + minutes(1), settings=world.settings)
    (details,) = _notes(world, tid, NotificationKind.offer_accepted, member)
    with db.transaction(world.engine) as s:  # 接单成功 cannot be delivered: he blocked the bot
        outbox.mark_unreachable(s, details.id, T0 + minutes(2), settings=world.settings)
    assert len(_notes(world, tid, NotificationKind.member_unreachable, GRID_COORD)) == 1
    with db.transaction(world.engine) as s:  # a fast ticket: its resolve yellow card falls at 80 % of 24 h
        alerts.scan_alerts(s, T0 + minutes(0.8 * 24 * 60 + 1), settings=world.settings)
    (card,) = _notes(world, tid, NotificationKind.yellow_card, member)
    with db.transaction(world.engine) as s:  # the card to him fails with 403 as well
        outbox.mark_unreachable(s, card.id, T0 + minutes(0.8 * 24 * 60 + 2), settings=world.settings)
    told = _notes(world, tid, NotificationKind.member_unreachable, GRID_COORD)
    assert len(told) == 1, f"the 网格员 was told {len(told)} times that 王师傅 blocked the bot"
