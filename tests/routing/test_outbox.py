"""The outbox: claim, deliver, retry with backoff, leases, give up, unreachable recipients."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlmodel import select

from routing import db, dispatch, outbox, tickets
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
from tests.conftest import G11, G12, RESIDENT, T0, World, minutes


def _queue(world: World, n: int, recipient: int = RESIDENT) -> list[int]:
    with db.transaction(world.engine) as s:
        return [outbox.notify(s, recipient, NotificationKind.ticket_created, T0,
                              payload={"i": i}) for i in range(n)]


def _row(world: World, nid: int) -> Notification:
    with db.transaction(world.engine) as s:
        return s.get(Notification, nid)


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
