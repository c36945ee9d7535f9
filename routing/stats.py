"""服务效能 statistics, computed in SQL aggregates (COUNT … FILTER), never ticket by ticket.

For tickets created in [start, end) under a scope node; a cancelled ticket counts only for what came due or was done
before it was cancelled (an answer, a rating, a red card, a limit passed), so cancelling — by the resident, /forget
or a coordinator — never erases a breach from the figures:
- 响应率 response_rate: accepted within the response limit / tickets accepted or past that limit;
- 解决率 resolution_rate: resolved within the resolution limit / resolved or past that limit;
- 满意率 satisfaction_rate: rated 4–5 / rated;
- 超期率 overdue_rate: tickets that got a red card (or, red card or not, went past a limit) / all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, literal, or_, true
from sqlmodel import Session, select

from routing.geography import get_node
from routing.models import Alert, GeoLevel, GeoNode, Ticket, UTCDateTime
from routing.models import TicketStatus as S

OTHER_CATEGORY = "other"


@dataclass(frozen=True, slots=True)
class Stats:
    key: str | None  # the group (category code, node code) or None for the whole scope
    total: int  # tickets counted (a cancelled one only as the module says)
    cancelled: int
    open: int
    responded_on_time: int
    response_due: int
    resolved_on_time: int
    resolution_due: int
    rated: int
    satisfied: int
    overdue: int

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return part / whole if whole else None  # (not rounded here: 1 of 25,000 shows as <0.1%, not 0%)

    @property
    def response_rate(self) -> float | None:
        """响应率 (None when nothing is due yet)."""
        return self._rate(self.responded_on_time, self.response_due)

    @property
    def resolution_rate(self) -> float | None:
        """解决率."""
        return self._rate(self.resolved_on_time, self.resolution_due)

    @property
    def satisfaction_rate(self) -> float | None:
        """满意率."""
        return self._rate(self.satisfied, self.rated)

    @property
    def overdue_rate(self) -> float | None:
        """超期率."""
        return self._rate(self.overdue, self.total)

    def as_dict(self) -> dict[str, Any]:
        """Counts and the four rates, for reports and JSON."""
        return {"key": self.key, "total": self.total, "cancelled": self.cancelled,
                "open": self.open, "rated": self.rated,
                "response_rate": self.response_rate, "resolution_rate": self.resolution_rate,
                "satisfaction_rate": self.satisfaction_rate, "overdue_rate": self.overdue_rate}


def _aggregates(now: datetime) -> list[Any]:
    cancelled = Ticket.status == S.cancelled
    # A cancelled ticket's limits stop running when it is cancelled.
    at = func.coalesce(Ticket.cancelled_at, literal(now, UTCDateTime))
    # IN (subquery), not a correlated EXISTS: evaluated once into a hash (PostgreSQL) or a
    # temporary index (SQLite) instead of once per ticket.
    red_card = Ticket.id.in_(select(Alert.ticket_id).where(Alert.level == "red"))
    live = or_(~cancelled, Ticket.accepted_at.is_not(None), Ticket.rating.is_not(None), red_card,
               Ticket.respond_due_at <= Ticket.cancelled_at)
    late = or_(
        Ticket.accepted_at > Ticket.respond_due_at,
        and_(Ticket.accepted_at.is_(None), Ticket.respond_due_at <= at),
        Ticket.resolved_at > Ticket.resolve_due_at,
        and_(Ticket.resolved_at.is_(None), Ticket.resolve_due_at <= at),
    )
    count = func.count
    return [
        count().filter(live).label("total"),
        count().filter(cancelled).label("cancelled"),
        count().filter(Ticket.status.notin_([S.cancelled, S.closed, S.resolved])).label("open"),
        count().filter(live, Ticket.accepted_at <= Ticket.respond_due_at)
        .label("responded_on_time"),
        count().filter(live, or_(Ticket.accepted_at.is_not(None), Ticket.respond_due_at <= at))
        .label("response_due"),
        count().filter(live, Ticket.resolved_at <= Ticket.resolve_due_at)
        .label("resolved_on_time"),
        count().filter(live, or_(Ticket.resolved_at.is_not(None), Ticket.resolve_due_at <= at))
        .label("resolution_due"),
        count().filter(live, Ticket.rating.is_not(None)).label("rated"),
        count().filter(live, Ticket.rating >= 4).label("satisfied"),
        count().filter(live, or_(red_card, late)).label("overdue"),
    ]


def _scope_filter(session: Session, scope: str | None) -> Any:
    if scope is None:
        return true()
    node = get_node(session, scope)
    column = {GeoLevel.street: Ticket.street_code, GeoLevel.community: Ticket.community_code,
              GeoLevel.grid: Ticket.grid_code}[GeoLevel(node.level)]
    return column == scope


def _row_to_stats(key: str | None, row: Any) -> Stats:
    return Stats(key, *(int(getattr(row, name) or 0) for name in (
        "total", "cancelled", "open", "responded_on_time", "response_due", "resolved_on_time",
        "resolution_due", "rated", "satisfied", "overdue")))


def compute_stats(session: Session, scope: str | None, start: datetime, end: datetime,
                  now: datetime, *, category: str | None = None) -> Stats:
    """The four rates for one scope node (None: everything), period and optional category."""
    query = select(*_aggregates(now)).where(
        _scope_filter(session, scope), Ticket.created_at >= start, Ticket.created_at < end)
    if category == OTHER_CATEGORY:
        query = query.where(Ticket.category.is_(None))
    elif category is not None:
        query = query.where(Ticket.category == category)
    return _row_to_stats(None, session.exec(query).one())


def stats_by(session: Session, scope: str | None, start: datetime, end: datetime, now: datetime,
             *, by: str = "category") -> list[Stats]:
    """The four rates grouped by `category`, `grid`, `community` or `child` (the scope's
    children: communities of a street, grids of a community), in one query."""
    if by == "child":
        level = get_node(session, scope).level if scope else GeoLevel.street
        by = {GeoLevel.street: "community", GeoLevel.community: "grid",
              GeoLevel.grid: "grid"}[GeoLevel(level)]
    columns = {"category": func.coalesce(Ticket.category, OTHER_CATEGORY),
               "grid": Ticket.grid_code, "community": Ticket.community_code,
               "street": Ticket.street_code}
    if by not in columns:
        raise ValueError(f"unknown grouping {by!r}")
    key = columns[by].label("key")
    query = (select(key, *_aggregates(now))
             .where(_scope_filter(session, scope), Ticket.created_at >= start,
                    Ticket.created_at < end)
             .group_by(key).order_by(key))
    return [_row_to_stats(row.key, row) for row in session.exec(query)]


def node_names(session: Session) -> dict[str, str]:
    """Code → name for every node (to label grouped statistics)."""
    return dict(session.exec(select(GeoNode.code, GeoNode.name)).all())
