"""Yellow and red cards with a controllable clock (nothing sleeps): each card once per (ticket,
limit, level), escalation grid → community → street, restarts, late cards, the holder told, reopened tickets,
/overdue, concurrent scanners, and the scan's writes in bulk."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, text, update
from sqlmodel import Session, select

from routing import alerts, db, dispatch, members, outbox, tickets
from routing.alerts import scan_alerts
from routing.config import Settings, get_taxonomy
from routing.errors import ConcurrentUpdate
from routing.models import Alert, Notification, NotificationKind, NotificationStatus, Ticket, TicketEvent
from routing.models import TicketStatus as S
from tests.conftest import C1, COORD, G11, GRID_COORD, RESIDENT, T0, World, as_processes, minutes
from tests.routing.helpers import plumbing_ticket

COMMUNITY_COORD = 9101
FAST_RESPOND, FAST_RESOLVE = 60, 1440  # repair.plumbing is "fast" (minutes)


def submit(engine: Engine, settings: Settings, *, now: datetime = T0,
           label: str | None = "repair.plumbing") -> int:
    """A ticket nobody is offered (no members yet): it waits for 派单."""
    with db.transaction(engine) as s:
        return tickets.submit_ticket(s, RESIDENT, "厨房水管漏水了", now, label=label,
                                     grid_code=G11, address="幸福里3号楼", phone="13800000000",
                                     settings=settings).id


def scan(engine: Engine, settings: Settings, now: datetime, **kw: object) -> int:
    with db.transaction(engine) as s:
        return scan_alerts(s, now, settings=settings, **kw)


def cards(engine: Engine, ticket_id: int | None = None) -> list[Notification]:
    kinds = [NotificationKind.yellow_card, NotificationKind.red_card]
    with db.transaction(engine) as s:
        q = select(Notification).where(Notification.kind.in_(kinds))
        if ticket_id is not None:
            q = q.where(Notification.ticket_id == ticket_id)
        return list(s.exec(q.order_by(Notification.id)))


def alert_rows(engine: Engine) -> list[tuple[int, str, str, int]]:
    with db.transaction(engine) as s:
        return [tuple(r) for r in s.exec(select(Alert.ticket_id, Alert.limit_kind, Alert.level,
                                                Alert.escalation_level).order_by(Alert.id))]


def ticket(engine: Engine, ticket_id: int) -> Ticket:
    with db.transaction(engine) as s:
        return s.get(Ticket, ticket_id)


def events(engine: Engine, ticket_id: int, *kinds: str) -> list[TicketEvent]:
    with db.transaction(engine) as s:
        return [e for e in tickets.ticket_events(s, ticket_id) if e.kind in kinds]


@pytest.fixture
def community(world: World) -> World:
    """The world plus a coordinator of community C1 (the level above grid G11)."""
    with db.transaction(world.engine) as s:
        members.add_coordinator(s, COORD, COMMUNITY_COORD, C1, T0)
    return world


# --- yellow and red cards, each once, up the levels ---

def test_yellow_red_escalation_each_once_across_restarts(community: World, db_url: str) -> None:
    world, settings = community, community.settings
    tid = submit(world.engine, settings)
    assert ticket(world.engine, tid).status == S.dispatch
    assert scan(world.engine, settings, T0 + minutes(47)) == 0  # < 80 % of 60 min

    # 🟡 at 80 % of the response limit: nobody accepted → the grid's coordinator.
    assert scan(world.engine, settings, T0 + minutes(48)) == 1
    for later in (48, 48, 50, 59.9):
        assert scan(world.engine, settings, T0 + minutes(later)) == 0
    (yellow,) = cards(world.engine, tid)
    assert (yellow.kind, yellow.recipient_id) == (NotificationKind.yellow_card, GRID_COORD)
    assert yellow.payload["limit"] == "respond" and yellow.payload["level"] == "yellow"
    assert yellow.payload["late"] is False and yellow.payload["audience"] == "coordinator"
    assert yellow.payload["due_at"] == (T0 + minutes(FAST_RESPOND)).isoformat()
    assert yellow.payload["number"].startswith("#") and yellow.payload["text"] == "厨房水管漏水了"
    assert "address" not in yellow.payload and "phone" not in yellow.payload  # no contact data

    # A restart: a new engine (new pool, new sessions) repeats nothing.
    world.engine.dispose()
    engine = db.make_engine(db_url)
    try:
        assert scan(engine, settings, T0 + minutes(50)) == 0

        # 🔴 past the limit: the coordinators one level up; the ticket escalates to the community.
        assert scan(engine, settings, T0 + minutes(60)) == 1
        assert scan(engine, settings, T0 + minutes(61)) == 0
        red = cards(engine, tid)[-1]
        assert (red.kind, red.recipient_id) == (NotificationKind.red_card, COMMUNITY_COORD)
        assert red.payload["escalation_level"] == 1 and red.payload["escalated_to"]
        t = ticket(engine, tid)
        assert (t.status, t.escalation_level) == (S.escalated, 1)
        (event,) = events(engine, tid, "escalated")
        assert (event.from_status, event.to_status) == (S.dispatch, S.escalated)
        assert event.data["limit"] == "respond" and event.data["level"] == 1

        # The community coordinator assigns a member, who accepts: the response limit stops.
        plumber = world.member("王师傅", ["水暖"], now=T0 + minutes(62))
        with db.transaction(engine) as s:
            dispatch.assign_ticket(s, tid, COMMUNITY_COORD, members.get_member(s, plumber).id,
                                   T0 + minutes(62), settings=settings)
        with db.transaction(engine) as s:
            dispatch.accept_offer(s, tid, plumber, T0 + minutes(63), settings=settings)
        assert scan(engine, settings, T0 + minutes(1151)) == 0

        # 🟡 of the resolution limit goes to the assignee, the grid's coordinator (product.md) and the
        # coordinators of the ticket's level (the community now); 🔴 to the street, level 2.
        assert scan(engine, settings, T0 + minutes(1152)) == 1
        assert sorted((n.kind, n.recipient_id, n.payload["audience"]) for n in cards(engine, tid)[-3:]) == sorted([
            (NotificationKind.yellow_card, plumber, "member"),
            (NotificationKind.yellow_card, GRID_COORD, "coordinator"),
            (NotificationKind.yellow_card, COMMUNITY_COORD, "coordinator")])
        engine.dispose()
        engine = db.make_engine(db_url)  # another restart between yellow and red
        assert scan(engine, settings, T0 + minutes(1200)) == 0
        assert scan(engine, settings, T0 + minutes(FAST_RESOLVE)) == 1
        red = cards(engine, tid)[-1]
        assert (red.kind, red.recipient_id) == (NotificationKind.red_card, COORD)
        assert red.payload["limit"] == "resolve" and red.payload["escalation_level"] == 2
        t = ticket(engine, tid)
        assert (t.status, t.escalation_level) == (S.accepted, 2)  # in hand: status kept
        assert [e.data["level"] for e in events(engine, tid, "escalated")] == [1, 2]
        for later in (FAST_RESOLVE, FAST_RESOLVE + 1, 10_000):
            assert scan(engine, settings, T0 + minutes(later)) == 0
        assert alert_rows(engine) == [(tid, "respond", "yellow", 0), (tid, "respond", "red", 1),
                                      (tid, "resolve", "yellow", 1), (tid, "resolve", "red", 2)]
        assert len(cards(engine, tid)) == 6  # the resolution's yellow card went to three people
    finally:
        engine.dispose()


def test_red_at_street_level_stays_at_street(world: World) -> None:
    """Without a community coordinator the red card falls back to the street; a ticket already
    at the street stays there, and its log still records the overdue card."""
    settings = world.settings
    tid = submit(world.engine, settings)
    with db.transaction(world.engine) as s:
        s.exec(text(f"UPDATE ticket SET escalation_level = 2 WHERE id = {tid}"))
    assert scan(world.engine, settings, T0 + minutes(FAST_RESPOND)) == 1
    (red,) = cards(world.engine, tid)
    assert red.recipient_id == COORD and red.payload["escalation_level"] == 2
    assert ticket(world.engine, tid).escalation_level == 2
    assert events(world.engine, tid, "escalated")  # dispatch → escalated (status changed)


def test_late_cards_after_downtime(world: World) -> None:
    """The bot was down through both limits: on the next scan each limit's red card goes out
    once, marked late (the yellow cards are moot); the ticket climbs two levels."""
    settings = world.settings
    tid = submit(world.engine, settings)
    on_time = submit(world.engine, settings, now=T0 + minutes(FAST_RESOLVE * 2 - 48))
    now = T0 + minutes(FAST_RESOLVE * 2)
    assert scan(world.engine, settings, now) == 3
    assert scan(world.engine, settings, now) == 0
    reds = cards(world.engine, tid)
    assert [(n.payload["limit"], n.payload["level"], n.payload["late"]) for n in reds] == [
        ("respond", "red", True), ("resolve", "red", True)]
    assert [n.payload["escalation_level"] for n in reds] == [1, 2]
    t = ticket(world.engine, tid)
    assert (t.status, t.escalation_level) == (S.escalated, 2)
    assert [e.data["limit"] for e in events(world.engine, tid, "escalated")] == [
        "respond", "resolve"]
    (fresh,) = cards(world.engine, on_time)  # its yellow fell due just now: not late
    assert fresh.payload["level"] == "yellow" and fresh.payload["late"] is False
    # A card within two scan intervals of its moment is not late either.
    interval = alerts.scan_interval(settings)
    third = submit(world.engine, settings, now=now)
    assert scan(world.engine, settings, now + minutes(48) + interval * 1.5) == 2
    assert cards(world.engine, third)[0].payload["late"] is False
    assert cards(world.engine, on_time)[-1].payload["late"] is True  # red 37 min ago


def test_catch_up_yellow_goes_to_the_level_the_ticket_just_escalated_to(community: World) -> None:
    """Bot down from 47 min to 20 h: on coming back the respond red escalates the ticket to the
    community, and the resolve yellow that fell due meanwhile must go to the coordinators of the
    ticket's current level (the community), as it does when the bot never stopped — and, as product.md says, to the
    grid's coordinator too."""
    world, settings = community, community.settings
    tid = submit(world.engine, settings)
    assert scan(world.engine, settings, T0 + minutes(47)) == 0
    assert scan(world.engine, settings, T0 + minutes(1200)) == 2  # respond red + resolve yellow
    assert ticket(world.engine, tid).escalation_level == 1  # the community holds it now
    yellow = [n for n in cards(world.engine, tid) if n.kind == NotificationKind.yellow_card]
    assert {n.payload["limit"] for n in yellow} == {"resolve"}
    # The steady timeline sends this card to COMMUNITY_COORD (test_alerts: "the community now") and GRID_COORD.
    assert sorted(n.recipient_id for n in yellow) == sorted([GRID_COORD, COMMUNITY_COORD]), (
        f"resolve yellow went to {[n.recipient_id for n in yellow]} (grid coordinator {GRID_COORD}),"
        f" payload level {yellow[0].payload['escalation_level']}")


