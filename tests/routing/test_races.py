"""Races on PostgreSQL between two real connections (two bot processes): a member removed by a coordinator, a
coordinator's assignment timing out, a wave going out, two full members taking two tickets at once. Each interleaving
is controlled with threads, explicit commits, a barrier or PostgreSQL's own lock-wait information (pg_blocking_pids),
never by sleeping and hoping; each test's docstring tells the bug as it was found."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, text
from sqlmodel import Session, select

from routing import db, dispatch, outbox, tickets
from routing.models import Member, Notification, NotificationKind, Offer, OfferState, Ticket
from tests.conftest import G11, GRID_COORD, RESIDENT, T0, World, minutes

pytestmark = pytest.mark.parametrize("backend", ["postgres"], indirect=True)  # (SQLite serialises writers)

COORD_B = 9012  # a second coordinator of G11


class Tx(threading.Thread):
    """One bot process's transaction: `fn(session)` on an engine of its own; with `hold`, it waits after its writes
    (flushed, uncommitted, locks held) until `release` is set, then commits."""

    def __init__(self, db_url: str, fn: Callable[[Session], Any], *, hold: bool = False) -> None:
        super().__init__(daemon=True)
        self.engine = db.make_engine(db_url)
        self.fn, self.hold = fn, hold
        self.pid: int | None = None
        self.begun, self.written, self.release, self.finished = (threading.Event() for _ in range(4))
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with db.transaction(self.engine) as s:
                self.pid = s.execute(text("SELECT pg_backend_pid()")).scalar_one()
                self.begun.set()
                self.result = self.fn(s)
                s.flush()
                self.written.set()
                if self.hold:
                    assert self.release.wait(30)
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            self.written.set()
            self.finished.set()
            self.engine.dispose()

    def outcome(self) -> str:
        return "done" if self.error is None else f"{type(self.error).__name__}: {self.error}"


def wait_until_blocked(db_url: str, tx: Tx) -> None:
    """Return once `tx` waits on a lock another transaction holds (or has finished): a condition PostgreSQL reports,
    polled, not a guessed delay."""
    assert tx.begun.wait(10)
    engine = db.make_engine(db_url)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not tx.finished.is_set():
            with engine.connect() as conn:
                if conn.execute(text("SELECT cardinality(pg_blocking_pids(:pid))"), {"pid": tx.pid}).scalar_one():
                    return
        assert tx.finished.is_set(), "the second transaction neither blocked nor finished"
    finally:
        engine.dispose()


def _deliver_all(world: World, now) -> None:
    with db.transaction(world.engine) as s:
        for n in outbox.claim_notifications(s, "w", now, limit=500, settings=world.settings):
            outbox.mark_delivered(s, n.id, now, message_id=n.id)


def _plumbing_ticket(world: World) -> int:
    with db.transaction(world.engine) as s:
        tid = tickets.submit_ticket(s, RESIDENT, "厨房水管漏水了", T0, label="repair.plumbing", grid_code=G11,
                                    address="幸福里3号楼", settings=world.settings).id
    _deliver_all(world, T0)
    return tid


def _member_row(world: World, telegram_id: int) -> Member:
    with db.transaction(world.engine) as s:
        return s.exec(select(Member).where(Member.telegram_id == telegram_id)).one()


# 1. 确认移出 while the member presses 接单 on a wave offer ----------------------------------------------------------

def test_a_member_removed_while_pressing_accept_does_not_hold_the_ticket(world: World, db_url: str) -> None:
    """The grid coordinator presses 确认移出 for 王师傅 (moved away) while 王师傅, in another process, presses 接单 on
    a wave offer that 李师傅 was sent too. The removal withdraws 王师傅's offer; the accept read that offer as pending
    and the member as serving before the removal committed, its ticket UPDATE does not conflict (the removal did
    not touch the ticket: 李师傅's offer still stood), it waits only on the member row, then goes on and writes its
    offer back to 'accepted'. Both succeed: a member the coordinator removed — no longer in /members, told he was
    removed — holds the resident's ticket, and the resident is told he took it. Serially, either the accept is
    refused (removed first) or the ticket goes back to the coordinators (accepted first)."""
    wang = world.member("王师傅", ["水暖"], G11)
    world.member("李师傅", ["水暖"], G11)
    wang_id = world.member_id(wang)
    tid = _plumbing_ticket(world)
    now = T0 + minutes(2)

    removal = Tx(db_url, lambda s: dispatch.remove_member(s, GRID_COORD, wang_id, now, settings=world.settings),
                 hold=True)
    accept = Tx(db_url, lambda s: dispatch.accept_offer(s, tid, wang, now, settings=world.settings))
    removal.start()
    assert removal.written.wait(20) and removal.error is None, removal.outcome()
    accept.start()
    wait_until_blocked(db_url, accept)
    removal.release.set()
    removal.join(30)
    accept.join(30)

    member = _member_row(world, wang)
    with db.transaction(world.engine) as s:
        ticket = s.get(Ticket, tid)
        offer = s.exec(select(Offer).where(Offer.ticket_id == tid, Offer.member_id == wang_id)).one()
    assert member.left_at is not None, removal.outcome()
    assert ticket.assignee_id != wang_id, (
        f"removed member holds the ticket: removal {removal.outcome()}, accept {accept.outcome()}, "
        f"ticket {ticket.status}, offer {offer.state}, member active_count {member.active_count}")


# 2. 确认移出 while a coordinator assigns the same member --------------------------------------------------------------

def test_a_member_removed_while_being_assigned_is_not_left_with_the_assignment(world: World, db_url: str) -> None:
    """The street coordinator removes 王师傅 while the grid coordinator, in another process, assigns him a ticket
    waiting for 派单 (指派). The assignment read 王师傅 as serving (left_at empty) and inserts its offer; the removal
    looked for his pending offers before that offer was committed and found none. Neither step waits for the other
    and both succeed: the removed member is sent 「协调员指派给您…」 after 「您已被移出」, cannot accept it (he is no
    longer a member), and the ticket sits in 待接单 for the assignment's whole timeout, /dispatch saying it is
    assigned to him. Serially the assignment is refused (「已被移出，请指派其他成员」) or withdrawn by the removal."""
    wang = world.member("王师傅", ["水暖"], G11)
    wang_id = world.member_id(wang)
    with db.transaction(world.engine) as s:  # nobody of its trade: it waits for 派单
        tid = tickets.submit_ticket(s, RESIDENT, "家里老人需要人帮忙买菜", T0, label=None, grid_code=G11,
                                    address="幸福里3号楼", settings=world.settings).id
    _deliver_all(world, T0)
    now = T0 + minutes(5)

    assign = Tx(db_url, lambda s: dispatch.assign_ticket(s, tid, GRID_COORD, wang_id, now, settings=world.settings),
                hold=True)
    removal = Tx(db_url, lambda s: dispatch.remove_member(s, 9000, wang_id, now, settings=world.settings))
    assign.start()
    assert assign.written.wait(20) and assign.error is None, assign.outcome()
    removal.start()
    removal.join(2)  # (it waited for nothing before the fix; it waits for the assignment now)
    assign.release.set()
    assign.join(30)
    removal.join(30)

    with db.transaction(world.engine) as s:
        pending = list(s.exec(select(Offer).where(Offer.member_id == wang_id, Offer.state == OfferState.pending)))
        ticket = s.get(Ticket, tid)
        assigned_after = s.exec(select(func.count()).select_from(Notification).where(
            Notification.recipient_id == wang, Notification.kind == NotificationKind.assigned)).one()
    assert _member_row(world, wang).left_at is not None, removal.outcome()
    assert not pending, (
        f"a removed member keeps a pending assignment: assign {assign.outcome()}, removal {removal.outcome()}, "
        f"ticket {ticket.status}, 'assigned' messages to him {assigned_after}")


# 3. Two coordinators press 确认移出 for the same member -----------------------------------------------------------------

def test_two_coordinators_removing_the_same_member_tell_him_once(world: World, db_url: str) -> None:
    """Two coordinators of the grid both open /members and press 确认移出 for 王师傅 at the same moment (two
    processes). Each read him as serving; the second waits for the first's member row, then goes on (the row is not
    read again, and nothing checks that left_at is still empty), and queues a second 「您已被移出」 for him; both
    coordinators are told they removed him. Serially the second is refused with 「这位成员不存在或已被移出」."""
    with db.transaction(world.engine) as s:
        from routing import members
        members.add_coordinator(s, 9000, COORD_B, G11, T0)
    wang = world.member("王师傅", ["水暖"], G11)
    wang_id = world.member_id(wang)
    now = T0 + minutes(5)

    first = Tx(db_url, lambda s: dispatch.remove_member(s, GRID_COORD, wang_id, now, settings=world.settings),
               hold=True)
    second = Tx(db_url, lambda s: dispatch.remove_member(s, COORD_B, wang_id, now, settings=world.settings))
    first.start()
    assert first.written.wait(20) and first.error is None, first.outcome()
    second.start()
    wait_until_blocked(db_url, second)
    first.release.set()
    first.join(30)
    second.join(30)

    with db.transaction(world.engine) as s:
        told = s.exec(select(func.count()).select_from(Notification).where(
            Notification.recipient_id == wang, Notification.kind == NotificationKind.member_removed)).one()
    assert told == 1, f"{told} removal messages; first {first.outcome()}, second {second.outcome()}"


# 4. An assignment times out while the member presses 不方便 ------------------------------------------------------------

def test_declining_an_assignment_as_it_times_out_does_not_deadlock(world: World, db_url: str,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The grid coordinator assigned 王师傅; the assignment's time (ASSIGNMENT_WAVES wave timeouts) runs out just as
    he presses 不方便. The scheduler's advance_waves locks the ticket (SELECT … FOR UPDATE) and then withdraws his
    offer; the decline has already marked that offer declined and then writes the ticket's event (whose foreign key
    check waits for the FOR UPDATE lock). Each holds the row the other needs: PostgreSQL detects a deadlock and
    kills one (here the member's press; the coordinators then hear 「未回复」 although he answered). The member's press is answered with 「出错了，请稍后再
    试」 (or the scheduler's step fails), where serially one would simply see the other's result."""
    wang = world.member("王师傅", ["电工"], G11)
    wang_id = world.member_id(wang)
    with db.transaction(world.engine) as s:
        tid = tickets.submit_ticket(s, RESIDENT, "家里老人需要人帮忙买菜", T0, label=None, grid_code=G11,
                                    address="幸福里3号楼", settings=world.settings).id
    with db.transaction(world.engine) as s:
        dispatch.assign_ticket(s, tid, GRID_COORD, wang_id, T0 + minutes(1), settings=world.settings)
    _deliver_all(world, T0 + minutes(1))
    late = T0 + minutes(200)  # past the assignment's timeout

    locked, go = threading.Event(), threading.Event()
    scheduler_thread: list[threading.Thread] = []
    real_pending = dispatch.pending_offers

    def pending_offers(session, ticket_id):  # the scheduler pauses right after locking the ticket and reading offers
        found = real_pending(session, ticket_id)
        if scheduler_thread and threading.current_thread() is scheduler_thread[0] and not locked.is_set():
            locked.set()
            assert go.wait(30)
        return found

    monkeypatch.setattr(dispatch, "pending_offers", pending_offers)
    scheduler = Tx(db_url, lambda s: dispatch.advance_waves(s, late, settings=world.settings))
    scheduler_thread.append(scheduler)
    decline = Tx(db_url, lambda s: dispatch.decline_offer(s, tid, wang, late, settings=world.settings))
    scheduler.start()
    assert locked.wait(20), scheduler.outcome()
    decline.start()
    wait_until_blocked(db_url, decline)  # its offer written, it waits for the ticket the scheduler locked
    go.set()
    scheduler.join(30)
    decline.join(30)
    assert (scheduler.error, decline.error) == (None, None), (
        f"scheduler: {scheduler.outcome()}; member's 不方便: {decline.outcome()}")


