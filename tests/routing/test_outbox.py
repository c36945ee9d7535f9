"""The outbox: claim, deliver, retry with backoff, leases, give up; a person's order across workers (PostgreSQL),
the cost of a claim behind a group's backlog; unreachable recipients."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, insert
from sqlmodel import Session, select

from routing import alerts, db, dispatch, outbox, tickets
from routing.models import (
    Member,
    Notification,
    NotificationKind,
    NotificationStatus,
    Offer,
    OfferState,
    Person,
    Ticket,
)
from routing.models import TicketStatus as S
from tests.bot.test_delivery import PAYLOAD
from tests.conftest import G11, G12, GRID_COORD, RESIDENT, T0, World, minutes

# Chats of their own, for the tests of several workers and of a group's backlog.
ORDERED_RESIDENT = 4242
CRASHED_RESIDENT = 4545
OFFERED_MEMBER = 4343
BACKLOG_GROUP = -1001234567


def _queue(world: World, n: int, recipient: int = RESIDENT) -> list[int]:
    with db.transaction(world.engine) as s:
        return [outbox.notify(s, recipient, NotificationKind.ticket_created, T0,
                              payload={"i": i}) for i in range(n)]


def _row(world: World, nid: int) -> Notification:
    with db.transaction(world.engine) as s:
        return s.get(Notification, nid)


# --- claim and deliver, retries, leases ---

def test_claim_deliver(world: World) -> None:
    ids = _queue(world, 3)
    other = _queue(world, 1, recipient=RESIDENT + 1)
    with db.transaction(world.engine) as s:
        batch = outbox.claim_notifications(s, "w1", T0, limit=2, settings=world.settings)
    assert [b.id for b in batch] == ids[:2] and batch[0].attempts == 1
    assert batch[0].payload == {"i": 0} and batch[0].edit_message_id is None
    with db.transaction(world.engine) as s:
        # Claimed rows are not handed out again while their lease runs; nor is the same person's next one (a chat
        # keeps its order: one worker at a time), another person's is.
        again = outbox.claim_notifications(s, "w2", T0 + minutes(1), settings=world.settings)
    assert [b.id for b in again] == other
    with db.transaction(world.engine) as s:
        outbox.mark_delivered(s, ids[0], T0, message_id=77)
    row = _row(world, ids[0])
    assert row.status == "sent" and row.telegram_message_id == 77
    assert row.telegram_chat_id == RESIDENT and row.sent_at == T0


def test_retry_backoff_and_give_up(world: World) -> None:
    [nid] = _queue(world, 1)
    now = T0
    delays = []
    for _ in range(world.settings.OUTBOX_MAX_ATTEMPTS):
        with db.transaction(world.engine) as s:
            [got] = outbox.claim_notifications(s, "w", now, settings=world.settings)
            retry_at = outbox.mark_failed(s, got.id, now, "network down",
                                          settings=world.settings)
        if retry_at is None:
            break
        delays.append((retry_at - now).total_seconds())
        with db.transaction(world.engine) as s:
            assert outbox.claim_notifications(s, "w", retry_at - timedelta(seconds=1),
                                              settings=world.settings) == []
        now = retry_at
    assert delays[:4] == [5, 10, 20, 40] and max(delays) <= outbox.BACKOFF_MAX_SECONDS
    row = _row(world, nid)
    assert row.status == "dead" and row.attempts == world.settings.OUTBOX_MAX_ATTEMPTS
    assert row.last_error == "network down"


def test_retry_after_from_telegram(world: World) -> None:
    [nid] = _queue(world, 1)
    with db.transaction(world.engine) as s:
        outbox.claim_notifications(s, "w", T0, settings=world.settings)
        at = outbox.mark_failed(s, nid, T0, "429", retry_after=31, settings=world.settings)
    assert at == T0 + timedelta(seconds=31)


def test_crashed_worker_lease_expires(world: World) -> None:
    [nid] = _queue(world, 1)
    with db.transaction(world.engine) as s:
        outbox.claim_notifications(s, "crashed", T0, settings=world.settings)
    lease = timedelta(seconds=world.settings.OUTBOX_LEASE_SECONDS)
    with db.transaction(world.engine) as s:
        assert outbox.claim_notifications(s, "w2", T0 + lease, settings=world.settings) == []
    with db.transaction(world.engine) as s:
        [got] = outbox.claim_notifications(s, "w2", T0 + lease + timedelta(seconds=1),
                                           settings=world.settings)
    assert got.id == nid and got.attempts == 2 and _row(world, nid).claimed_by == "w2"


def test_parallel_workers_never_share_a_notification(world: World, backend: str) -> None:
    """Four workers claiming and sending at once: each notification is sent once, and each person's in order.

    A claim may take only the first of a person's queue (the rest were locked by another worker's claim at that
    moment); the rest wait until that one is sent, so the workers here send what they claim, as the real ones do.
    """
    for person in range(20):
        _queue(world, 10, recipient=RESIDENT + person)
    sent: list[outbox.Outgoing] = []
    lock = threading.Lock()
    barrier = threading.Barrier(4)
    deadline = time.monotonic() + 60

    def worker(name: str) -> None:
        barrier.wait()
        while time.monotonic() < deadline:
            with db.transaction(world.engine) as s:
                batch = outbox.claim_notifications(s, name, T0, limit=10, settings=world.settings)
            for one in batch:
                with db.transaction(world.engine) as s:
                    outbox.mark_delivered(s, one.id, T0)
                    with lock:  # (logged before the commit lets the person's next one be claimed)
                        sent.append(one)
            with lock:
                if len(sent) >= 200:
                    return
            if not batch:
                time.sleep(0.01)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [one.id for one in sent]
    assert len(ids) == 200 and len(set(ids)) == 200
    for person in range(20):
        theirs = [one.id for one in sent if one.recipient_id == RESIDENT + person]
        assert theirs == sorted(theirs) and len(theirs) == 10


def test_edit_waits_for_the_original(world: World) -> None:
    """An offer_withdrawn that edits an offer is not handed out before the offer is sent."""
    a = world.member("a", ["水暖"])
    b = world.member("b", ["水暖"])
    with db.transaction(world.engine) as s:
        tid = tickets.submit_ticket(s, RESIDENT, "漏水", T0, label="repair.plumbing",
                                    grid_code=G11).id
    with db.transaction(world.engine) as s:  # a worker takes the offers but has not sent them
        claimed = outbox.claim_notifications(s, "w", T0, settings=world.settings)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, a, T0 + minutes(1))
    with db.transaction(world.engine) as s:
        kinds = [n.kind for n in outbox.claim_notifications(s, "w2", T0 + minutes(1),
                                                            settings=world.settings)]
    assert NotificationKind.offer_withdrawn not in kinds
    b_offer = next(c for c in claimed if c.kind == "offer" and c.recipient_id == b)
    with db.transaction(world.engine) as s:
        outbox.mark_delivered(s, b_offer.id, T0 + minutes(2), message_id=555)
    with db.transaction(world.engine) as s:
        [edit] = [n for n in outbox.claim_notifications(s, "w2", T0 + minutes(2),
                                                        settings=world.settings)
                  if n.kind == NotificationKind.offer_withdrawn]
    assert edit.recipient_id == b and edit.edit_message_id == 555 and edit.edit_chat_id == b


# --- a person's order across workers (PostgreSQL: several webhook workers) ---

@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_later_message_is_not_claimed_while_another_worker_is_claiming_the_earlier_one(engine: Engine) -> None:
    """Two webhook workers on PostgreSQL. Worker A has just committed the resident's 「已接单」 (王师傅 accepted) and
    its delivery pass is claiming it; in the same instant worker B commits the resident's next message about the
    ticket (「办理中」) and claims it. 7fe0d8d promises that a person's later notification waits behind an earlier one
    another worker is sending. But B's claim skips the earlier row (locked by A: SKIP LOCKED) and its `in_the_way`
    test reads that row as A's uncommitted claim left it in B's snapshot — still pending, not holding the chat — so
    B claims and sends the later one in parallel with A: the resident may read 「办理中」 before 「已接单」."""
    now = datetime.now(UTC)
    with db.transaction(engine) as session:
        accepted = outbox.notify(session, ORDERED_RESIDENT, "ticket_accepted", now,
                                 payload={**PAYLOAD, "member_name": "王师傅"})
    with db.transaction(engine) as worker_a:
        assert [n.id for n in outbox.claim_notifications(worker_a, "A", now)] == [accepted]
        with db.transaction(engine) as session:  # worker B's update commits the next message meanwhile
            started = outbox.notify(session, ORDERED_RESIDENT, "ticket_started", now, payload=PAYLOAD)
        with db.transaction(engine) as worker_b:
            taken_by_b = [n.id for n in outbox.claim_notifications(worker_b, "B", now)]
    assert started not in taken_by_b, (
        "worker B claimed the resident's later message while worker A was claiming the earlier one")


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_later_message_waits_when_the_other_workers_claim_commits_between_the_two_reads(engine: Engine) -> None:
    """Two webhook workers on PostgreSQL (27470bd's fix of the same race). Worker A is claiming the resident's
    「已接单」 (王师傅 accepted); worker B claims the resident's next message, 「办理中」. B's first read skips 「已接单」
    (locked by A) and picks 「办理中」. 27470bd then looks once more, in a second statement, for an earlier row of
    the resident's that is still *pending* and was skipped. If A's claim commits between B's two statements — A's
    claim is a few milliseconds long, as is the gap between B's two reads — B's second statement (READ COMMITTED: a
    fresh snapshot) sees 「已接单」 as *claimed*, not pending, and keeps 「办理中」: both workers send at once and the
    resident may read 「办理中」 before 「已接单」. The fix narrows the race its commit message says it closes but
    leaves it open."""
    now = datetime.now(UTC)
    with db.transaction(engine) as session:
        accepted = outbox.notify(session, ORDERED_RESIDENT, "ticket_accepted", now,
                                 payload={**PAYLOAD, "member_name": "王师傅"})
        started = outbox.notify(session, ORDERED_RESIDENT, "ticket_started", now, payload=PAYLOAD)
    worker_a = Session(engine)
    assert [n.id for n in outbox.claim_notifications(worker_a, "A", now, limit=1)] == [accepted]  # locked, uncommitted
    a_conn = worker_a.connection().connection.dbapi_connection

    def a_commits_meanwhile(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        # B's second read (27470bd's `behind` statement): A's claim commits just before it.
        if conn.connection.dbapi_connection is not a_conn and "NOT IN" in statement.upper() and worker_a.in_transaction():
            worker_a.commit()

    event.listen(engine, "before_cursor_execute", a_commits_meanwhile)
    try:
        with db.transaction(engine) as worker_b:
            taken_by_b = [n.id for n in outbox.claim_notifications(worker_b, "B", now)]
    finally:
        event.remove(engine, "before_cursor_execute", a_commits_meanwhile)
        worker_a.close()
    assert started not in taken_by_b, (
        "worker B claimed the resident's later message while worker A was sending the earlier one")


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_later_message_waits_while_another_worker_takes_back_an_expired_claim(engine: Engine) -> None:
    """Several webhook workers on PostgreSQL. Worker C claims the resident's 「已接单」 (王师傅 accepted) and dies
    before sending it (killed by a redeploy, OOM). After the lease (OUTBOX_LEASE_SECONDS) the row is due again. Worker
    A's periodic pass is taking it back (its claim: `SELECT … FOR UPDATE SKIP LOCKED`, uncommitted), when 王师傅 taps
    「开始办理」 on worker B, which queues the resident's 「办理中」 and delivers at once. B's claim skips 「已接单」 (locked
    by A) and picks 「办理中」; then the `behind` step looks for an earlier row of the resident's that is claimable or
    claimed elsewhere — but it tests `status == pending` for "claimable" and `lease_until >= now` for "claimed
    elsewhere", and 「已接单」 as B sees it is *claimed with an expired lease*: neither. So B keeps 「办理中」 and both
    workers send at once; the resident (often elderly) can read 「办理中」 before 「已接单」. With one worker, or if A's
    row were pending, B would hold 「办理中」 back behind it (claim_notifications: "each chat keeps its order")."""
    start = datetime.now(UTC)
    with db.transaction(engine) as session:
        accepted = outbox.notify(session, CRASHED_RESIDENT, "ticket_accepted", start,
                                 payload={**PAYLOAD, "member_name": "王师傅"})
    with db.transaction(engine) as session:  # worker C claims it, then dies before sending
        assert [n.id for n in outbox.claim_notifications(session, "C", start)] == [accepted]
    later = start + timedelta(seconds=600)  # past C's lease (120 s)
    worker_a = Session(engine)
    try:
        # A takes the expired claim back (locked, not yet committed).
        assert [n.id for n in outbox.claim_notifications(worker_a, "A", later)] == [accepted]
        with db.transaction(engine) as session:  # meanwhile on worker B: 王师傅 started the work
            started = outbox.notify(session, CRASHED_RESIDENT, "ticket_started", later, payload=PAYLOAD)
        with db.transaction(engine) as worker_b:
            taken_by_b = [n.id for n in outbox.claim_notifications(worker_b, "B", later)]
    finally:
        worker_a.rollback()
        worker_a.close()
    assert started not in taken_by_b, (
        "worker B claimed the resident's 「办理中」 while worker A was taking back (and about to send) 「已接单」")


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_members_new_offer_is_not_held_behind_the_edit_of_a_rejected_offer(engine: Engine) -> None:
    """王师傅 is sent an offer (「新工单 #A1234 … 我来接」). Telegram rejects it with a 400 (a message it will not
    take: `deliver_one` retries it with backoff, and on purpose it "does not hold the person's other messages").
    Meanwhile the ticket is taken by someone else, so the offer is withdrawn: its edit waits for the original
    (`referent_done`). Five tries later (the offer now waits 80 s for its next one) 王师傅 is offered a new ticket. With one worker on SQLite the new offer goes out
    at once; on PostgreSQL it does not. 27470bd's `behind` step drops any of a person's rows behind an earlier one that
    is pending, due and not selected, reading it as "another worker is claiming it"; the withdrawal edit is exactly
    such a row (never selected while its original waits for its retry). So every new offer, assignment and card for
    王师傅 waits for the rejected offer's retries — backoff 5 s, 10 s, … up to 10 attempts, about 40 minutes — which
    is what the design says a rejected message must not do."""
    now = datetime.now(UTC)
    with db.transaction(engine) as session:
        offer = outbox.notify(session, OFFERED_MEMBER, NotificationKind.offer, now, ticket_id=None, payload=PAYLOAD)
    with db.transaction(engine) as session:
        assert [n.id for n in outbox.claim_notifications(session, "A", now)] == [offer]
    with db.transaction(engine) as session:  # the ticket is taken meanwhile: the offer being sent is withdrawn
        outbox.withdraw_message(session, offer, OFFERED_MEMBER, now, ticket_id=None,
                                payload={**PAYLOAD, "reason": "taken"})
    failed_at = now
    for _attempt in range(5):  # Telegram says 400 each time (deliver_one: retried, not holding the chat)
        with db.transaction(engine) as session:
            retry = outbox.mark_failed(session, offer, failed_at, "400 Bad Request: can't parse entities")
        assert retry is not None
        if _attempt < 4:
            failed_at = retry
            with db.transaction(engine) as session:
                assert [n.id for n in outbox.claim_notifications(session, "A", failed_at)] == [offer]
    assert retry - failed_at == timedelta(seconds=80)  # (and it grows: 160 s, 320 s, … 10 attempts in all)
    later = failed_at + timedelta(seconds=30)
    with db.transaction(engine) as session:
        new_offer = outbox.notify(session, OFFERED_MEMBER, NotificationKind.offer, later, ticket_id=None,
                                  payload={**PAYLOAD, "number": "#A5678"})
    with db.transaction(engine) as session:
        claimed = [n.id for n in outbox.claim_notifications(session, "A", later)]
    assert new_offer in claimed, (
        "the member's new offer is held behind the withdrawal edit of an offer Telegram rejected")


# --- the cost of a claim behind a group's backlog ---

@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_claiming_the_outbox_stays_cheap_behind_a_groups_backlog(engine: Engine) -> None:
    """A community on the default SQLite deployment: its work group has been subscribed to alerts for a year or so
    (20,000 group alerts sent). After the bot was down the scan queues 300 red/yellow cards for the group; the
    group's first five are being sent (claimed), the rest wait behind them, GROUP_NOTES_PER_PASS at a time — a
    quarter of an hour at Telegram's 20 a minute. Every delivery pass in that quarter of an hour (one after every
    update, and one after every five group messages) now takes seconds: claim_notifications' new NOT EXISTS
    (`in_the_way`) is checked for each of the 300 waiting rows and walks the group's whole history through the
    recipient index each time (300 × 20,000 rows). The claim runs in a BEGIN IMMEDIATE transaction, so every
    resident's message, every 接单, waits for it (and past SQLite's 10 s busy timeout, fails). Before 7fe0d8d
    the same claim took a few milliseconds."""
    now = datetime.now(UTC)
    table = Notification.__table__

    def rows(count: int, recipient: int, status: str, **extra: object) -> list[dict[str, object]]:
        return [dict(recipient_id=recipient, kind="group_alert", payload={}, status=status, attempts=0,
                     created_at=now, next_attempt_at=now - timedelta(seconds=1), **extra) for _ in range(count)]

    with engine.begin() as conn:
        conn.execute(insert(table), rows(20_000, BACKLOG_GROUP, "sent"))  # the group's history
        conn.execute(insert(table), rows(5, BACKLOG_GROUP, "claimed", lease_until=now + timedelta(seconds=120)))
        conn.execute(insert(table), rows(300, BACKLOG_GROUP, "pending"))  # the backlog, waiting behind those five
        conn.execute(insert(table), [{**rows(1, ORDERED_RESIDENT, "pending")[0], "kind": "ticket_created"}])
    steps = []  # (the work SQLite does, counted in thousands of virtual machine steps: not a timing)
    with db.transaction(engine) as session:
        sqlite = session.connection().connection.driver_connection
        sqlite.set_progress_handler(lambda: steps.append(1) and 0, 1000)
        claimed = outbox.claim_notifications(session, "w1", now, limit=50, skip=("weekly_report",))
        sqlite.set_progress_handler(None, 0)
    assert [n.recipient_id for n in claimed] == [ORDERED_RESIDENT]  # (the order is kept: only the receipt goes)
    # Without the index the waiting rows walk the history: about 6 million rows read; with it, thousands.
    assert len(steps) < 5_000, f"one claim took {len(steps)}k SQLite steps under the write lock"


# --- unreachable recipients ---

def test_unreachable_member_goes_off_duty_and_offers_move_on(world: World) -> None:
    world.settings = world.settings.model_copy(update={"WAVE_SIZE": 1})
    a = world.member("a", ["水暖"])
    b = world.member("b", ["水暖"], G12)
    with db.transaction(world.engine) as s:
        tid = tickets.submit_ticket(s, RESIDENT, "漏水", T0, label="repair.plumbing",
                                    grid_code=G11, settings=world.settings).id
    with db.transaction(world.engine) as s:
        [offer_note] = [n for n in outbox.claim_notifications(s, "w", T0, settings=world.settings)
                        if n.kind == "offer"]
    assert offer_note.recipient_id == a
    with db.transaction(world.engine) as s:
        outbox.mark_unreachable(s, offer_note.id, T0 + minutes(1), settings=world.settings)
    with db.transaction(world.engine) as s:
        ma = s.exec(select(Member).where(Member.telegram_id == a)).one()
        assert not ma.on_duty and s.get(Person, a).unreachable_at == T0 + minutes(1)
        offers = {o.member_id: o.state for o in s.exec(select(Offer))}
        assert offers[ma.id] == OfferState.withdrawn
        assert list(offers.values()).count(OfferState.pending) == 1  # b got the next wave
        t = s.get(Ticket, tid)
        assert t.status == S.offered and t.wave == 2
        assert s.get(Notification, offer_note.id).status == NotificationStatus.unreachable
    # Writing to the bot again makes them reachable (but they choose when to go on duty).
    from routing import members

    with db.transaction(world.engine) as s:
        members.ensure_person(s, a, T0 + minutes(5))
        assert s.get(Person, a).unreachable_at is None
    assert b


def _notes(world: World, ticket_id: int, kind: str, recipient: int) -> list[Notification]:
    with db.transaction(world.engine) as s:
        return list(s.exec(select(Notification).where(
            Notification.ticket_id == ticket_id, Notification.kind == kind,
            Notification.recipient_id == recipient).order_by(Notification.id)))


def test_a_member_who_blocked_the_bot_is_reported_to_the_coordinators_once_not_at_every_failed_message(
    world: World,
) -> None:
    """王师傅 holds a plumbing ticket and blocks the bot. The first message that fails with 403 tells the grid's
    网格员 「党员 王师傅 已屏蔽机器人…他手上的这张工单请改派」 — right. But nothing stops the bot writing to him
    afterwards: the next day his 🟡 yellow card for that ticket is queued, fails with 403 too, and the 网格员 gets the
    same 「已屏蔽机器人…请改派」 message again — and again at every later message to him (a rating, the resident's new
    phone, a cancellation), once per ticket he holds each time."""
    member = world.member("王师傅", ["水暖"])
    with db.transaction(world.engine) as s:
        tid = tickets.submit_ticket(s, RESIDENT, "厨房水管漏水了", T0, label="repair.plumbing", grid_code=G11,
                                    address="幸福里3号楼2单元501", confidence=0.9, settings=world.settings).id
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, member, T0 + minutes(1), settings=world.settings)
    (details,) = _notes(world, tid, NotificationKind.offer_accepted, member)
    with db.transaction(world.engine) as s:  # 接单成功 cannot be delivered: he blocked the bot
        outbox.mark_unreachable(s, details.id, T0 + minutes(2), settings=world.settings)
    assert len(_notes(world, tid, NotificationKind.member_unreachable, GRID_COORD)) == 1
    with db.transaction(world.engine) as s:  # a fast ticket: its resolve yellow card falls at 80 % of 24 h
        alerts.scan_alerts(s, T0 + minutes(0.8 * 24 * 60 + 1), settings=world.settings)
    (card,) = _notes(world, tid, NotificationKind.yellow_card, member)
    with db.transaction(world.engine) as s:  # the card to him fails with 403 as well
        outbox.mark_unreachable(s, card.id, T0 + minutes(0.8 * 24 * 60 + 2), settings=world.settings)
    told = _notes(world, tid, NotificationKind.member_unreachable, GRID_COORD)
    assert len(told) == 1, f"the 网格员 was told {len(told)} times that 王师傅 blocked the bot"