def test_resolved_cancelled_and_accepted_tickets_get_no_cards(world: World) -> None:
    settings = world.settings
    plumber = world.member("王师傅", ["水暖"])
    taken = submit(world.engine, settings)  # offered to the plumber
    cancelled = submit(world.engine, settings)
    resolved = submit(world.engine, settings)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, taken, plumber, T0 + minutes(1), settings=settings)
        tickets.cancel_ticket(s, cancelled, RESIDENT, T0 + minutes(1))
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, resolved, plumber, T0 + minutes(2), settings=settings)
    with db.transaction(world.engine) as s:
        tickets.resolve_ticket(s, resolved, plumber, T0 + minutes(3))
    assert scan(world.engine, settings, T0 + minutes(FAST_RESPOND * 2)) == 0  # accepted: no respond
    assert scan(world.engine, settings, T0 + minutes(FAST_RESOLVE)) == 1  # only `taken`, resolve red
    # (its red card to the coordinators, and the member holding it told its limit has passed: no scan saw its yellow)
    assert {n.ticket_id for n in cards(world.engine)} == {taken}


# --- the member holding a ticket past its limit ---

@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_holder_whose_yellow_card_was_withdrawn_overnight_is_told_the_ticket_is_late(world: World) -> None:
    """王师傅 holds a plumbing ticket (办结 by 3月4日 10:00). Its 🟡 falls at 05:12 and is held for the quiet hours; at
    05:30 he hands the ticket back, so at 07:00 the worker drops the held card as moot (never sent). At 07:05 the
    网格员 指派 it back to him and he accepts. At 10:00 it passes its limit: the coordinators get the 🔴, but 王师傅
    — holding it, never shown any card — gets nothing: the cancelled card counts as 「told」 (told_yellow reads every
    yellow_card row, whatever its status)."""
    settings = world.settings
    wang = world.member("王师傅", ["水暖"])
    wang_id = world.member_id(wang)
    tid = submit(world.engine, settings)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, wang, T0 + minutes(5), settings=settings)
    assert scan(world.engine, settings, T0 + minutes(1152)) >= 1  # 🟡 at 3月4日 05:12, to 王师傅 and the grid
    with db.transaction(world.engine) as s:
        tickets.hand_back(s, tid, wang, "家里临时有事", T0 + minutes(1170), settings=settings)
    with db.transaction(world.engine) as s:  # 07:00: the delivery worker claims the held card (outbox.reminder_moot)
        (held,) = s.exec(select(Notification.id).where(Notification.recipient_id == wang,
                                                        Notification.kind == NotificationKind.yellow_card)).all()
        assert outbox.reminder_moot(s, held)
    with db.transaction(world.engine) as s:
        for offer in dispatch.pending_offers(s, tid):
            if offer.member_id == wang_id:
                break
        else:
            dispatch.assign_ticket(s, tid, GRID_COORD, wang_id, T0 + minutes(1265), settings=settings)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, wang, T0 + minutes(1266), settings=settings)
    assert scan(world.engine, settings, T0 + minutes(FAST_RESOLVE)) >= 1  # 🔴 at 10:00
    with db.transaction(world.engine) as s:
        shown = s.exec(select(Notification).where(
            Notification.recipient_id == wang, Notification.ticket_id == tid,
            Notification.kind == NotificationKind.yellow_card,
            Notification.status != NotificationStatus.cancelled)).all()
    assert shown, "王师傅 holds the ticket past its limit and no card about it will ever reach him"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_holder_whose_yellow_card_never_got_through_is_told_at_the_red(world: World) -> None:
    """王师傅 holds a plumbing ticket. Its 🟡 is queued for him but never delivered (Telegram unreachable for the
    whole retry window: the outbox gives up, status `dead`). At the limit the coordinators get the 🔴, and 王师傅 — who
    never saw any card — gets nothing: the fix leaves out cancelled cards from 「told」, not the ones that died."""
    settings = world.settings
    wang = world.member("王师傅", ["水暖"])
    tid = submit(world.engine, settings)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, wang, T0 + minutes(5), settings=settings)
    assert scan(world.engine, settings, T0 + minutes(1152)) >= 1  # 🟡 to 王师傅 and the grid
    with db.transaction(world.engine) as s:
        (note,) = s.exec(select(Notification).where(Notification.recipient_id == wang,
                                                    Notification.kind == NotificationKind.yellow_card)).all()
        note.status = NotificationStatus.dead  # (OUTBOX_MAX_ATTEMPTS spent)
    assert scan(world.engine, settings, T0 + minutes(FAST_RESOLVE)) >= 1  # 🔴
    with db.transaction(world.engine) as s:
        shown = s.exec(select(Notification).where(
            Notification.recipient_id == wang, Notification.ticket_id == tid,
            Notification.kind == NotificationKind.yellow_card,
            Notification.status.not_in([NotificationStatus.cancelled, NotificationStatus.dead]))).all()
    assert shown, "王师傅 holds the ticket past its limit and no card about it will ever reach him"


