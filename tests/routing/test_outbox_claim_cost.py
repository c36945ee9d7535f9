"""The cost of claiming the outbox once a group chat has a history and a backlog (7fe0d8d's `in_the_way`).
Found by a review of the thirty-fourth session's delivery and card fixes (each test failed before; its docstring tells the bug as it was found)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, insert

from routing import db, outbox
from routing.models import Notification

GROUP = -1001234567
RESIDENT = 4242


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
        conn.execute(insert(table), rows(20_000, GROUP, "sent"))  # the group's history
        conn.execute(insert(table), rows(5, GROUP, "claimed", lease_until=now + timedelta(seconds=120)))
        conn.execute(insert(table), rows(300, GROUP, "pending"))  # the backlog, waiting behind those five
        conn.execute(insert(table), [{**rows(1, RESIDENT, "pending")[0], "kind": "ticket_created"}])
    steps = []  # (the work SQLite does, counted in thousands of virtual machine steps: not a timing)
    with db.transaction(engine) as session:
        sqlite = session.connection().connection.driver_connection
        sqlite.set_progress_handler(lambda: steps.append(1) and 0, 1000)
        claimed = outbox.claim_notifications(session, "w1", now, limit=50, skip=("weekly_report",))
        sqlite.set_progress_handler(None, 0)
    assert [n.recipient_id for n in claimed] == [RESIDENT]  # (the order is kept: only the receipt goes)
    # Without the index the waiting rows walk the history: about 6 million rows read; with it, thousands.
    assert len(steps) < 5_000, f"one claim took {len(steps)}k SQLite steps under the write lock"
