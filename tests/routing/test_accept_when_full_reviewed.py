"""PostgreSQL: two members each taking a different ticket at the same instant (the fix of 4f23440 makes accept_offer
withdraw the taker's other offers when he is full).

Found by a review of the thirty-sixth session's fixes (each test failed before)."""

from __future__ import annotations

import contextlib
import threading

import pytest

from routing import db, dispatch, tickets
from routing.models import Ticket
from tests.conftest import G11, RESIDENT, T0, World, minutes


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
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
    for i, text in enumerate(("厨房水管漏水了", "卫生间下水道堵了")):
        with db.transaction(world.engine) as s:
            ids.append(tickets.submit_ticket(s, RESIDENT + i, text, T0 + minutes(i), label="repair.plumbing",
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
