"""The scan writes its cards in bulk (on PostgreSQL one statement per kind of row): one scan of
many tickets writes exactly what scans of one ticket each write, and a ticket changed since the
scan read it stops the scan."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event, update
from sqlmodel import Session, select

from routing import alerts, db, dispatch, members
from routing.errors import ConcurrentUpdate
from routing.models import Alert, Notification, Ticket, TicketEvent
from tests.conftest import COORD, T0, World, minutes
from tests.routing.test_alerts import FAST_RESOLVE, FAST_RESPOND, submit


def written(session: Session) -> dict[str, list[Any]]:
    """Everything a scan writes, without ids, in a stable order."""
    def canonical(*values: Any) -> str:
        return json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values],
                          sort_keys=True, ensure_ascii=False)

    return {
        "alerts": sorted(canonical(a.ticket_id, a.limit_kind, a.level, a.escalation_level,
                                   a.created_at) for a in session.exec(select(Alert))),
        "events": sorted(canonical(e.ticket_id, e.at, e.actor_id, e.actor_role, e.kind,
                                   e.from_status, e.to_status, e.data)
                         for e in session.exec(select(TicketEvent))),
        "notifications": sorted(canonical(n.recipient_id, n.kind, n.ticket_id, n.payload,
                                          n.refers_to_id, n.status, n.attempts, n.created_at,
                                          n.next_attempt_at)
                                for n in session.exec(select(Notification))),
        "tickets": sorted(canonical(t.id, t.status, t.escalation_level, t.version, t.updated_at)
                          for t in session.exec(select(Ticket))),
    }


SCAN_STATEMENTS = 16  # measured: 15 on SQLite, 16 on PostgreSQL (its SET LOCALs), late cards ("when reopened"), who a
# 指派 waits for and who had a 🟡 (for a red card's holder) included


@contextmanager
def count_statements(engine: Engine) -> Iterator[list[str]]:
    """The statements sent on `engine` inside the block."""
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def mixed_tickets(world: World, now: datetime) -> list[int]:
    """Tickets with every kind of card due at `now`: two late reds (a ticket climbs two levels),
    one red, yellows of the response limit, and a resolution yellow of a ticket in hand (to its
    member and the coordinators)."""
    engine, settings = world.engine, world.settings
    ids = [submit(engine, settings, now=now - minutes(FAST_RESOLVE * 2)) for _ in range(3)]
    ids += [submit(engine, settings, now=now - minutes(FAST_RESPOND + 1)) for _ in range(2)]
    ids += [submit(engine, settings, now=now - minutes(48)) for _ in range(3)]
    in_hand = submit(engine, settings, now=now - minutes(FAST_RESOLVE * 0.8 + 1))
    plumber = world.member("王师傅", ["水暖"], now=now - minutes(FAST_RESOLVE * 0.8))
    with db.transaction(engine) as s:
        dispatch.assign_ticket(s, in_hand, COORD, members.get_member(s, plumber).id,
                               now - minutes(FAST_RESOLVE * 0.8), settings=world.settings)
    with db.transaction(engine) as s:
        dispatch.accept_offer(s, in_hand, plumber, now - minutes(FAST_RESOLVE * 0.8 - 1),
                              settings=world.settings)
    return [*ids, in_hand]


def test_one_scan_of_many_writes_what_scans_of_one_write(world: World) -> None:
    now = T0 + minutes(FAST_RESOLVE * 3)
    ids = mixed_tickets(world, now)
    with Session(world.engine, expire_on_commit=False) as s, s.begin():
        before = written(s)
    with Session(world.engine, expire_on_commit=False) as s, count_statements(world.engine) as sent:
        tx = s.begin()
        assert alerts.scan_alerts(s, now, settings=world.settings) == 3 * 2 + 2 + 3 + 1
        statements = len(sent)
        together = written(s)
        tx.rollback()
    # A fixed number of statements, however many tickets: none per ticket (e.g. a column the
    # scan does not load, read for each ticket).
    assert statements <= SCAN_STATEMENTS, sent
    one_by_one = 0
    while step := _scan(world.engine, world, now, limit=1):
        one_by_one += step
    assert one_by_one == 12
    with Session(world.engine, expire_on_commit=False) as s, s.begin():
        apart = written(s)
    assert together == apart != before
    assert len(apart["alerts"]) == 12
    assert len(apart["events"]) - len(before["events"]) == 3 * 2 + 2  # one per red card
    # The member of the ticket in hand and the coordinators each got their card once.
    assert len(apart["notifications"]) - len(before["notifications"]) > 12
    assert {json.loads(t)[0] for t in apart["tickets"]} == set(ids)


def _scan(engine: Engine, world: World, now: datetime, **kw: Any) -> int:
    with db.transaction(engine) as s:
        return alerts.scan_alerts(s, now, settings=world.settings, **kw)


def test_a_ticket_changed_since_it_was_read_stops_the_scan(world: World) -> None:
    """Every escalation checks the version the scan read (in one UPDATE on PostgreSQL): a ticket
    updated meanwhile aborts the scan's transaction, nothing of it is written."""
    settings = world.settings
    ids = [submit(world.engine, settings) for _ in range(3)]
    now = T0 + minutes(FAST_RESPOND)
    with Session(world.engine, expire_on_commit=False) as s:
        tx = s.begin()
        tickets = sorted(s.exec(select(Ticket).where(Ticket.id.in_(ids))), key=lambda t: t.id)
        cards = alerts._due_cards(s, tickets, now)
        assert [c.level for c in cards] == ["red"] * 3
        table = Ticket.__table__  # Core: the tickets read keep the version they had
        s.connection().execute(update(table).where(table.c.id == ids[1])
                               .values(version=table.c.version + 1))
        with pytest.raises(ConcurrentUpdate):
            alerts._escalate(s, cards, now)
        tx.rollback()
    assert _scan(world.engine, world, now) == 3  # the next scan writes them all
