"""Review of 25cbf8f: `told_yellow` (routing/alerts.py `_queue_cards`) leaves out cancelled yellow cards only.

Found by a second review of the thirty-sixth session's fixes (each test failed before)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from routing import db, dispatch
from routing.models import Notification, NotificationKind, NotificationStatus
from tests.conftest import T0, World, minutes
from tests.routing.test_alerts import FAST_RESOLVE, scan, submit


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_holder_whose_yellow_card_never_got_through_is_told_at_the_red(world: World) -> None:
    """王师傅 holds a plumbing ticket. Its 🟡 is queued for him but never delivered (Telegram unreachable for the
    whole retry window: the outbox gives up, status `dead`). At the limit the coordinators get the 🔴, and 王师傅 — who
    never saw any card — gets nothing: the fix leaves out cancelled cards from 「told」, not the ones that died."""
    settings = world.settings
    wang = world.member("王师傅", ["水暖"])
    tid = submit(world.engine, settings)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, wang, T0 + minutes(5), settings=settings)
    assert scan(world.engine, settings, T0 + minutes(1152)) >= 1  # 🟡 to 王师傅 and the grid
    with db.transaction(world.engine) as s:
        (note,) = s.exec(select(Notification).where(Notification.recipient_id == wang,
                                                    Notification.kind == NotificationKind.yellow_card)).all()
        note.status = NotificationStatus.dead  # (OUTBOX_MAX_ATTEMPTS spent)
    assert scan(world.engine, settings, T0 + minutes(FAST_RESOLVE)) >= 1  # 🔴
    with db.transaction(world.engine) as s:
        shown = s.exec(select(Notification).where(
            Notification.recipient_id == wang, Notification.ticket_id == tid,
            Notification.kind == NotificationKind.yellow_card,
            Notification.status.not_in([NotificationStatus.cancelled, NotificationStatus.dead]))).all()
    assert shown, "王师傅 holds the ticket past its limit and no card about it will ever reach him"