# 5. 接单 on a wave-1 offer while the scheduler sends wave 2 --------------------------------------------------------------

def test_accepting_a_still_valid_offer_as_the_next_wave_goes_out_succeeds(world: World,
                                                                                      db_url: str) -> None:
    """Wave offers stay valid while later waves are out (dispatch.py's docstring): 王师傅 may still take the ticket
    he was offered first. He presses 接单 just as the scheduler (another process) sends wave 2 to 李师傅. His accept
    read the ticket before the scheduler committed; its conditional UPDATE requires the version it read
    (`Ticket.version == ticket.version`, added so that a coordinator's 指派 cannot be overtaken) and the new wave
    bumped it: nothing matches and he is told 「工单 #… 的邀请已失效」 — false, the offer still stands and nobody has
    the ticket. Serially (wave 2 first) his accept wins."""
    world.settings = world.settings.model_copy(update={"WAVE_SIZE": 1})
    wang = world.member("王师傅", ["水暖"], G11)
    world.member("李师傅", ["水暖"], G11)
    wang_id = world.member_id(wang)
    tid = _plumbing_ticket(world)
    with db.transaction(world.engine) as s:
        offered = [o.member_id for o in s.exec(select(Offer).where(Offer.ticket_id == tid))]
    assert offered == [wang_id]  # wave 1: 王师傅
    now = T0 + minutes(11)  # wave 1's ten minutes are up

    scheduler = Tx(db_url, lambda s: dispatch.advance_waves(s, now, settings=world.settings), hold=True)
    accept = Tx(db_url, lambda s: dispatch.accept_offer(s, tid, wang, now, settings=world.settings))
    scheduler.start()
    assert scheduler.written.wait(20) and scheduler.error is None and scheduler.result == 1, scheduler.outcome()
    accept.start()
    wait_until_blocked(db_url, accept)
    scheduler.release.set()
    scheduler.join(30)
    accept.join(30)

    with db.transaction(world.engine) as s:
        ticket = s.get(Ticket, tid)
        mine = s.exec(select(Offer).where(Offer.ticket_id == tid, Offer.member_id == wang_id)).one()
    assert accept.error is None and ticket.assignee_id == wang_id, (
        f"accept: {accept.outcome()}; ticket {ticket.status} wave {ticket.wave}, assignee {ticket.assignee_id}, "
        f"his offer still {mine.state}")