# --- a ticket reopened by a low rating ---

def test_reopened_ticket_taken_again_still_gets_its_resolution_red_card(world: World) -> None:
    """A ticket resolved, rated 1 star (reopened), re-assigned and accepted by another member who
    then sits on it past the resolution limit: the resolution limit must still be watched."""
    settings = world.settings
    first = world.member("王师傅", ["水暖"], G11)
    second = world.member("赵师傅", ["水暖"], G11)
    tid = plumbing_ticket(world)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, first, T0 + minutes(5), settings=settings)
    with db.transaction(world.engine) as s:
        tickets.resolve_ticket(s, tid, first, T0 + minutes(30), note="修好了")
    with db.transaction(world.engine) as s:
        tickets.rate_ticket(s, tid, RESIDENT, 1, T0 + minutes(40))  # not fixed: reopened
    with db.transaction(world.engine) as s:
        second_id = members.get_member(s, second).id
        dispatch.assign_ticket(s, tid, GRID_COORD, second_id, T0 + minutes(45), settings=settings)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, second, T0 + minutes(50), settings=settings)
    with db.transaction(world.engine) as s:
        t = s.get(Ticket, tid)
        assert t.status == S.accepted and t.resolve_due_at == T0 + minutes(24 * 60)

    # A day and more later the second member still has not resolved it.
    late = T0 + minutes(24 * 60 + 5)
    with db.transaction(world.engine) as s:
        alerts.scan_alerts(s, late, settings=settings)  # a sweep
    with db.transaction(world.engine) as s:
        reds = list(s.exec(select(Alert).where(Alert.ticket_id == tid, Alert.level == "red")))
        overdue, _ = alerts.overdue_tickets(s, GRID_COORD, late, settings=settings)
    assert [p["ticket_id"] for p in overdue] == [tid], "/overdue does not list it"
    assert reds, "no red card for a reopened ticket left unresolved past its resolution limit"


