"""Weekly report series and daily digests (issue #5, item 5), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from routing import db, dispatch, reports, tickets
from tests.conftest import COORD, G11, G12, GRID_COORD, RESIDENT, STREET, T0, World, minutes

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _submit(world: World, label: str | None, at: datetime) -> int:
    with db.transaction(world.engine) as s:
        return tickets.submit_ticket(s, RESIDENT, "需要帮助", at, label=label, grid_code=G11,
                                     settings=world.settings).id


def _small_world(world: World) -> None:
    """T0 is Monday 2025-03-03 10:00 in Shanghai.
    Week of 2/24: t4 repair, on time, 3 stars.
    Week of 3/3:  t1 repair, on time, 5 stars; t2 其他, nobody took it; t3 cancelled.
    Week of 3/10: t5 repair, accepted at once, still open."""
    member = world.member("甲", ["水暖"], G11, now=T0 - timedelta(days=5))
    t4 = _submit(world, "repair.plumbing", T0 - timedelta(days=3))
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, t4, member, T0 - timedelta(days=3) + minutes(1))
        tickets.resolve_ticket(s, t4, member, T0 - timedelta(days=3) + minutes(60))
        tickets.rate_ticket(s, t4, RESIDENT, 3, T0 - timedelta(days=3) + minutes(70))
    t1 = _submit(world, "repair.plumbing", T0)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, t1, member, T0 + minutes(1))
        tickets.resolve_ticket(s, t1, member, T0 + minutes(60))
        tickets.rate_ticket(s, t1, RESIDENT, 5, T0 + minutes(70))
    _submit(world, None, T0)
    t3 = _submit(world, None, T0 + minutes(2))
    with db.transaction(world.engine) as s:
        tickets.cancel_ticket(s, t3, RESIDENT, T0 + minutes(3))
    t5 = _submit(world, "repair.plumbing", T0 + timedelta(days=7))
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, t5, member, T0 + timedelta(days=7) + minutes(1))


def test_weekly_series(world: World, backend: str) -> None:
    _small_world(world)
    now = T0 + timedelta(days=7, hours=1)
    with db.transaction(world.engine) as s:
        report = reports.weekly_report(s, STREET, now, SHANGHAI, weeks=3)
    assert [w.label for w in report.weeks] == ["2/24", "3/3", "3/10"]
    assert report.weeks[0].start == datetime(2025, 2, 24, tzinfo=SHANGHAI)
    assert report.weeks[-1].end == now and report.end == now
    rates = [tuple(w.stats[k] for k in ("total", *reports.RATES)) for w in report.weeks]
    assert rates == [
        (1, 1.0, 1.0, 0.0, 0.0),
        (2, 0.5, 0.5, 1.0, 0.5),  # t2 past both limits; the cancelled t3 left out
        (1, 1.0, None, None, 0.0),  # nothing due for resolution yet
    ]
    assert report.categories == [("repair", "家居维修", 3), ("other", "其他", 1)]
    assert report.totals["total"] == 4 and report.totals["satisfaction_rate"] == 0.5
    assert report.scope_name
    data = report.as_dict()
    assert data["weeks"][1]["overdue_rate"] == 0.5 and "resident" not in str(data)


def test_weekly_report_ends_at_a_given_monday(world: World, backend: str) -> None:
    _small_world(world)
    monday = datetime(2025, 3, 10, tzinfo=SHANGHAI)
    with db.transaction(world.engine) as s:
        report = reports.weekly_report(s, G11, monday + timedelta(hours=9), SHANGHAI, weeks=2,
                                       end=monday)
        empty = reports.weekly_report(s, G12, monday, SHANGHAI, weeks=2)
    assert [w.label for w in report.weeks] == ["2/24", "3/3"]
    assert [w.stats["total"] for w in report.weeks] == [1, 2]
    assert empty.categories == [] and all(w.stats["response_rate"] is None for w in empty.weeks)


def test_daily_digest(world: World, backend: str) -> None:
    _small_world(world)
    with db.transaction(world.engine) as s:
        day1 = reports.daily_digest(s, STREET, T0 + timedelta(days=1))
        day8 = reports.daily_digest(s, G11, T0 + timedelta(days=7, hours=1))
        other = reports.daily_digest(s, G12, T0 + timedelta(days=1))
    # new: t1, t2 (t3 cancelled); open: t2, past its response limit; resolved: t1.
    assert (day1.new, day1.open, day1.overdue, day1.resolved) == (2, 1, 1, 1)
    assert day1.satisfaction_rate == 0.5  # t4 3★, t1 5★
    assert (day8.new, day8.open, day8.overdue, day8.resolved) == (1, 2, 1, 0)
    assert (other.new, other.open, other.satisfaction_rate) == (0, 0, None)
    assert day1.as_dict()["scope"] == STREET


def test_list_coordinators(world: World, backend: str) -> None:
    with db.transaction(world.engine) as s:
        assert reports.list_coordinators(s) == [(COORD, STREET), (GRID_COORD, G11)]
