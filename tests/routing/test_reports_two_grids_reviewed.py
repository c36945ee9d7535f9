"""Review of 25cbf8f: one digest per person and period (`queue_due_reports`'s `served`).

Found by a second review of the thirty-sixth session's fixes (each test failed before)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from routing import db, members, reports
from routing.models import Notification, NotificationKind
from tests.conftest import COORD, G21, GRID_COORD, T0, World

SHANGHAI = ZoneInfo("Asia/Shanghai")
LATE_AFTER = timedelta(minutes=10)


def test_a_coordinator_of_two_grids_gets_both_digests_when_the_queueing_is_done_in_batches(world: World) -> None:
    """The 网格员 of 幸福里第一网格 also looks after a grid of the next community (two widest scopes, two digests).
    At 08:00 the digests are queued in batches (`limit`, as a street with many coordinators needs): the batch that
    ends after his first grid's digest leaves him "served" for the day, so his second grid's 每日简报 never comes."""
    with db.transaction(world.engine) as s:
        members.add_coordinator(s, COORD, GRID_COORD, G21, T0 - timedelta(days=30))
    tuesday = datetime(2025, 3, 4, 8, 1, tzinfo=SHANGHAI)
    for _ in range(10):
        with db.transaction(world.engine) as s:
            if not reports.queue_due_reports(s, tuesday, SHANGHAI, late_after=LATE_AFTER, limit=1):
                break
    with db.transaction(world.engine) as s:
        digests = s.exec(select(Notification).where(Notification.recipient_id == GRID_COORD,
                                                    Notification.kind == NotificationKind.daily_digest)).all()
    assert len(digests) == 2, [d.payload.get("name") for d in digests]