# --- /overdue ---

def test_overdue_lists_a_red_ticket_behind_many_fresh_ones(community: World) -> None:
    """/overdue (default limit 50): a slow ticket (家具小修) nobody took for 25 h is past its
    response limit (🔴). 200 fresh fast tickets of the last half hour are near no limit yet;
    the red ticket must still be listed."""
    world, settings = community, community.settings
    red = submit(world.engine, settings, label="repair.furniture")  # slow: respond 24 h
    fresh_at = T0 + minutes(24 * 60 + 30)
    with db.transaction(world.engine) as s:
        for i in range(200):
            tickets.submit_ticket(s, RESIDENT + 1 + i, f"第{i}户厨房水管漏水了", fresh_at, label="repair.plumbing",
                                  grid_code=G11, address=f"幸福里{i}号楼", settings=settings)
    now = T0 + minutes(25 * 60)
    with db.transaction(world.engine) as s:
        rows, _ = alerts.overdue_tickets(s, COORD, now, settings=settings)
        assert alerts.breach_of(s.get(Ticket, red), now) is not None  # it is 🔴
    listed = [(r["ticket_id"], r["overdue"]) for r in rows]
    assert (red, True) in listed, f"/overdue listed {len(listed)} tickets, not the red one"


def test_overdue_lists_a_red_ticket_of_a_time_class_no_longer_in_the_taxonomy(world: World) -> None:
    """The scan gives a class no longer in the taxonomy the widest window (yellow_windows, running_classes); /overdue
    listed such a ticket before (widest window for all) and must still list it when it is past its limit."""
    with db.transaction(world.engine) as s:
        tid = tickets.submit_ticket(s, RESIDENT, "厨房水管漏水了", T0, label="repair.plumbing", grid_code=G11,
                                    address="幸福里3号楼", phone="13800000000", settings=world.settings).id
        s.exec(update(Ticket).where(Ticket.id == tid).values(time_class="legacy_class"))
    late = T0 + minutes(3 * 24 * 60)  # days past every limit
    with db.transaction(world.engine) as s:
        assert alerts.breach_of(s.get(Ticket, tid), late).level == "red"
        listed = [p["ticket_id"] for p in alerts.overdue_tickets(s, GRID_COORD, late, settings=world.settings)[0]]
    assert listed == [tid], "a red ticket is missing from /overdue"


