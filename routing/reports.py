"""Weekly reports and daily digests for coordinators, computed in SQL aggregates (routing.stats).

No personal data: only counts and rates for a scope node (grid, community, street).

  weekly_report(session, scope, now, tz, weeks=8)   WeeklyReport: the four rates per week
                                        (Monday 00:00 local) and tickets per category
  scope_figures(session, scope, start, end, now)    /stats for one scope: its rates, by child node and category
  stats_period(period, now, tz)                     [start, end) of a /stats period (STATS_PERIODS)
  daily_digest(session, scope, now)                 Digest: new / open / overdue / resolved in
                                        the last 24 h (open and overdue: now), 满意率 (30 days)
  list_coordinators(session)                        [(telegram_id, scope_code)] who get them
  queue_due_reports(session, now, tz, late_after)   queue today's digests and this week's
                                        reports not queued yet (once per period, any process)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, literal, or_
from sqlmodel import Session, select

from routing import stats
from routing.config import get_settings
from routing.db import insert_new
from routing.geography import get_node
from routing.members import covers, widest_scopes
from routing.models import (
    Coordinator,
    GeoLevel,
    GeoNode,
    NotificationKind,
    Person,
    ReportRun,
    Ticket,
    UTCDateTime,
)
from routing.models import TicketStatus as S
from routing.outbox import notification_row, notify_rows

RATES = ("response_rate", "resolution_rate", "satisfaction_rate", "overdue_rate")
RATE_NAMES = {"response_rate": "响应率", "resolution_rate": "解决率",
              "satisfaction_rate": "满意率", "overdue_rate": "超期率"}
OTHER_NAME = "其他"
DIGEST_SATISFACTION_DAYS = 30
DIGEST_AT = time(8, 0)  # every day, local time
WEEKLY_AT = time(9, 0)  # Mondays, local time
REPORT_WEEKS = 8


@dataclass(frozen=True, slots=True)
class Week:
    start: datetime  # aware, Monday 00:00 local time
    end: datetime  # the next Monday, or `now` for the current week
    stats: dict[str, Any]  # Stats.as_dict(): total, open, rated and the four rates

    @property
    def label(self) -> str:
        """The week as printed on the chart's axis: 3/3 (its Monday)."""
        return f"{self.start.month}/{self.start.day}"


@dataclass(frozen=True, slots=True)
class WeeklyReport:
    scope: str | None
    scope_name: str
    start: datetime
    end: datetime
    weeks: list[Week]
    categories: list[tuple[str, str, int]] = field(default_factory=list)  # code, name, tickets
    totals: dict[str, Any] = field(default_factory=dict)  # the whole period

    def as_dict(self) -> dict[str, Any]:
        return {"scope": self.scope, "scope_name": self.scope_name,
                "start": self.start.isoformat(), "end": self.end.isoformat(),
                "weeks": [{"start": w.start.isoformat(), "label": w.label, **w.stats}
                          for w in self.weeks],
                "categories": [{"code": c, "name": n, "total": t} for c, n, t in self.categories],
                "totals": self.totals}


def week_start(moment: datetime, tz: ZoneInfo) -> datetime:
    """Monday 00:00 (local) of the week containing `moment`."""
    local = moment.astimezone(tz)
    monday = local.date() - timedelta(days=local.weekday())
    return datetime.combine(monday, time(0), tzinfo=tz)


# The periods /stats can show: the last 7 or 30 days (today included, from local midnight), this month or quarter
# so far, or the whole of last month.
STATS_PERIODS = ("7d", "30d", "month", "last_month", "quarter")
DEFAULT_STATS_PERIOD = "30d"


