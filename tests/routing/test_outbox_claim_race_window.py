"""A person's order across two webhook workers on PostgreSQL, when the earlier one's claim commits mid-claim.
Found by a final review of the thirty-fourth session's delivery fixes (each test failed before; its docstring tells the bug as it was found)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session

from routing import db, outbox
from tests.bot.test_delivery import PAYLOAD

RESIDENT = 4242


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
        accepted = outbox.notify(session, RESIDENT, "ticket_accepted", now,
                                 payload={**PAYLOAD, "member_name": "王师傅"})
        started = outbox.notify(session, RESIDENT, "ticket_started", now, payload=PAYLOAD)
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