# --- the scan: its limit, concurrent scanners, its indexes, sweeps and steady scans ---

def test_scan_limit_leaves_the_rest_for_the_next_scan(world: World) -> None:
    settings = world.settings
    ids = [submit(world.engine, settings) for _ in range(5)]
    now = T0 + minutes(50)
    assert scan(world.engine, settings, now, limit=3) == 3
    assert scan(world.engine, settings, now, limit=3) == 2
    assert scan(world.engine, settings, now, limit=3) == 0
    assert sorted(n.ticket_id for n in cards(world.engine)) == ids


def test_alert_insert_is_the_arbiter(world: World) -> None:
    """A card whose row another scanner already wrote is not inserted (ON CONFLICT DO NOTHING)."""
    settings = world.settings
    tid = submit(world.engine, settings)
    now = T0 + minutes(50)
    with db.transaction(world.engine) as s:
        due = alerts._due_cards(s, [s.get(Ticket, tid)], now)
        assert [(c.limit, c.level) for c in due] == [("respond", "yellow")]
        assert alerts._insert_alerts(s, due, now) == {(tid, "respond", "yellow")}
        assert alerts._insert_alerts(s, due, now) == set()
    assert scan(world.engine, settings, now) == 0 and cards(world.engine) == []


def test_two_scanners_at_once_send_each_card_once(world: World, backend: str,
                                                  db_url: str) -> None:
    settings = world.settings
    ids = [submit(world.engine, settings) for _ in range(40)]
    scanners = 6 if backend == "postgres" else 3

    def scanner(engine: Engine, barrier: threading.Barrier) -> list[int]:
        counts = []
        for step in (50, 50, 60, 60, 61):
            barrier.wait(timeout=10)
            counts.append(scan(engine, settings, T0 + minutes(step), limit=10))
        return counts

    counts = as_processes(db_url, scanners, scanner)
    # 40 yellow + 40 red cards, each written and queued once, whoever wrote it.
    print(backend, "cards per scan:", counts)
    assert sum(counts) == 80
    rows = alert_rows(world.engine)
    assert len(rows) == len(set((r[0], r[1], r[2]) for r in rows)) == 80
    sent = cards(world.engine)
    assert len(sent) == 80 and len({(n.ticket_id, n.kind) for n in sent}) == 80
    assert {t.escalation_level for t in map(lambda i: ticket(world.engine, i), ids)} == {1}
    assert sum(len(events(world.engine, i, "escalated")) for i in ids) == 40