def stats_period(period: str, now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a /stats period (one of STATS_PERIODS); every period begins at local midnight, so that the
    first day it names is counted whole."""
    local = now.astimezone(tz)
    if period in ("7d", "30d"):
        first = local.date() - timedelta(days=int(period[:-1]) - 1)
        return datetime.combine(first, time(0), tzinfo=tz), now
    month = datetime(local.year, local.month, 1, tzinfo=tz)
    if period == "month":
        return month, now
    if period == "last_month":
        last = month - timedelta(days=1)
        return datetime(last.year, last.month, 1, tzinfo=tz), month
    if period == "quarter":
        return datetime(local.year, local.month - (local.month - 1) % 3, 1, tzinfo=tz), now
    raise ValueError(f"unknown /stats period {period!r}")


def _category_names(category_names: Mapping[str, str] | None) -> Mapping[str, str]:
    if category_names is not None:
        return category_names
    from routing.config import get_taxonomy

    return get_taxonomy().categories


def scope_name(session: Session, scope: str | None) -> str:
    return get_node(session, scope).name if scope else "全部"


def scope_figures(session: Session, scope: str, start: datetime, end: datetime, now: datetime, *,
                  category_names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """/stats for one scope node: its name and four rates, then the same for each of its communities or grids
    and each category with tickets (name, figures), busiest first."""
    names = _category_names(category_names)
    node_names = stats.node_names(session)
    children = [] if get_node(session, scope).level == GeoLevel.grid else [
        (node_names.get(row.key, row.key), row.as_dict())
        for row in stats.stats_by(session, scope, start, end, now, by="child")
    ]
    categories = [
        (OTHER_NAME if row.key == stats.OTHER_CATEGORY else names.get(row.key, row.key), row.as_dict())
        for row in stats.stats_by(session, scope, start, end, now, by="category") if row.total
    ]
    categories.sort(key=lambda c: -c[1]["total"])
    # (a street's grids too, those with tickets, named with their community — two may both be 第一网格 —, the most
    # overdue first: which grid of a community is late cannot be told from the community)
    grids = []
    if get_node(session, scope).level == GeoLevel.street:
        parents = dict(session.exec(select(GeoNode.code, GeoNode.parent_code)).all())
        grids = [(f"{node_names.get(parents.get(row.key) or '', '')}·{node_names.get(row.key, row.key)}", row.as_dict())
                 for row in stats.stats_by(session, scope, start, end, now, by="grid") if row.total]
        grids.sort(key=lambda g: (-(g[1].get("overdue_rate") or 0), -g[1]["total"]))
    return {"name": scope_name(session, scope),
            "figures": stats.compute_stats(session, scope, start, end, now).as_dict(),
            "children": children, "grids": grids, "categories": categories}


def weekly_report(session: Session, scope: str | None, now: datetime, tz: ZoneInfo, *,
                  weeks: int = 8, end: datetime | None = None,
                  category_names: Mapping[str, str] | None = None) -> WeeklyReport:
    """The last `weeks` weeks up to `end` (default `now`; the last week may be partial): the
    four rates per week, and tickets per category over the whole period."""
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    end = end or now
    first = week_start(end - timedelta(microseconds=1), tz) - timedelta(weeks=weeks - 1)
    series = []
    for i in range(weeks):
        start = (first + timedelta(weeks=i))
        stop = min(start + timedelta(weeks=1), end)
        figures = stats.compute_stats(session, scope, start, stop, now)
        series.append(Week(start, stop, figures.as_dict()))
    names = _category_names(category_names)
    categories = [
        (row.key, OTHER_NAME if row.key == stats.OTHER_CATEGORY else names.get(row.key, row.key),
         row.total)
        for row in stats.stats_by(session, scope, first, end, now, by="category")
        if row.total
    ]
    categories.sort(key=lambda c: (-c[2], c[0]))
    totals = stats.compute_stats(session, scope, first, end, now).as_dict()
    return WeeklyReport(scope, scope_name(session, scope), first, end, series, categories, totals)


@dataclass(frozen=True, slots=True)
class Digest:
    scope: str | None
    scope_name: str
    new: int  # created in the last 24 h (not cancelled)
    open: int  # open now, whenever created
    overdue: int  # open now and past a response or resolution limit
    resolved: int  # resolved in the last 24 h
    satisfaction_rate: float | None  # 满意率 of tickets created in the last 30 days

    def as_dict(self) -> dict[str, Any]:
        return {"scope": self.scope, "scope_name": self.scope_name, "new": self.new,
                "open": self.open, "overdue": self.overdue, "resolved": self.resolved,
                "satisfaction_rate": self.satisfaction_rate}


def daily_digest(session: Session, scope: str | None, now: datetime, tz: ZoneInfo | None = None) -> Digest:
    """Counts for the coordinator's morning message, in one aggregate query (+ 满意率 of the same 30 days as /stats's
    近 30 天: from local midnight, so that the two say the same figure on the same morning)."""
    at = literal(now, UTCDateTime)
    since = literal(now - timedelta(days=1), UTCDateTime)
    is_open = Ticket.status.notin_([S.cancelled, S.closed, S.resolved])
    past_limit = or_(and_(Ticket.accepted_at.is_(None), Ticket.respond_due_at <= at),
                     and_(Ticket.resolved_at.is_(None), Ticket.resolve_due_at <= at))
    count = func.count
    row = session.exec(select(
        count().filter(Ticket.status != S.cancelled, Ticket.created_at >= since).label("new"),
        count().filter(is_open).label("open"),
        count().filter(is_open, past_limit).label("overdue"),
        count().filter(Ticket.status.in_([S.resolved, S.closed]), Ticket.resolved_at >= since,
                       Ticket.resolved_at < at).label("resolved"),
    ).where(stats._scope_filter(session, scope), Ticket.created_at < at)).one()
    month_start, _ = stats_period(f"{DIGEST_SATISFACTION_DAYS}d", now, tz or get_settings().tz)
    month = stats.compute_stats(session, scope, month_start, now, now)
    return Digest(scope, scope_name(session, scope), int(row.new or 0), int(row.open or 0),
                  int(row.overdue or 0), int(row.resolved or 0), month.satisfaction_rate)


def _served(session: Session, pair: tuple[int, str], theirs: list[str]) -> bool:
    """Whether the person got this period's message for a scope within or around this one already (`theirs`: the
    scopes they got it for; the street's, then made only 网格员 of one of its grids: not the grid's too)."""
    scope = pair[1]
    return any(covers(session, [other], scope) or covers(session, [scope], other) for other in theirs)


def list_coordinators(session: Session) -> list[tuple[int, str]]:
    """Every (coordinator, scope) pair that gets digests and weekly reports, reachable ones only."""
    return list(appointed(session))


def appointed(session: Session) -> dict[tuple[int, str], datetime]:
    """When each (coordinator, scope) pair that gets digests and weekly reports was appointed, reachable ones only."""
    rows = session.exec(
        select(Coordinator.telegram_id, Coordinator.scope_code, Coordinator.created_at)
        .join(Person, Person.telegram_id == Coordinator.telegram_id)
        .where(Person.unreachable_at.is_(None))
        .order_by(Coordinator.telegram_id, Coordinator.scope_code))
    return {(int(tid), code): at for tid, code, at in rows}


# Sending each once per period ------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Period:
    """One digest or weekly report period: what, which (its key), and from when it is due."""

    kind: NotificationKind
    key: str  # the local date, 2025-03-03, or the ISO week, 2025-W10
    moment: datetime  # 08:00 that day / 09:00 that week's Monday, local time


def current_periods(now: datetime, tz: ZoneInfo) -> list[Period]:
    """Today's digest and this week's report, those whose moment has passed."""
    today = now.astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    year, week, _ = today.isocalendar()
    periods = [Period(NotificationKind.daily_digest, today.isoformat(),
                      datetime.combine(today, DIGEST_AT, tzinfo=tz)),
               Period(NotificationKind.weekly_report, f"{year}-W{week:02d}",
                      datetime.combine(monday, WEEKLY_AT, tzinfo=tz))]
    return [p for p in periods if now >= p.moment]


def _content(session: Session, period: Period, scope: str, now: datetime,
             tz: ZoneInfo) -> dict[str, Any]:
    """What the digest or report says, as of `now` (the report: the complete weeks before it)."""
    if period.kind == NotificationKind.daily_digest:
        return daily_digest(session, scope, now, tz).as_dict()
    return weekly_report(session, scope, now, tz, weeks=REPORT_WEEKS,
                         end=week_start(now, tz)).as_dict()


def queue_due_reports(session: Session, now: datetime, tz: ZoneInfo, *, late_after: timedelta,
                      limit: int = 20) -> int:
    """Queue the current periods' digests and weekly reports that no process has queued yet, for
    at most `limit` (coordinator, scope) pairs; returns how many (call again while it is `limit`).

    Each goes in first as a `report_run` row (`db.insert_new`: INSERT … ON CONFLICT DO NOTHING),
    and only the rows this call inserted are computed and queued in the outbox, in the same
    transaction: several processes queue each once, and none is marked without being queued.
    One queued more than `late_after` after its moment (the bot was down) is marked late."""
    queued = 0
    # (a coordinator of a street and of one of its grids gets the street's: the grid's figures are in it)
    pairs = appointed(session)
    several = {tid for tid, count in Counter(tid for tid, _ in pairs).items() if count > 1}
    widest = {tid: widest_scopes(session, tid) for tid in several}
    coordinators = {(tid, scope): at for (tid, scope), at in pairs.items() if tid not in widest or scope in widest[tid]}
    for period in current_periods(now, tz):
        done = set(session.exec(select(ReportRun.recipient_id, ReportRun.scope_code)
                                .where(ReportRun.kind == period.kind, ReportRun.period == period.key)))
        # (one per person and period: a coordinator who got the street's today does not get their grid's too, should
        # they give up the street during the day)
        done_by: dict[int, list[str]] = {}
        for recipient, scope in done:
            done_by.setdefault(recipient, []).append(scope)
        todo = [pair for pair in coordinators
                if pair not in done and not _served(session, pair, done_by.get(pair[0], []))][:limit - queued]
        # (late only for whoever coordinated then: a coordinator appointed after 08:00 gets today's digest, on time)
        late = {pair: now - period.moment > late_after and coordinators[pair] <= period.moment for pair in todo}
        mine = insert_new(session, ReportRun.__table__, [
            {"kind": period.kind, "period": period.key, "recipient_id": recipient, "scope_code": scope,
             "late": late[recipient, scope], "created_at": now} for recipient, scope in todo],
            ("kind", "period", "recipient_id", "scope_code"))
        notes = [notification_row(recipient, period.kind, now, None,
                                  {**_content(session, period, scope, now, tz),
                                   "period": period.key, "late": late[recipient, scope]})
                 for recipient, scope in todo
                 if (period.kind, period.key, recipient, scope) in mine]
        notify_rows(session, notes, ids=False)
        queued += len(notes)
        if queued >= limit:
            break
    return queued