# 6. 接单 by two full members, each on another ticket, in the same instant ---------------------------------------------

def test_two_full_members_taking_two_tickets_at_once_both_get_theirs(world: World, db_url: str,
                                                                     monkeypatch) -> None:
    """王师傅 and 李师傅 (capacity 1 each, the grid's two plumbers) are both offered two leaks; 王 presses 接单 on the
    first and 李 on the second in the same second. Each accept now withdraws the taker's offer of the other ticket
    ("full") before it withdraws the others' offers of its own ticket ("taken"), locking offer rows of another ticket
    out of the order every other writer keeps (the ticket first): the two transactions deadlock, and one plumber gets
    「出错了，请重试」 instead of his ticket. (The interleaving is pinned with a barrier after the "full" step.)"""
    wang = world.member("王师傅", ["水暖"], capacity=1)
    li = world.member("李师傅", ["水暖"], capacity=1)
    ids = []
    for i, words in enumerate(("厨房水管漏水了", "卫生间下水道堵了")):
        with db.transaction(world.engine) as s:
            ids.append(tickets.submit_ticket(s, RESIDENT + i, words, T0 + minutes(i), label="repair.plumbing",
                                             grid_code=G11, address="幸福里3号楼2单元501", phone="13800000000",
                                             confidence=0.9, settings=world.settings).id)
    barrier = threading.Barrier(2, timeout=5)
    original = dispatch.record_event

    def paced(session, ticket, kind, *args, **kwargs):  # both have done their "full" step before either goes on
        original(session, ticket, kind, *args, **kwargs)
        if kind == "accepted":
            session.flush()
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()

    monkeypatch.setattr(dispatch, "record_event", paced)
    outcomes: dict[int, str] = {}

    def take(telegram_id: int, ticket_id: int) -> None:
        engine = db.make_engine(db_url)
        try:
            with db.transaction(engine) as s:
                dispatch.accept_offer(s, ticket_id, telegram_id, T0 + minutes(3), settings=world.settings)
            outcomes[telegram_id] = "won"
        except Exception as exc:
            outcomes[telegram_id] = f"{type(exc).__name__}: {str(exc).split('[SQL')[0][-160:]}"
        finally:
            engine.dispose()

    threads = [threading.Thread(target=take, args=(wang, ids[0])), threading.Thread(target=take, args=(li, ids[1]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert outcomes == {wang: "won", li: "won"}, outcomes
    with db.transaction(world.engine) as s:
        assert [s.get(Ticket, i).status for i in ids] == ["accepted", "accepted"]