# PostgreSQL only: SQLite serialises writers (BEGIN IMMEDIATE), so a second scanner simply waits.
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_postgres_second_scanner_skips_locked_tickets(world: World, db_url: str) -> None:
    """While one scanner holds its transaction, another neither waits nor repeats its cards."""
    settings = world.settings
    first, second = submit(world.engine, settings), submit(world.engine, settings)
    other = db.make_engine(db_url)
    try:
        with db.transaction(world.engine) as s1:
            s1.exec(select(Ticket).where(Ticket.id == first).with_for_update())  # a scanner's lock
            assert scan(other, settings, T0 + minutes(50)) == 1  # the other ticket only
            assert scan_alerts(s1, T0 + minutes(50), settings=settings) == 1
        assert sorted(n.ticket_id for n in cards(world.engine)) == [first, second]
    finally:
        other.dispose()


@pytest.mark.parametrize("steady", [False, True], ids=["sweep", "steady"])
def test_candidate_query_reads_the_partial_due_indexes(world: World, backend: str,
                                                       steady: bool) -> None:
    """Each term of the scan is a range of a partial (time class, due time) index, which holds
    only the tickets whose limit still runs — never the whole table."""
    settings = world.settings
    taxonomy = get_taxonomy(settings)
    since = T0 - minutes(2) if steady else None
    query = alerts.candidate_query(T0, settings, taxonomy, 500, since=since)
    with db.transaction(world.engine) as s:
        compiled = query.compile(s.get_bind(), compile_kwargs={"literal_binds": True})
        if backend == "postgres":
            s.exec(text("SET LOCAL enable_seqscan = off"))  # an empty table: ask what it can use
        explain = "EXPLAIN QUERY PLAN " if backend == "sqlite" else "EXPLAIN "
        plan = "\n".join(str(r[-1]) for r in s.exec(text(explain + str(compiled))))
    assert "SCAN ticket" not in plan and "Seq Scan on ticket" not in plan, plan
    if backend == "sqlite":  # one index range per term: per limit and class (steady: red, yellow)
        bound = "due_at>? AND {0}_due_at<?" if steady else "due_at<?"
        for limit in alerts.LIMITS:
            search = (f"SEARCH ticket USING INDEX ix_ticket_{limit}_running "
                      f"(time_class=? AND {limit}_{bound.format(limit)})")
            assert plan.count(search) == len(taxonomy.classes) * (2 if steady else 1), plan
    else:  # the planner chooses among the partial indexes by its statistics (none here)
        used = set(re.findall(r"Index Scan on (ix_ticket_\w+)", plan))
        assert used and used <= {"ix_ticket_respond_running", "ix_ticket_resolve_running"}, plan


