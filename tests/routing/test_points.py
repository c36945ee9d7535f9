"""Points, quarterly stars, leaderboards and the four rates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from routing import db, dispatch, points, stats, tickets
from routing.models import Alert
from tests.conftest import C1, C2, G11, G12, G21, RESIDENT, STREET, T0, World, minutes

SHANGHAI = ZoneInfo("Asia/Shanghai")


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


def _done(world: World, member: int, label: str, now: datetime, *, minutes_to_resolve: float,
          stars: int | None, grid: str = G11) -> int:
    with db.transaction(world.engine) as s:
        tid = tickets.submit_ticket(s, RESIDENT, "需要帮助", now, label=label, grid_code=grid,
                                    settings=world.settings).id
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, member, now + minutes(1))
        tickets.resolve_ticket(s, tid, member, now + minutes(minutes_to_resolve))
        if stars is not None:
            tickets.rate_ticket(s, tid, RESIDENT, stars, now + minutes(minutes_to_resolve + 5))
    return tid


def test_points_stars_and_leaderboard(world: World) -> None:
    a = world.member("甲", ["水暖"], G11)
    b = world.member("乙", ["家电维修"], G12)
    for i in range(4):  # fast class: 15 + 5 on time + 5 for five stars
        _done(world, a, "repair.plumbing", T0 + timedelta(days=i), minutes_to_resolve=60,
              stars=5)
    # normal class, resolved late (after 72 h): 10, then 4 stars: +3
    _done(world, b, "repair.appliance", T0, minutes_to_resolve=80 * 60, stars=4)
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


def test_stats(world: World, backend: str) -> None:
    fast = world.member("快", ["水暖"], G11)
    slow = world.member("慢", ["水暖"], G21)
    # t1: in time, 5 stars.
    t1 = _done(world, fast, "repair.plumbing", T0, minutes_to_resolve=60, stars=5)
    # t2: accepted after the 1 h limit, resolved after 24 h, 3 stars.
    with db.transaction(world.engine) as s:
        t2 = tickets.submit_ticket(s, RESIDENT, "漏水", T0, label="repair.plumbing",
                                   grid_code=G21).id
    with db.transaction(world.engine) as s:
        dispatch.decline_offer(s, t2, fast, T0 + minutes(1))
        dispatch.accept_offer(s, t2, slow, T0 + minutes(90))
        tickets.resolve_ticket(s, t2, slow, T0 + timedelta(hours=30))
        tickets.rate_ticket(s, t2, RESIDENT, 3, T0 + timedelta(hours=31))
    # t3: 其他, nobody took it, past its response limit by `now`.
    with db.transaction(world.engine) as s:
        t3 = tickets.submit_ticket(s, RESIDENT, "说不清", T0, label=None, grid_code=G11).id
    # t4: cancelled: left out.
    with db.transaction(world.engine) as s:
        t4 = tickets.submit_ticket(s, RESIDENT, "算了", T0, label=None, grid_code=G11).id
        tickets.cancel_ticket(s, t4, RESIDENT, T0 + minutes(1))
    # t5: accepted and resolved in time but got a red card anyway (as issue #5 records them).
    t5 = _done(world, fast, "repair.plumbing", T0, minutes_to_resolve=30, stars=None)
    with db.transaction(world.engine) as s:
        s.add(Alert(ticket_id=t5, limit_kind="respond", level="red", created_at=T0))

    now = T0 + timedelta(days=2)
    start, end = T0 - timedelta(days=1), T0 + timedelta(days=1)
    with db.transaction(world.engine) as s:
        whole = stats.compute_stats(s, STREET, start, end, now)
        assert (whole.total, whole.cancelled) == (4, 1)
        assert (whole.responded_on_time, whole.response_due) == (2, 4)
        assert (whole.resolved_on_time, whole.resolution_due) == (2, 3)  # t3 due in 72 h
        assert (whole.satisfied, whole.rated) == (1, 2)
        assert whole.overdue == 3  # t2 late, t3 never answered, t5 red card
        assert whole.as_dict()["response_rate"] == 0.5
        assert whole.overdue_rate == 0.75 and whole.satisfaction_rate == 0.5

        # A ticket neither answered nor past its limit does not count yet (t3 before 4 h).
        early = stats.compute_stats(s, STREET, start, end, T0 + minutes(0.5))
        assert (early.responded_on_time, early.response_due, early.overdue) == (2, 3, 2)

        c1 = stats.compute_stats(s, C1, start, end, now)
        assert c1.total == 3
        repair = stats.compute_stats(s, STREET, start, end, now, category="repair")
        assert repair.total == 3
        other = stats.compute_stats(s, STREET, start, end, now, category="other")
        assert (other.total, other.cancelled, other.overdue) == (1, 1, 1)

        by_cat = {x.key: x for x in stats.stats_by(s, STREET, start, end, now, by="category")}
        assert set(by_cat) == {"other", "repair"} and by_cat["repair"].satisfied == 1
        by_child = {x.key: x.total for x in stats.stats_by(s, STREET, start, end, now, by="child")}
        assert by_child == {C1: 3, C2: 1}
        by_grid = {x.key: x.total for x in stats.stats_by(s, C1, start, end, now, by="child")}
        assert by_grid == {G11: 3}
        # A later period is empty, and its rates are None, not errors.
        empty = stats.compute_stats(s, STREET, end, end + timedelta(days=7), now)
        assert empty.total == 0 and empty.response_rate is None
    assert t1 and t3
