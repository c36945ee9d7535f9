"""Points, quarterly stars (评星) and leaderboards (routing/points.py), also with a ticket reopened by a low rating,
in its quarter or the next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from routing import db, dispatch, members, points, tickets
from tests.conftest import C1, C2, G11, G12, RESIDENT, T0, World, minutes
from tests.routing.helpers import done_ticket, plumbing_ticket, resolved_plumbing

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
SHANGHAI = ZoneInfo("Asia/Shanghai")


# --- quarters and stars ---

def test_quarters_in_local_time() -> None:
    # 2025-03-31 17:00 UTC is already 1 April in Shanghai.
    assert points.quarter_of(datetime(2025, 3, 31, 17, tzinfo=UTC), SHANGHAI) == "2025Q2"
    start, end = points.quarter_bounds("2025Q4", SHANGHAI)
    assert start == datetime(2025, 9, 30, 16, tzinfo=UTC)
    assert end == datetime(2025, 12, 31, 16, tzinfo=UTC)


@pytest.mark.parametrize(("record", "stars"), [
    ((0, 0, 0, None, 0, 0), 1),
    ((1, 0, 0, None, 10, 0), 2),
    ((5, 4, 0, None, 70, 0), 4),
    ((5, 5, 3, 4.7, 90, 0), 5),
    ((5, 5, 3, 4.7, 90, 1), 4),  # a reopened ticket costs the top star
    ((4, 2, 2, 3.0, 40, 0), 2),
])
def test_stars_for(record: tuple, stars: int) -> None:
    assert points.stars_for(*record) == stars


# --- points, stars and the leaderboard ---

def test_points_stars_and_leaderboard(world: World) -> None:
    a = world.member("甲", ["水暖"], G11)
    b = world.member("乙", ["家电维修"], G12)
    for i in range(4):  # fast class: 15 + 5 on time + 5 for five stars
        done_ticket(world, a, "repair.plumbing", T0 + timedelta(days=i), minutes_to_resolve=60,
              stars=5)
    # normal class, resolved late (after 72 h): 10, then 4 stars: +3
    done_ticket(world, b, "repair.appliance", T0, minutes_to_resolve=80 * 60, stars=4)
    ma, mb = world.get_member(a), world.get_member(b)
    assert ma.points == 100 and mb.points == 13

    with db.transaction(world.engine) as s:
        board = points.leaderboard(s, C1)
        assert [(x.rank, x.display_name, x.points) for x in board] == [(1, "甲", 100),
                                                                      (2, "乙", 13)]
        # Points earned in a period only.
        day2 = T0 + timedelta(days=2)
        assert points.leaderboard(s, G11, since=day2)[0].points == 50
        assert points.leaderboard(s, C2) == []
        rows = points.compute_quarter_stars(s, "2025Q1", T0 + timedelta(days=30),
                                            settings=world.settings)
        by_member = {r.member_id: r for r in rows}
        star_a = by_member[ma.id]
        assert (star_a.stars, star_a.resolved, star_a.on_time, star_a.rating_avg) == (5, 4, 4, 5.0)
        star_b = by_member[mb.id]
        assert (star_b.stars, star_b.on_time) == (2 + 1, 0)  # worked, well rated, late
        # Recomputing updates in place.
        again = points.compute_quarter_stars(s, "2025Q1", T0 + timedelta(days=31),
                                             settings=world.settings)
        assert len(again) == 2
        summary = points.member_summary(s, a)
    assert (summary.points, summary.rank_in_grid, summary.stars, summary.resolved) == (
        100, 1, 5, 4)


# --- a ticket reopened by a low rating, in its quarter or the next ---

def test_quarter_stars_do_not_count_a_reopened_resolution_as_on_time(world: World) -> None:
    """A member's quarter: ticket 1 resolved on time but rated 1 star (reopened: its points taken back, it no
    longer counts as resolved), ticket 2 resolved late: their record is 1 resolved, 0 on time, no punctuality star."""
    settings = world.settings
    plumber = world.member("王师傅", ["水暖"], G11)
    t1 = plumbing_ticket(world)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, t1, plumber, T0 + minutes(5), settings=settings)
    with db.transaction(world.engine) as s:
        tickets.resolve_ticket(s, t1, plumber, T0 + minutes(30))  # on time
    with db.transaction(world.engine) as s:
        tickets.rate_ticket(s, t1, RESIDENT, 1, T0 + minutes(40))  # reopened
    t2 = plumbing_ticket(world, now=T0 + minutes(60))
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, t2, plumber, T0 + minutes(65), settings=settings)
    with db.transaction(world.engine) as s:
        tickets.resolve_ticket(s, t2, plumber, T0 + minutes(60 + 30 * 60))  # 30 h: late
    with db.transaction(world.engine) as s:
        mid = members.get_member(s, plumber).id
        rows = points.compute_quarter_stars(s, "2025Q1", T0 + timedelta(days=10),
                                            settings=settings)
        (row,) = [r for r in rows if r.member_id == mid]
        record = (row.resolved, row.on_time, row.stars)
    assert record == (1, 0, 2), f"(resolved, on_time, stars) = {record}"


@SQLITE
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
    x = resolved_plumbing(world, plumber, datetime(2025, 3, 31, 2, 0, tzinfo=UTC))
    with db.transaction(world.engine) as s:  # the daily job at 00:30 on 1 April rates Q1
        points.compute_quarter_stars(s, "2025Q1", datetime(2025, 3, 31, 16, 30, tzinfo=UTC), settings=settings)
    with db.transaction(world.engine) as s:  # 2 April: the resident of the Q1 leak is not satisfied
        tickets.rate_ticket(s, x, RESIDENT, 1, datetime(2025, 4, 2, 2, 0, tzinfo=UTC))
    y = resolved_plumbing(world, plumber, datetime(2025, 4, 10, 2, 0, tzinfo=UTC))
    with db.transaction(world.engine) as s:
        tickets.rate_ticket(s, y, RESIDENT, 5, datetime(2025, 4, 10, 4, 0, tzinfo=UTC))
    with db.transaction(world.engine) as s:
        mid = world.member_id(plumber)
        rows = points.compute_quarter_stars(s, "2025Q2", datetime(2025, 6, 30, 16, 30, tzinfo=UTC) + timedelta(0),
                                            settings=settings)
        (row,) = [r for r in rows if r.member_id == mid]
        record = (row.resolved, row.on_time, row.stars)
    assert record[:2] == (1, 1) and record[2] >= 3, f"Q2 (resolved, on_time, stars) = {record}"


@SQLITE
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
    leak = resolved_plumbing(world, plumber, datetime(2025, 3, 31, 2, 0, tzinfo=UTC))  # 31 March 10:00 in Shanghai
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