def test_due_indexes_are_partial(world: World, backend: str) -> None:
    """The migrated indexes carry their WHERE (the models' comparison does not look at it)."""
    with db.transaction(world.engine) as s:
        if backend == "sqlite":
            partial = {name for _, name, _, _, is_partial in s.exec(text("PRAGMA index_list(ticket)"))
                       if is_partial}
        else:
            partial = {name for name, in s.exec(text(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'ticket' AND indexdef LIKE '%WHERE%'"))}
    assert {"ix_ticket_respond_running", "ix_ticket_resolve_running"} <= partial


def test_sweeps_find_tickets_of_a_class_no_longer_in_the_taxonomy(world: World) -> None:
    """A class the taxonomy lost: steady scans do not look at it, the next sweep finds its
    tickets (widest window), and sends their cards once."""
    settings = world.settings
    tid = submit(world.engine, settings)
    with db.transaction(world.engine) as s:
        s.exec(text(f"UPDATE ticket SET time_class = 'legacy' WHERE id = {tid}"))
        assert alerts.running_classes(s, "respond") == ["legacy"]
        assert alerts.running_classes(s, "resolve") == ["legacy"]
    now = T0 + minutes(FAST_RESPOND + 1)
    assert scan(world.engine, settings, now, since=now - minutes(5)) == 0
    assert scan(world.engine, settings, now) == 1
    assert scan(world.engine, settings, now) == 0
    (red,) = cards(world.engine, tid)
    assert red.payload["level"] == "red" and red.payload["limit"] == "respond"


def test_scan_interval_follows_the_shortest_limit(settings: Settings) -> None:
    assert alerts.scan_interval(settings) == timedelta(seconds=45)  # urgent: 15 min / 20
    fast = settings.model_copy(update={"TIME_LIMIT_SCALE": 0.001})
    assert alerts.scan_interval(fast) == timedelta(seconds=1)
    slow = settings.model_copy(update={"TIME_LIMIT_SCALE": 10})
    assert alerts.scan_interval(slow) == timedelta(seconds=60)


def test_steady_scans_miss_nothing_and_sweeps_catch_the_rest(world: World) -> None:
    """The job's schedule (Scanner): narrow windows since the previous scan find every card
    exactly once, as sweeps would; a card whose moment lies before the window is left to the
    next sweep, which sends it marked late."""
    settings = world.settings
    ids = [submit(world.engine, settings, now=T0 + minutes(k * 7)) for k in range(3)]
    ids.append(submit(world.engine, settings, now=T0 + minutes(5), label=None))  # normal class
    scanner = alerts.Scanner(settings)
    scanner.interval = minutes(10)  # the job every 10 minutes: 160 scans cover 1,600 minutes
    sweeps = 0
    for step in range(1, 161):
        now = T0 + minutes(10 * step)
        since = scanner.next_since()
        sweeps += since is None
        scanner.done(now, scan(world.engine, settings, now, since=since))
    assert sweeps == 16
    sent = [(n.ticket_id, n.payload["limit"], n.payload["level"]) for n in cards(world.engine)]
    assert len(sent) == len({(*card, n.recipient_id) for card, n in zip(sent, cards(world.engine), strict=True)})
    expected = {(t, limit, level) for t in ids[:3] for limit in ("respond", "resolve")
                for level in ("yellow", "red")} | {(ids[3], "respond", "yellow"),
                                                   (ids[3], "respond", "red")}
    assert set(sent) == expected
    for note in cards(world.engine):  # each found by the first scan after its moment
        t = ticket(world.engine, note.ticket_id)
        due = datetime.fromisoformat(note.payload["due_at"])
        moment = due if note.payload["level"] == "red" else alerts.yellow_at(t, due)
        assert timedelta(0) <= note.created_at - moment < minutes(10), note.payload
    # A ticket whose yellow moment is already an hour old when it first shows up (as after
    # a restore): steady scans do not look that far back; the next sweep sends it, late.
    now = T0 + minutes(1610)
    old = submit(world.engine, settings, now=now - minutes(48 + 60))
    assert scan(world.engine, settings, now, since=now - minutes(20)) == 0
    assert scan(world.engine, settings, now) == 1
    assert cards(world.engine, old)[0].payload["late"] is True


# --- the scan writes its cards in bulk (on PostgreSQL one statement per kind of row) ---

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


# --- the cards as the bot renders them, and the benchmark ---

def test_cards_render_for_coordinators_and_members(world: World) -> None:
    from zoneinfo import ZoneInfo

    from bot.delivery import render

    settings = world.settings
    tid = submit(world.engine, settings)
    scan(world.engine, settings, T0 + minutes(48.5))
    scan(world.engine, settings, T0 + minutes(90))  # 30 min after the limit: a late red card
    yellow, red = cards(world.engine, tid)
    tz = ZoneInfo("Asia/Shanghai")
    text_y, markup_y = render(yellow.kind, yellow.payload, tz)
    assert "🟡" in text_y and "黄牌预警" in text_y and "响应" in text_y and "10:48" not in text_y
    assert "11:00" in text_y and yellow.payload["grid_name"] in text_y and "补发" not in text_y
    assert "指派" in str(markup_y.to_dict())
    text_r, markup_r = render(red.kind, red.payload, tz)
    assert "🔴" in text_r and "红牌超期" in text_r and "已升级至社区" in text_r and "补发" in text_r
    assert "指派" in str(markup_r.to_dict())
    member_note = {**yellow.payload, "audience": "member", "limit": "resolve"}
    text_m, markup_m = render("yellow_card", member_note, tz)
    assert "办结" in text_m and markup_m is None


def test_the_benchmark_runs_and_writes_the_cards_as_the_bot_does(capsys: pytest.CaptureFixture[str]) -> None:
    """A small run of `python -m routing.alerts_bench` (SQLite): the headline figure is one scan
    as the bot runs it (its scan limit), and that scan writes every due ticket's card."""
    from routing import alerts_bench

    assert alerts_bench.main(["--backend", "sqlite", "--tickets", "400", "--repeats", "1",
                              "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["machine"] and report["load_before"]
    (scan,) = report["scans"]
    assert scan["scan_limit"] == alerts.SCAN_LIMIT >= 1000 and scan["due_tickets"] == 4
    assert scan["scan_takes_all"] and scan["scan_cards"] == 4
    assert scan["all_cards"] == scan["committed_cards"] == scan["alert_rows"] == 4
    assert scan["notifications"] >= 4 and scan["idle_cards"] == 0


def test_overdue_says_how_far_past_or_how_long_is_left(community: World) -> None:
    """A coordinator chasing /overdue's list starts with the ticket most overdue: each row says how long past its
    limit it is (🔴) or how long is left (🟡), not only the limit's clock time."""
    world, settings = community, community.settings
    red = submit(world.engine, settings, label="repair.furniture")  # slow: respond 24 h
    now = T0 + minutes(25 * 60)
    with db.transaction(world.engine) as s:
        yellow = tickets.submit_ticket(s, RESIDENT + 1, "厨房水管漏水了", now - minutes(50), label="repair.plumbing",
                                       grid_code=G11, address="幸福里5号楼", settings=settings).id  # fast: respond 1 h
    with db.transaction(world.engine) as s:
        rows, _ = alerts.overdue_tickets(s, COORD, now, settings=settings)
    past = {row["ticket_id"]: row["minutes_past_due"] for row in rows}
    assert past == {red: 60, yellow: -10}, past
