"""A person's messages behind a withdrawal edit that waits for its original (PostgreSQL, 27470bd's `behind`).
Found by a final review of the thirty-fourth session's delivery fixes (each test failed before; its docstring tells the bug as it was found)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from routing import db, outbox
from routing.models import NotificationKind
from tests.bot.test_delivery import PAYLOAD

MEMBER = 4343


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
        offer = outbox.notify(session, MEMBER, NotificationKind.offer, now, ticket_id=None, payload=PAYLOAD)
    with db.transaction(engine) as session:
        assert [n.id for n in outbox.claim_notifications(session, "A", now)] == [offer]
    with db.transaction(engine) as session:  # the ticket is taken meanwhile: the offer being sent is withdrawn
        outbox.withdraw_message(session, offer, MEMBER, now, ticket_id=None,
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
        new_offer = outbox.notify(session, MEMBER, NotificationKind.offer, later, ticket_id=None,
                                  payload={**PAYLOAD, "number": "#A5678"})
    with db.transaction(engine) as session:
        claimed = [n.id for n in outbox.claim_notifications(session, "A", later)]
    assert new_offer in claimed, (
        "the member's new offer is held behind the withdrawal edit of an offer Telegram rejected")
