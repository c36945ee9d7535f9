"""A person's order across two webhook workers claiming at the same moment (PostgreSQL, 7fe0d8d's `in_the_way`).
Found by a review of the thirty-fourth session's delivery and card fixes (each test failed before; its docstring tells the bug as it was found)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from routing import db, outbox
from tests.bot.test_delivery import PAYLOAD

RESIDENT = 4242


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
        accepted = outbox.notify(session, RESIDENT, "ticket_accepted", now,
                                 payload={**PAYLOAD, "member_name": "王师傅"})
    with db.transaction(engine) as worker_a:
        assert [n.id for n in outbox.claim_notifications(worker_a, "A", now)] == [accepted]
        with db.transaction(engine) as session:  # worker B's update commits the next message meanwhile
            started = outbox.notify(session, RESIDENT, "ticket_started", now, payload=PAYLOAD)
        with db.transaction(engine) as worker_b:
            taken_by_b = [n.id for n in outbox.claim_notifications(worker_b, "B", now)]
    assert started not in taken_by_b, (
        "worker B claimed the resident's later message while worker A was claiming the earlier one")
