"""Weekly report series, daily digests and the /stats figures (routing/reports.py, issue #5, item 5), each queued once
per person and period, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, update
from sqlmodel import select

from routing import db, dispatch, members, reports, tickets
from routing.models import Coordinator, Notification, NotificationKind, Person, ReportRun, Ticket
from routing.models import TicketStatus as S
from tests.conftest import (
    COORD,
    G11,
    G12,
    G21,
    GRID_COORD,
    RESIDENT,
    STREET,
    T0,
    World,
    as_processes,
    minutes,
)
from tests.routing.helpers import resolved_then_reopened

SHANGHAI = ZoneInfo("Asia/Shanghai")
SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


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


# --- the weekly series, the daily digest, the /stats figures ---

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


def test_daily_digest_counts_a_reopened_ticket_past_its_limit_as_overdue(world: World) -> None:
    """The digest's `overdue` is "open now and past a response or resolution limit": a reopened ticket nobody has
    fixed a day later is both, and counted."""
    tid = resolved_then_reopened(world)
    later = T0 + minutes(26 * 60)  # two hours past the 24 h resolution limit
    with db.transaction(world.engine) as s:
        assert s.get(Ticket, tid).status == S.reopened
        digest = reports.daily_digest(s, G11, later)
    assert digest.open == 1
    assert digest.overdue == 1, f"digest says overdue={digest.overdue} for an open ticket 2 h past its limit"


@SQLITE
def test_the_grid_with_overdue_tickets_comes_first_in_a_streets_stats(world: World) -> None:
    """The street coordinator sends /stats. 幸福里第一网格 had three leaks today, all within their limits; 和平路第一网格
    had one, two days ago, nobody took it and it is long past its limit (超期率 100%). The fix lists the grids "the most
    overdue first" (and cuts the list at 20), but sorts on an `overdue` key the figures do not have (they carry
    `overdue_rate`): the grids come busiest first, and on a big street the late grid is the one cut off."""
    now = T0 + timedelta(days=2)
    with db.transaction(world.engine) as s:
        tickets.submit_ticket(s, RESIDENT, "厨房水管漏水了", T0, label="repair.plumbing", grid_code=G21,
                              address="和平路5号2单元301", phone="13800000000", confidence=0.9,
                              settings=world.settings)
    for i in range(3):
        with db.transaction(world.engine) as s:
            tickets.submit_ticket(s, RESIDENT + 1 + i, "卫生间下水道堵了", now - minutes(5 - i),
                                  label="repair.plumbing", grid_code=G11, address="幸福里3号楼2单元501",
                                  phone="13800000000", confidence=0.9, settings=world.settings)
    with db.transaction(world.engine) as s:
        figures = reports.scope_figures(s, STREET, T0 - timedelta(days=1), now, now)
    order = [(name, g["total"], g["overdue_rate"]) for name, g in figures["grids"]]
    assert order[0][0].endswith("和平路第一网格"), order


def test_list_coordinators(world: World, backend: str) -> None:
    with db.transaction(world.engine) as s:
        assert reports.list_coordinators(s) == [(COORD, STREET), (GRID_COORD, G11)]


# --- digests and weekly reports queued, each once per period (queue_due_reports) ---

LATE_AFTER = timedelta(minutes=10)
LOCAL_MONDAY = datetime(2025, 3, 3, tzinfo=SHANGHAI)  # T0 is this Monday, 10:00 local


def _queue(engine: Engine, at: datetime, **kw: object) -> int:
    with db.transaction(engine) as s:
        return reports.queue_due_reports(s, at, SHANGHAI, late_after=LATE_AFTER, **kw)


def _queued(engine: Engine) -> list[tuple[str, int, str, bool]]:
    kinds = [NotificationKind.daily_digest, NotificationKind.weekly_report]
    with db.transaction(engine) as s:
        return [(n.kind, n.recipient_id, n.payload["period"], n.payload["late"]) for n in s.exec(
            select(Notification).where(Notification.kind.in_(kinds)).order_by(Notification.id))]


def test_digest_daily_and_report_weekly_once_each(world: World, backend: str) -> None:
    engine = world.engine
    assert _queue(engine, LOCAL_MONDAY + timedelta(hours=7, minutes=59)) == 0  # nothing due yet
    assert _queue(engine, LOCAL_MONDAY + timedelta(hours=8)) == 2  # the digest, on time
    for later in (timedelta(hours=8, minutes=3), timedelta(hours=8, minutes=59)):
        assert _queue(engine, LOCAL_MONDAY + later) == 0
    assert _queue(engine, LOCAL_MONDAY + timedelta(hours=9, seconds=30)) == 2  # Monday 09:00
    assert _queue(engine, LOCAL_MONDAY + timedelta(days=1, hours=7)) == 0
    assert _queue(engine, LOCAL_MONDAY + timedelta(days=1, hours=8, minutes=4)) == 2
    assert _queue(engine, LOCAL_MONDAY + timedelta(days=6, hours=23)) == 2  # Sunday: a digest
    assert _queue(engine, LOCAL_MONDAY + timedelta(days=7, hours=9)) == 4  # next Monday: both
    digest, report = NotificationKind.daily_digest, NotificationKind.weekly_report
    assert _queued(engine) == [
        (digest, COORD, "2025-03-03", False), (digest, GRID_COORD, "2025-03-03", False),
        (report, COORD, "2025-W10", False), (report, GRID_COORD, "2025-W10", False),
        (digest, COORD, "2025-03-04", False), (digest, GRID_COORD, "2025-03-04", False),
        (digest, COORD, "2025-03-09", True), (digest, GRID_COORD, "2025-03-09", True),
        (digest, COORD, "2025-03-10", True), (digest, GRID_COORD, "2025-03-10", True),
        (report, COORD, "2025-W11", False), (report, GRID_COORD, "2025-W11", False)]
    with db.transaction(engine) as s:
        runs = s.exec(select(ReportRun)).all()
        notes = s.exec(select(Notification).where(Notification.kind == report)).all()
    assert len(runs) == 12
    assert {n.payload["scope"] for n in notes} == {STREET, G11}
    # The report of the last complete weeks, ending at that Monday 00:00.
    assert notes[0].payload["end"] == LOCAL_MONDAY.isoformat() and len(notes[0].payload["weeks"]) == 8


def test_a_bot_started_after_the_moment_sends_late(world: World, backend: str) -> None:
    """Down at Monday 09:00 and Tuesday 08:00: on start (Tuesday 10:00) this week's report and
    today's digest go out, marked late; yesterday's digest is not sent any more."""
    _small_world(world)
    with db.transaction(world.engine) as s:  # (coordinators since long before: a bot down, not a new coordinator)
        s.exec(update(Coordinator).values(created_at=T0 - timedelta(days=30)))
    assert _queue(world.engine, LOCAL_MONDAY + timedelta(days=1, hours=10)) == 4
    assert [(kind, period, late) for kind, _, period, late in _queued(world.engine)] == [
        (NotificationKind.daily_digest, "2025-03-04", True)] * 2 + [
        (NotificationKind.weekly_report, "2025-W10", True)] * 2
    with db.transaction(world.engine) as s:
        digest = s.exec(select(Notification).where(
            Notification.kind == NotificationKind.daily_digest,
            Notification.recipient_id == COORD)).one()
        as_of_start = reports.daily_digest(s, STREET, LOCAL_MONDAY + timedelta(days=1, hours=10))
    assert digest.payload == {**as_of_start.as_dict(), "period": "2025-03-04", "late": True}
    assert (as_of_start.new, as_of_start.open, as_of_start.resolved) == (2, 1, 1)


def test_batches_and_unreachable_coordinators(world: World, backend: str) -> None:
    at = LOCAL_MONDAY + timedelta(hours=9)
    with db.transaction(world.engine) as s:
        s.exec(update(Person).where(Person.telegram_id == GRID_COORD)
               .values(unreachable_at=T0))  # blocked the bot: gets nothing
    assert [_queue(world.engine, at, limit=1) for _ in range(3)] == [1, 1, 0]
    assert {(kind, rid) for kind, rid, _, _ in _queued(world.engine)} == {
        (NotificationKind.daily_digest, COORD), (NotificationKind.weekly_report, COORD)}


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


def test_marked_and_queued_together_or_not_at_all(world: World, backend: str) -> None:
    at = LOCAL_MONDAY + timedelta(hours=8)
    with pytest.raises(RuntimeError), db.transaction(world.engine) as s:
        assert reports.queue_due_reports(s, at, SHANGHAI, late_after=LATE_AFTER) == 2
        raise RuntimeError("crash before commit")
    with db.transaction(world.engine) as s:
        assert s.exec(select(ReportRun)).all() == []
    assert _queued(world.engine) == []
    assert _queue(world.engine, at) == 2


def test_several_processes_queue_each_once(world: World, backend: str, db_url: str) -> None:
    at = LOCAL_MONDAY + timedelta(hours=9)
    processes = 6 if backend == "postgres" else 3

    def process(engine: Engine, barrier: threading.Barrier) -> list[int]:
        barrier.wait(timeout=10)
        return [_queue(engine, at, limit=1), _queue(engine, at)]

    counts = as_processes(db_url, processes, process)
    assert sum(counts) == 4
    assert sorted((kind, rid) for kind, rid, _, _ in _queued(world.engine)) == sorted([
        (NotificationKind.daily_digest, COORD), (NotificationKind.daily_digest, GRID_COORD),
        (NotificationKind.weekly_report, COORD), (NotificationKind.weekly_report, GRID_COORD)])


# --- periods ---

def test_current_periods() -> None:
    monday_0859 = datetime(2025, 3, 3, 8, 59, tzinfo=SHANGHAI)
    assert [(p.kind, p.key) for p in reports.current_periods(monday_0859, SHANGHAI)] == [
        (NotificationKind.daily_digest, "2025-03-03")]
    sunday_late = datetime(2025, 3, 9, 23, 59, tzinfo=SHANGHAI)  # ISO week 10 still
    assert [p.key for p in reports.current_periods(sunday_late, SHANGHAI)] == ["2025-03-09", "2025-W10"]
    new_year = datetime(2027, 1, 1, 12, tzinfo=SHANGHAI)  # a Friday in ISO week 2026-W53
    assert [p.key for p in reports.current_periods(new_year, SHANGHAI)] == ["2027-01-01", "2026-W53"]


def test_stats_periods_begin_at_local_midnight() -> None:
    """/stats's periods begin at midnight in the deployment's time zone, not UTC's (at 00:30 on 1 March in Shanghai
    it is still February in UTC): 本月 from the 1st, 上月 the whole of last month, 近 7 天 seven whole days."""
    at = datetime(2026, 3, 1, 0, 30, tzinfo=SHANGHAI)
    local = {p: tuple(t.astimezone(SHANGHAI) for t in reports.stats_period(p, at, SHANGHAI))
             for p in reports.STATS_PERIODS}
    assert local["month"] == (datetime(2026, 3, 1, tzinfo=SHANGHAI), at)
    assert local["last_month"] == (datetime(2026, 2, 1, tzinfo=SHANGHAI), datetime(2026, 3, 1, tzinfo=SHANGHAI))
    assert local["quarter"] == (datetime(2026, 1, 1, tzinfo=SHANGHAI), at)
    assert local["7d"] == (datetime(2026, 2, 23, tzinfo=SHANGHAI), at)  # (7 whole days, today the 7th)
    assert local["30d"] == (datetime(2026, 1, 31, tzinfo=SHANGHAI), at)
    january = datetime(2026, 1, 10, 12, tzinfo=SHANGHAI)
    assert reports.stats_period("last_month", january, SHANGHAI) == (
        datetime(2025, 12, 1, tzinfo=SHANGHAI), datetime(2026, 1, 1, tzinfo=SHANGHAI))
    assert reports.stats_period("quarter", datetime(2026, 12, 31, 23, tzinfo=SHANGHAI), SHANGHAI)[0] == datetime(
        2026, 10, 1, tzinfo=SHANGHAI)
    with pytest.raises(ValueError):
        reports.stats_period("year", at, SHANGHAI)
