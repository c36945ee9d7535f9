"""Time limits (超期监察): which tickets are near (🟡 yellow, 80 % of a limit) or past (🔴 red) their
response or resolution limit, and the periodic scan that sends each card once.

`scan_alerts(session, now)` is the scheduler step (every `scan_interval()`): it finds open tickets
by their indexed due times, writes one `Alert` row per (ticket, limit, level) — the row goes in
first, `INSERT … ON CONFLICT DO NOTHING`, so a card whose row already exists is never sent
again, whatever number of scanners run — and only for the rows it really inserted queues the
card and, for a red card, escalates the ticket grid → community → street (an event in the log).
A card whose moment passed more than two scan intervals ago (the bot was down) is marked late.

Each scan reads ranges of two partial indexes, (time class, due time) of the tickets whose
response / resolution limit still runs, so closed tickets cost nothing. A steady scan (`since` =
shortly before the previous scan) looks only at cards whose moment fell since then: narrow
ranges, cheap at any size. A sweep (`since` None) finds every unwritten card, late ones
included: the bot sweeps at start and every tenth scan (`Scanner`). On PostgreSQL candidates
are taken FOR UPDATE SKIP LOCKED, so concurrent scanners share the work instead of waiting.
A scan's writes are set-based: all its alert rows in one INSERT, its escalations in one UPDATE
and its log events in one INSERT on PostgreSQL, its notifications in one `notify_rows`, all in
the caller's transaction (`routing.alerts_bench` measures a scan of 1,000 cards).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    and_,
    bindparam,
    case,
    exists,
    false,
    func,
    or_,
    text,
    update,
)
from sqlalchemy import select as sa_select
from sqlalchemy.orm import load_only
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, select

from classifier.taxonomy import Taxonomy
from routing.config import Settings, get_settings, get_taxonomy
from routing.db import among, bulk_insert, core, insert_new, is_postgres, recordset, rows_json
from routing.errors import ConcurrentUpdate
from routing.geography import get_node
from routing.members import coordinators_at_level, require_coordinator
from routing.models import (
    RESOLUTION_RUNS,
    RESPONSE_RUNS,
    Alert,
    Coordinator,
    Member,
    Notification,
    NotificationKind,
    NotificationStatus,
    Offer,
    OfferKind,
    OfferState,
    Person,
    Ticket,
    TicketEvent,
)
from routing.models import TicketStatus as S
from routing.outbox import notification_row, notify_rows
from routing.states import STATUS_NAMES, WITH_ASSIGNEE, can_transition, event_row, record_events
from routing.views import TicketFacts, ticket_payload

YELLOW_SHARE = 0.8  # a yellow card at 80 % of a limit
UNANSWERED = RESPONSE_RUNS  # waiting for 接单/派单: the response limit runs (until accepted)
UNRESOLVED = RESOLUTION_RUNS
MAX_ESCALATION = 2  # street
ESCALATE_TO_STATUS = (S.offered, S.dispatch, S.escalated, S.reopened)  # as dispatch.escalate_ticket
LATE_AFTER_SCANS = 2  # a card more than this many scan intervals past its moment is "late"
SCAN_INTERVAL_MIN = timedelta(seconds=1)
SCAN_INTERVAL_MAX = timedelta(seconds=60)
LIMITS = ("respond", "resolve")
# Tickets per scan; the next scan takes the rest. 1,000 is 1 % of 100,000 open tickets, all in
# one scan (measured by routing.alerts_bench: ~110–120 ms on SQLite, ~140–240 ms on PostgreSQL by
# load); the cap bounds a catch-up sweep's transaction after a long downtime.
SCAN_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class Breach:
    """One limit of one ticket that is near or past due."""

    limit: str  # "respond" or "resolve"
    level: str  # "yellow" or "red"
    due_at: datetime


def open_limits(ticket: Ticket) -> list[tuple[str, datetime]]:
    """The limits still running for a ticket: respond until accepted, resolve until resolved."""
    checks = []
    if ticket.accepted_at is None and ticket.status in UNANSWERED:
        checks.append(("respond", ticket.respond_due_at))
    if ticket.resolved_at is None:  # (a reopened ticket's is cleared: its limit runs again)
        checks.append(("resolve", ticket.resolve_due_at))
    return checks


def yellow_at(ticket: Ticket, due: datetime) -> datetime:
    """The moment of the yellow card for a limit due at `due` (80 % of the way there)."""
    return ticket.created_at + (due - ticket.created_at) * YELLOW_SHARE


def level_at(ticket: Ticket, due: datetime, now: datetime) -> str | None:
    """"red" past the limit, "yellow" from 80 % of it, else None."""
    if now >= due:
        return "red"
    if now >= yellow_at(ticket, due):
        return "yellow"
    return None


def breach_of(ticket: Ticket, now: datetime) -> Breach | None:
    """The most pressing limit of a ticket at `now`, if it is at least at 80 %."""
    checks = open_limits(ticket)
    for limit, due in checks:
        if now >= due:
            return Breach(limit, "red", due)
    for limit, due in checks:
        if level_at(ticket, due, now) == "yellow":
            return Breach(limit, "yellow", due)
    return None


def overdue_tickets(session: Session, coordinator_id: int, now: datetime, *, limit: int = 50,
                    settings: Settings | None = None) -> tuple[list[dict[str, Any]], int]:
    """/overdue: open tickets in the coordinator's scope past (red) or near (yellow) a limit, red first, then by due
    time (the first `limit`); and how many such tickets there are in all."""
    settings = settings or get_settings()
    taxonomy = get_taxonomy(settings)
    scopes = require_coordinator(session, coordinator_id)
    # Each class's own 20 % windows (not the widest: fresh fast tickets inside the slow class's window filled the
    # rows read and pushed a red ticket out); breach_of decides exactly; the red ones are read first.
    respond, resolve = (yellow_windows(limit_, settings, taxonomy) for limit_ in ("respond", "resolve"))
    in_scope = or_(Ticket.grid_code.in_(scopes), Ticket.community_code.in_(scopes),
                   Ticket.street_code.in_(scopes))

    def within(respond_window: timedelta, resolve_window: timedelta) -> ColumnElement[bool]:
        """A limit still running falls due within its window from now."""
        return or_(and_(Ticket.accepted_at.is_(None), Ticket.respond_due_at <= now + respond_window),
                   Ticket.resolve_due_at <= now + resolve_window)

    near = or_(*(and_(Ticket.time_class == code, within(respond[code], resolve[code])) for code in respond),
               and_(Ticket.time_class.notin_(list(respond)),  # (a class no longer in the taxonomy: the widest)
                    within(max(respond.values()), max(resolve.values()))))
    red = within(timedelta(0), timedelta(0))
    rows = session.exec(select(Ticket).where(Ticket.status.in_(UNRESOLVED), in_scope, near)
                        .order_by(case((red, 0), else_=1), Ticket.resolve_due_at).limit(limit * 4)).all()
    # (each row read is decided by breach_of; past the rows read, the count is the query's)
    total = session.exec(select(func.count()).select_from(Ticket).where(
        Ticket.status.in_(UNRESOLVED), in_scope, near)).one() if len(rows) == limit * 4 else None
    found = []
    for ticket in rows:
        breach = breach_of(ticket, now)
        if breach is not None:
            payload = ticket_payload(session, ticket, taxonomy=taxonomy)
            payload.update(overdue=breach.level == "red", limit=breach.limit, due_at=breach.due_at,
                           minutes_past_due=math.floor((now - breach.due_at).total_seconds() / 60))
            found.append(payload)
    found.sort(key=lambda p: (not p["overdue"], p["due_at"]))
    shown = found[:limit]
    # (who to chase: the member holding it, or the one a 指派 waits for, as the cards say)
    waiting_for = dict(session.exec(
        select(Offer.ticket_id, Member.display_name).join(Member, Member.id == Offer.member_id)
        .where(Offer.kind == OfferKind.dispatch, Offer.state == OfferState.pending,
               Offer.ticket_id.in_([p["ticket_id"] for p in shown]))).all()) if shown else {}
    for payload in shown:
        if payload["status"] not in WITH_ASSIGNEE:
            payload.pop("member_name", None)
            if payload["ticket_id"] in waiting_for:
                payload["assigned_to"] = waiting_for[payload["ticket_id"]]
    return shown, len(found) if total is None else max(total, len(found))


# The scan ------------------------------------------------------------------------------------

def scan_interval(settings: Settings | None = None) -> timedelta:
    """How often to scan: 1/20 of the shortest scaled limit, between 1 s and 60 s."""
    settings = settings or get_settings()
    classes = get_taxonomy(settings).classes.values()
    shortest = min((settings.scaled(d) for c in classes for d in (c.respond, c.resolve)),
                   default=SCAN_INTERVAL_MAX * 20)
    return max(SCAN_INTERVAL_MIN, min(SCAN_INTERVAL_MAX, shortest / 20))


def yellow_windows(limit: str, settings: Settings, taxonomy: Taxonomy,
                   classes: Iterable[str] | None = None) -> dict[str, timedelta]:
    """Per time class: how long before the due time its yellow card falls (20 % of its limit);
    for `classes` (default: the taxonomy's), one no longer in the taxonomy gets the widest."""
    windows = {code: settings.scaled(getattr(c, limit)) * (1 - YELLOW_SHARE)
               for code, c in taxonomy.classes.items()}
    if classes is None:
        return windows
    widest = max(windows.values(), default=timedelta(0))
    return {code: windows.get(code, widest) for code in classes}


def _sent(limit: str, *levels: str) -> ColumnElement[bool]:
    """An alert of one of `levels` exists for the ticket's `limit` (the unique index answers)."""
    return exists().where(Alert.ticket_id == Ticket.id, Alert.limit_kind == limit,
                          Alert.level.in_(levels))


def _indexed(limit: str) -> ColumnElement[bool]:
    """The WHERE of the limit's partial index, with the statuses as literals: SQLite uses a partial
    index only for a query that repeats its terms, and takes no bound value for a literal."""
    if limit == "respond":
        return and_(Ticket.status.in_(_literal(RESPONSE_RUNS)), Ticket.accepted_at.is_(None))
    return Ticket.status.in_(_literal(RESOLUTION_RUNS))


def _literal(statuses: tuple[str, ...]) -> Any:
    """A list of statuses written into the SQL (cached statements stay cached)."""
    return bindparam(None, [str(s) for s in statuses], expanding=True, literal_execute=True)


def _running(limit: str) -> ColumnElement[bool]:
    """The tickets whose `limit` still runs (the SQL form of `open_limits`)."""
    if limit == "respond":
        return _indexed(limit)
    return and_(_indexed(limit), Ticket.resolved_at.is_(None))


def running_classes(session: Session, limit: str) -> list[str]:
    """The time classes of the tickets in the limit's partial index, one index probe per class
    (a loose index scan: each class is the least one above the previous), so that a sweep also
    finds the tickets of a class no longer in the taxonomy."""
    indexed = _indexed(limit)
    classes = (select(func.min(Ticket.time_class).label("code")).where(indexed)
               .cte("classes", recursive=True))
    following = (select(func.min(Ticket.time_class))
                 .where(indexed, Ticket.time_class > classes.c.code).scalar_subquery())
    classes = classes.union_all(select(following).where(classes.c.code.is_not(None)))
    return [code for code in session.exec(select(classes.c.code)) if code is not None]


def _due_terms(limit: str, now: datetime, windows: dict[str, timedelta],
               since: datetime | None) -> list[Any]:
    """OR-terms for tickets with a card of `limit` due at `now` and not written yet; each term
    is a range of the limit's partial index (time class, due time), which holds only the tickets
    whose limit still runs (breach_of's rules decide exactly, afterwards).

    `since` given: only cards whose moment fell in (since, now], per time class — red: due in
    (since, now]; yellow: due in (since + w, now + w], w = 20 % of the class's scaled limit.
    These ranges are narrow whatever the number of open tickets.
    `since` None (a sweep: start-up, and now and then): every card due and unwritten, late ones
    included — per class, due <= now + w. A sweep looks at the classes of the running tickets
    (`running_classes`): a class no longer in the taxonomy gets the widest window, and its
    tickets are found by sweeps only."""
    due = Ticket.respond_due_at if limit == "respond" else Ticket.resolve_due_at
    running = _running(limit)
    no_card = ~_sent(limit, "yellow", "red")
    if since is not None:
        return [term for code, w in windows.items() for term in (
            and_(running, Ticket.time_class == code, due > since, due <= now, ~_sent(limit, "red")),
            and_(running, Ticket.time_class == code, due > since + w, due <= now + w, no_card))]
    unsent = or_(no_card, and_(due <= now, ~_sent(limit, "red")))
    return [and_(running, Ticket.time_class == code, due <= now + w, unsent)
            for code, w in windows.items()]


# The ticket columns a scan reads (its own and `ticket_payload`'s), read as plain rows: for a
# thousand tickets on PostgreSQL, ORM instances of every column took ~50 ms, of these ~39 ms, rows
# ~20 ms (measured). tests/routing/test_alerts.py counts a scan's statements.
_SCAN_READS = (Ticket.id, Ticket.number, Ticket.text, Ticket.label, Ticket.urgent, Ticket.time_class,
               Ticket.status, Ticket.grid_code, Ticket.community_code, Ticket.street_code,
               Ticket.attachments, Ticket.assignee_id, Ticket.escalation_level, Ticket.version,
               Ticket.created_at, Ticket.accepted_at, Ticket.resolved_at, Ticket.respond_due_at,
               Ticket.resolve_due_at)


def candidate_query(now: datetime, settings: Settings, taxonomy: Taxonomy, max_rows: int,
                    *, since: datetime | None = None, lock: bool = False,
                    classes: dict[str, list[str]] | None = None) -> Any:
    """Rows of `_SCAN_READS` of the tickets with some card due (at most `max_rows`), see `_due_terms`;
    `lock`: FOR UPDATE
    SKIP LOCKED, so that concurrent scanners (PostgreSQL) take different tickets, never wait.
    `classes`: per limit, the time classes to look at (default: the taxonomy's)."""
    terms = [term for kind in LIMITS for term in _due_terms(
        kind, now, yellow_windows(kind, settings, taxonomy, (classes or {}).get(kind)), since)]
    query = sa_select(*_SCAN_READS).where(or_(false(), *terms)).limit(max_rows)  # (no terms: no row)
    if lock:
        query = query.with_for_update(skip_locked=True, of=Ticket.__table__)
    return query


@dataclass(slots=True)
class _Card:
    ticket: TicketFacts  # a row of candidate_query (or a Ticket)
    limit: str
    level: str
    due_at: datetime
    escalation_level: int = 0  # for red: the level the ticket goes to
    yellow_missed: bool = False  # for red: no yellow card of this limit was written (the bot was down past both)


_ALERTS = Alert.__table__
_ALERT_COLUMNS = ("ticket_id", "limit_kind", "level", "escalation_level", "created_at")
_ALERT_KEY = ("ticket_id", "limit_kind", "level")
_INSERT_ALERTS = (bulk_insert(_ALERTS, _ALERT_COLUMNS)
                  .on_conflict_do_nothing(index_elements=list(_ALERT_KEY))
                  .returning(*(_ALERTS.c[c] for c in _ALERT_KEY)))


def _insert_alerts(session: Session, cards: list[_Card], now: datetime) -> set[tuple[int, str, str]]:
    """Insert the cards' alert rows (INSERT … ON CONFLICT DO NOTHING); the keys of those really
    inserted — a row that already exists (another scanner's) is not, and its card not sent."""
    rows = [{"ticket_id": c.ticket.id, "limit_kind": c.limit, "level": c.level,
             "escalation_level": c.escalation_level, "created_at": now} for c in cards]
    if not rows:
        return set()
    if is_postgres(session):
        return {tuple(row) for row in core(session, _INSERT_ALERTS, {"_rows": rows_json(rows)})}
    return insert_new(session, _ALERTS, rows, _ALERT_KEY)


_TICKETS = Ticket.__table__
# The escalations, each UPDATE checked against the version the scan read. SQLite: one UPDATE
# per ticket (an executemany); PostgreSQL: all in one UPDATE … FROM `recordset`.
_ESCALATE = (update(_TICKETS)
             .where(_TICKETS.c.id == bindparam("_id"), _TICKETS.c.version == bindparam("_version"))
             .values(status=bindparam("_status"), escalation_level=bindparam("_level"),
                     updated_at=bindparam("_now", type_=_TICKETS.c.updated_at.type),
                     version=_TICKETS.c.version + 1))
_ESCALATED = recordset(_TICKETS, ("id", "version", "status", "escalation_level"))
_ESCALATE_ALL = (update(_TICKETS)
                 .where(_TICKETS.c.id == _ESCALATED.c.id,
                        _TICKETS.c.version == _ESCALATED.c.version)
                 .values(status=_ESCALATED.c.status,
                         escalation_level=_ESCALATED.c.escalation_level,
                         updated_at=bindparam("_now", type_=_TICKETS.c.updated_at.type),
                         version=_TICKETS.c.version + 1))
_EVENTS = TicketEvent.__table__


@lru_cache(maxsize=8)
def _insert_events(columns: tuple[str, ...]) -> Any:
    """The `bulk_insert` of events with the columns `event_row` fills (the rest: defaults)."""
    return bulk_insert(_EVENTS, columns)


def _assign_levels(cards: list[_Card]) -> None:
    """Each red card takes its ticket one level further up (grid → community → street); a yellow card goes to the
    level the ticket is at when it falls due (after a red card due before it in the same scan: the level above,
    as when the bot never stopped)."""
    levels: dict[int, int] = {}
    for card in sorted(cards, key=lambda c: c.due_at if c.level == "red" else yellow_at(c.ticket, c.due_at)):
        before = levels.get(card.ticket.id, card.ticket.escalation_level)
        if card.level == "red":
            levels[card.ticket.id] = card.escalation_level = min(before + 1, MAX_ESCALATION)
        else:
            card.escalation_level = before


def _escalate(session: Session, reds: list[_Card], now: datetime) -> dict[int, str]:
    """Apply the red cards' escalations: a ticket waiting for 接单 or 派单 becomes `escalated`,
    one in hand keeps its status (as dispatch.escalate_ticket). Every ticket's UPDATE checks the
    version the scan read; one event per card in the ticket's log. Returns ticket → its status now."""
    events, final, tickets = [], {}, {}
    for card in reds:
        ticket = card.ticket
        before, status = final.get(ticket.id, (ticket.escalation_level, ticket.status))
        target = (str(S.escalated) if status in ESCALATE_TO_STATUS
                  and can_transition(status, S.escalated) else status)
        changed = (card.escalation_level, target) != (before, status)
        events.append(event_row(
            ticket, "escalated" if changed else "overdue", now, from_status=status,
            to_status=target, data={"reason": f"{card.limit}_overdue", "limit": card.limit,
                                    "card": "red", "level": card.escalation_level,
                                    "due_at": card.due_at.isoformat()}))
        final[ticket.id] = (card.escalation_level, target)
        tickets[ticket.id] = ticket
    if final:
        if is_postgres(session):
            rows = [{"id": tid, "version": tickets[tid].version, "status": status,
                     "escalation_level": level} for tid, (level, status) in final.items()]
            result = core(session, _ESCALATE_ALL, {"_rows": rows_json(rows), "_now": now})
        else:
            result = core(session, _ESCALATE, [
                {"_id": tid, "_version": tickets[tid].version, "_status": status, "_level": level,
                 "_now": now} for tid, (level, status) in final.items()])
        if result.rowcount not in (-1, len(final)):
            raise ConcurrentUpdate("工单刚刚被其他操作更新，超期扫描稍后重试")
        # The scan reads rows; a Ticket of these already in the session is stale now.
        for tid in final:
            loaded = session.identity_map.get(session.identity_key(Ticket, tid))
            if loaded is not None:
                session.expire(loaded)
    if events and is_postgres(session):
        core(session, _insert_events(tuple(events[0])), {"_rows": rows_json(events)})
    else:
        record_events(session, events)
    return {tid: status for tid, (_, status) in final.items()}


def _due_cards(session: Session, tickets: list[Ticket], now: datetime) -> list[_Card]:
    """The cards due for these (locked) tickets that have no alert row yet; a due red card
    makes a never written yellow card of the same limit moot."""
    postgres = is_postgres(session)
    sent = set(session.exec(select(Alert.ticket_id, Alert.limit_kind, Alert.level).where(
        among(Alert.ticket_id, (t.id for t in tickets), postgres))).all())
    cards = []
    for ticket in tickets:
        for kind, due in open_limits(ticket):
            level = level_at(ticket, due, now)
            if level is None or (ticket.id, kind, "red") in sent:
                continue
            if level == "yellow" and (ticket.id, kind, "yellow") in sent:
                continue
            cards.append(_Card(ticket, kind, level, due, ticket.escalation_level,
                               yellow_missed=level == "red" and (ticket.id, kind, "yellow") not in sent))
    _assign_levels(cards)
    return cards


def scan_alerts(session: Session, now: datetime, *, settings: Settings | None = None,
                limit: int = SCAN_LIMIT, since: datetime | None = None) -> int:
    """Scheduler step: write and queue every yellow/red card that is due; returns how many.

    At 80 % of a limit a 🟡 yellow card goes to the assignee (if any), the grid's coordinators and
    those of the ticket's current level; past it a 🔴 red card goes to the coordinators one level up and
    the ticket escalates. At most `limit` tickets per call (the next call
    takes the rest). `since`: look only for cards whose moment fell after it (the steady scan,
    cheap at any size, see `Scanner`); None sweeps every open ticket (late cards included)."""
    settings = settings or get_settings()
    taxonomy = get_taxonomy(settings)
    postgres = is_postgres(session)
    if postgres:
        # The planner prices the per-row EXISTS probes of the candidate query high enough to JIT-
        # compile it (0.1–1 s, measured) for a query that runs in 5–30 ms: not for this one.
        session.exec(text("SET LOCAL jit = off"))
    classes = {kind: running_classes(session, kind) for kind in LIMITS} if since is None else None
    query = candidate_query(now, settings, taxonomy, limit, since=since, lock=postgres,
                            classes=classes)
    tickets = sorted(core(session, query).all(), key=lambda t: t.id)
    if not tickets:
        return 0
    if postgres:
        # The engine plans every statement anew (force_custom_plan, for the range queries above);
        # the notifications below are the same INSERT hundreds of times: planned once they cost
        # the server 40 % less (measured).
        session.exec(text("SET LOCAL plan_cache_mode = auto"))
    cards = _due_cards(session, tickets, now)
    written = _insert_alerts(session, cards, now)
    if len(written) < len(cards):  # another scanner was first with some: only ours count
        cards = [c for c in cards if (c.ticket.id, c.limit, c.level) in written]
        _assign_levels(cards)
    if not cards:
        return 0
    escalated = _escalate(session, [c for c in cards if c.level == "red"], now)
    _queue_cards(session, cards, now, settings, taxonomy, escalated)
    return len(cards)


class Scanner:
    """When the periodic job sweeps and how far back a steady scan looks (one per process).

    The first scan after start sweeps (cards that fell due while the bot was down go out, late);
    then each scan looks back to one interval before the previous one (so a ticket another
    transaction had locked is looked at twice), and every `SWEEP_EVERY` scans it sweeps again
    (a limit that started running again, e.g. a reopened ticket, is found then). A scan that
    reached its limit is repeated from the same point. Nothing here is needed for correctness
    across processes: the alert rows are."""

    SWEEP_EVERY = 10

    def __init__(self, settings: Settings | None = None, *, limit: int = SCAN_LIMIT) -> None:
        self.interval = scan_interval(settings)
        self.limit = limit
        self.since: datetime | None = None  # None: the next scan sweeps
        self.scans = 0

    def next_since(self) -> datetime | None:
        """The `since` for the next scan (None: sweep)."""
        return None if self.scans % self.SWEEP_EVERY == 0 else self.since

    def done(self, started: datetime, written: int) -> None:
        """Record a committed scan that began at `started`."""
        if written >= self.limit:  # maybe more: the next scan starts from the same point
            return
        self.since = started - self.interval
        self.scans += 1


def _coordinators(session: Session, tickets: Iterable[Ticket]) -> tuple[dict[str, list[int]], frozenset[int]]:
    """Coordinators by scope for the tickets' grids, communities and streets, and those of them who cannot be
    reached (see members.coordinators_at_level), in one query."""
    codes = {code for t in tickets for code in (t.grid_code, t.community_code, t.street_code)}
    postgres = is_postgres(session)
    by_scope: dict[str, list[int]] = {}
    away: set[int] = set()
    for telegram_id, scope, gone in session.exec(
            select(Coordinator.telegram_id, Coordinator.scope_code, Person.unreachable_at)
            .join(Person, Person.telegram_id == Coordinator.telegram_id, isouter=True)
            .where(among(Coordinator.scope_code, codes, postgres))):
        by_scope.setdefault(scope, []).append(telegram_id)
        if gone is not None:
            away.add(telegram_id)
    return {scope: sorted(ids) for scope, ids in by_scope.items()}, frozenset(away)


def _coordinators_at(ticket: Ticket, level: int, loaded: tuple[dict[str, list[int]], frozenset[int]]) -> list[int]:
    """members.coordinators_for for the ticket's grid at `level`, from coordinators already loaded."""
    return coordinators_at_level([ticket.grid_code, ticket.community_code, ticket.street_code], level, *loaded)


def _last_reopened(session: Session, ticket_ids: list[int]) -> dict[int, datetime]:
    """Ticket → when it was last reopened, for those of `ticket_ids` ever reopened (one query; none when empty)."""
    if not ticket_ids:
        return {}
    return dict(session.exec(
        select(TicketEvent.ticket_id, func.max(TicketEvent.at))
        .where(TicketEvent.kind == "reopened", among(TicketEvent.ticket_id, set(ticket_ids), is_postgres(session)))
        .group_by(TicketEvent.ticket_id)).all())


def _queue_cards(session: Session, cards: list[_Card], now: datetime, settings: Settings,
                 taxonomy: Taxonomy, statuses: dict[int, str]) -> None:
    """One notification per card and recipient, in one INSERT. 🟡: the member holding the ticket
    (if any), the grid's coordinators and those of its current level; 🔴: the coordinators one level up."""
    tickets = list({c.ticket.id: c.ticket for c in cards}.values())
    # The assignees, in one query and held here: ticket_payload reads their names from the
    # identity map, which is weak. Only the columns read here (another loads when first read).
    postgres = is_postgres(session)
    assignees = {m.id: m for m in session.exec(
        select(Member).options(load_only(Member.telegram_id, Member.display_name))
        .where(among(Member.id, {t.assignee_id for t in tickets if t.assignee_id}, postgres)))}
    coordinators = _coordinators(session, tickets)
    by_scope = coordinators[0]  # (who coordinates each level, reachable or not: whether anyone is there)
    late_after = scan_interval(settings) * LATE_AFTER_SCANS
    # The public view: a card shows the request, not the resident's contact details.
    payloads = {t.id: ticket_payload(session, t, taxonomy=taxonomy) for t in tickets}
    for tid, status in statuses.items():  # (the scan's rows were read before the escalation)
        payloads[tid] |= {"status": status, "status_name": STATUS_NAMES.get(S(status), status)}
    moments = {id(card): card.due_at if card.level == "red" else yellow_at(card.ticket, card.due_at)
               for card in cards}
    reopened = _last_reopened(session, [c.ticket.id for c in cards if now - moments[id(c)] > late_after])
    # Who a coordinator's 指派 waits for (a card says so, not 「还没有党员接单」), and who got a 🟡 already (a member
    # who took the ticket after it went to another is told at the 🔴 that its limit has passed).
    waiting_for = dict(session.exec(
        select(Offer.ticket_id, Member.display_name).join(Member, Member.id == Offer.member_id)
        .where(Offer.kind == OfferKind.dispatch, Offer.state == OfferState.pending,
               among(Offer.ticket_id, {t.id for t in tickets}, postgres))).all())
    red_ids = {c.ticket.id for c in cards if c.level == "red"}
    told_yellow = {(n.ticket_id, n.recipient_id, (n.payload or {}).get("limit")) for n in session.exec(
        select(Notification).where(Notification.kind == NotificationKind.yellow_card,
                                   Notification.status.in_([NotificationStatus.pending, NotificationStatus.claimed,
                                                            NotificationStatus.sent]),  # (not dropped, not given up)
                                   among(Notification.ticket_id, red_ids, postgres)))} if red_ids else set()
    rows = []
    for card in cards:
        ticket = card.ticket
        # A card is late (补发) when it waited past its moment, not when a reopening made it due at once (such a
        # card is found by the next sweep: Scanner.SWEEP_EVERY scans at most).
        moment, reopened_at = moments[id(card)], reopened.get(ticket.id)
        late = (now - reopened_at > late_after + scan_interval(settings) * Scanner.SWEEP_EVERY
                if reopened_at is not None and reopened_at > moment else now - moment > late_after)
        payload = {**payloads[ticket.id], "limit": card.limit, "level": card.level,
                   "due_at": card.due_at.isoformat(), "late": late,
                   "escalation_level": card.escalation_level, "audience": "coordinator"}
        kind = NotificationKind.yellow_card if card.level == "yellow" else NotificationKind.red_card
        member = assignees.get(ticket.assignee_id) if ticket.status in WITH_ASSIGNEE else None
        if member is None and ticket.id in waiting_for:
            payload["assigned_to"] = waiting_for[ticket.id]
        recipients = _coordinators_at(ticket, card.escalation_level, coordinators)
        if card.level == "yellow" and card.escalation_level > 0:
            # (product.md: a yellow card goes to the grid's coordinator, who still answers for the ticket after it
            # went up a level, as well as to that level's)
            recipients = sorted({*recipients, *_coordinators_at(ticket, 0, coordinators)})
        if card.level == "red":
            code = ticket.street_code if card.escalation_level >= 2 else ticket.community_code
            payload["escalated_to"] = get_node(session, code).name
            # (nobody coordinates that level nor above: the card came back to those below, who still have the ticket)
            path = [ticket.grid_code, ticket.community_code, ticket.street_code][card.escalation_level:]
            payload["nobody_there"] = not any(by_scope.get(node) for node in path)
            payload["nobody_at_level"] = not by_scope.get(code)  # (it went on up: the street has it)
        if card.level == "yellow" and member is not None and member.telegram_id not in recipients:
            # (a coordinator holding the ticket themselves gets the coordinator's card: it never waits for the morning)
            rows.append(notification_row(member.telegram_id, kind, now, ticket.id,
                                         {**payload, "audience": "member"}))
        elif (card.level == "red" and member is not None and member.telegram_id not in recipients
              and (ticket.id, member.telegram_id, card.limit) not in told_yellow):
            # (no 🟡 reached the member holding it — the bot was down past both moments, or it went to the one before
            # them: they are told its limit has passed; a coordinator holding it themselves gets the red card)
            rows.append(notification_row(member.telegram_id, NotificationKind.yellow_card, now, ticket.id,
                                         {**payload, "level": "yellow", "audience": "member", "past_due": True}))
        rows += [notification_row(r, kind, now, ticket.id, payload) for r in recipients]
    notify_rows(session, rows, ids=False)
