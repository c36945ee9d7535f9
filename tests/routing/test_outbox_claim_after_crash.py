"""A person's order on PostgreSQL when an earlier message's claim ran out (a worker died mid-send) and another worker
is taking it back: 399ddbe's `behind` step looks only for an earlier row that is *pending* (or claimed with a valid
lease), not for one whose lease has expired, which `claim_notifications` itself treats as due.
Found by a review in the thirty-fourth session (each test failed before; its docstring tells the bug as it was found)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from routing import db, outbox
from tests.bot.test_delivery import PAYLOAD

RESIDENT = 4545


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
        accepted = outbox.notify(session, RESIDENT, "ticket_accepted", start,
                                 payload={**PAYLOAD, "member_name": "王师傅"})
    with db.transaction(engine) as session:  # worker C claims it, then dies before sending
        assert [n.id for n in outbox.claim_notifications(session, "C", start)] == [accepted]
    later = start + timedelta(seconds=600)  # past C's lease (120 s)
    worker_a = Session(engine)
    try:
        # A takes the expired claim back (locked, not yet committed).
        assert [n.id for n in outbox.claim_notifications(worker_a, "A", later)] == [accepted]
        with db.transaction(engine) as session:  # meanwhile on worker B: 王师傅 started the work
            started = outbox.notify(session, RESIDENT, "ticket_started", later, payload=PAYLOAD)
        with db.transaction(engine) as worker_b:
            taken_by_b = [n.id for n in outbox.claim_notifications(worker_b, "B", later)]
    finally:
        worker_a.rollback()
        worker_a.close()
    assert started not in taken_by_b, (
        "worker B claimed the resident's 「办理中」 while worker A was taking back (and about to send) 「已接单」")
