"""Quarterly stars (评星) of a member whose ticket of last quarter was reopened this quarter. Found by a review of
points (and again by one of time and dates); the test failed before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from routing import db, dispatch, points, tickets
from tests.conftest import G11, RESIDENT, World, minutes

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _resolved(world: World, member: int, at: datetime) -> int:
    """A plumbing ticket (fast class) submitted at `at`, accepted and resolved within the hour: on time."""
    with db.transaction(world.engine) as s:
        tid = tickets.submit_ticket(s, RESIDENT, "厨房水管漏水了", at, label="repair.plumbing", grid_code=G11,
                                    address="幸福里3号楼", settings=world.settings).id
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, member, at + minutes(5), settings=world.settings)
    with db.transaction(world.engine) as s:
        tickets.resolve_ticket(s, tid, member, at + minutes(40), note="修好了")
    return tid


def test_a_reopening_of_last_quarters_ticket_does_not_erase_this_quarters_resolved_work(world: World) -> None:
    """A plumber fixes a leak on 31 March (Q1). The bot rates Q1 at 00:30 on 1 April, as it does. On 2 April the
    resident of that leak gives 1 star: it is reopened and its points are taken back. In Q2 the plumber fixes one more
    leak, on time, and that resident gives 5 stars. The plumber expects Q2's record to show that one resolution, on
    time (at least the 'worked' and 'punctual' stars: 3). Instead compute_quarter_stars subtracts the Q1 ticket's
    reopening from Q2's resolutions: Q2 shows resolved 0, on time 0, and 1 star — the member is rated as if they had
    done nothing all quarter."""
    settings = world.settings
    plumber = world.member("王师傅", ["水暖"], G11)
    # 31 March 10:00 in Shanghai: Q1.
    x = _resolved(world, plumber, datetime(2025, 3, 31, 2, 0, tzinfo=UTC))
    with db.transaction(world.engine) as s:  # the daily job at 00:30 on 1 April rates Q1
        points.compute_quarter_stars(s, "2025Q1", datetime(2025, 3, 31, 16, 30, tzinfo=UTC), settings=settings)
    with db.transaction(world.engine) as s:  # 2 April: the resident of the Q1 leak is not satisfied
        tickets.rate_ticket(s, x, RESIDENT, 1, datetime(2025, 4, 2, 2, 0, tzinfo=UTC))
    y = _resolved(world, plumber, datetime(2025, 4, 10, 2, 0, tzinfo=UTC))
    with db.transaction(world.engine) as s:
        tickets.rate_ticket(s, y, RESIDENT, 5, datetime(2025, 4, 10, 4, 0, tzinfo=UTC))
    with db.transaction(world.engine) as s:
        mid = world.member_id(plumber)
        rows = points.compute_quarter_stars(s, "2025Q2", datetime(2025, 6, 30, 16, 30, tzinfo=UTC) + timedelta(0),
                                            settings=settings)
        (row,) = [r for r in rows if r.member_id == mid]
        record = (row.resolved, row.on_time, row.stars)
    assert record[:2] == (1, 1) and record[2] >= 3, f"Q2 (resolved, on_time, stars) = {record}"
