"""Quarterly stars (评星) of a member whose ticket of last quarter was reopened this quarter. Found by a review of
points (and again by one of time and dates), and one reopened after its quarter ended but before the quarter was rated,
found by a review of the session's operator fixes; each test failed before."""

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


def test_a_reopening_just_after_the_quarter_counts_against_one_quarter_only(world: World) -> None:
    """A plumber fixes a leak on 31 March (Q1), on time. On 1 April at 00:10 (Shanghai) — or when the bot comes back
    after a night's outage and handles the star Telegram kept for it — the resident gives 1 star: the ticket is
    reopened, its points are taken back, and the reopening is entered in Q2 ("a reopening counts against the quarter
    it happened in", compute_quarter_stars). At 00:30 the daily job rates Q1 (bot/app.py rate_quarter). The plumber
    expects the reopening to weigh on one quarter: Q1 shows the leak resolved on time (its +20 points are in Q1's
    points), and Q2 shows the reopening. Instead Q1 is rated with resolved 0, on time 0 (1 star, with Q1 points 20),
    because compute_quarter_stars' `reopened_round` looks for a reopening at any time, even one after the quarter;
    and Q2 counts the same reopening again (reopened 1, −20 points): one reopening punishes two quarters, and
    which ones depends on whether the resident pressed the star before or after 00:30."""
    settings = world.settings
    plumber = world.member("王师傅", ["水暖"], G11)
    mid = world.member_id(plumber)
    leak = _resolved(world, plumber, datetime(2025, 3, 31, 2, 0, tzinfo=UTC))  # 31 March 10:00 in Shanghai
    with db.transaction(world.engine) as s:  # 1 April 00:10 in Shanghai
        tickets.rate_ticket(s, leak, RESIDENT, 1, datetime(2025, 3, 31, 16, 10, tzinfo=UTC))
    with db.transaction(world.engine) as s:  # the daily job at 00:30 on 1 April rates Q1
        rows = points.compute_quarter_stars(s, "2025Q1", datetime(2025, 3, 31, 16, 30, tzinfo=UTC), settings=settings)
        (q1,) = [r for r in rows if r.member_id == mid]
        q1_record = dict(points=q1.points, resolved=q1.resolved, on_time=q1.on_time, reopened=q1.reopened,
                         stars=q1.stars)
    with db.transaction(world.engine) as s:
        rows = points.compute_quarter_stars(s, "2025Q2", datetime(2025, 6, 30, 16, 30, tzinfo=UTC), settings=settings)
        (q2,) = [r for r in rows if r.member_id == mid]
        q2_record = dict(points=q2.points, resolved=q2.resolved, reopened=q2.reopened)
    assert q2_record["reopened"] == 1 and q2_record["points"] == -20, q2_record  # (the reopening: Q2's)
    assert (q1_record["resolved"], q1_record["on_time"]) == (1, 1), f"Q1 {q1_record}; Q2 {q2_record}"
