"""Times residents are told and the time an emergency waited. Found by a review of time and dates (each test
failed before)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot import texts
from routing import abuse, db, tickets
from tests.conftest import G11, RESIDENT, T0


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_ticket_limit_time_shown_lets_the_resident_in_when_they_come_back(world: Any) -> None:
    """A resident opens 5 tickets in an hour (the first at 10:00:40); the 6th is refused with
    "请在 11:00 之后再提交新的工单". They come back at 11:00:20 — after 11:00, as told — and should be let in.
    Instead they are refused again: the moment is 11:00:40, and the message shows it cut down to the minute."""
    settings = world.settings
    first = T0 + timedelta(seconds=40)  # 10:00:40 local
    with db.transaction(world.engine) as s:
        for i in range(settings.TICKETS_PER_HOUR):
            tickets.submit_ticket(s, RESIDENT, f"楼道灯坏了{i}号", first + timedelta(minutes=i), label="repair.plumbing",
                                  grid_code=G11, address="幸福里3号楼", phone="13800000000", settings=settings)
    with db.transaction(world.engine) as s:
        until = abuse.ticket_limit_until(s, RESIDENT, first + timedelta(minutes=10), settings=settings)
    assert until is not None
    shown = texts.too_many_tickets(settings.TICKETS_PER_HOUR, until, settings.tz, at_submit=True)
    hour, minute = map(int, re.search(r"请在 \d+月\d+日 (\d\d):(\d\d) 之后", shown).groups())
    told = datetime(2025, 3, 3, hour, minute, tzinfo=settings.tz)
    back = told + timedelta(seconds=20)  # after the time shown
    with db.transaction(world.engine) as s:
        again = abuse.ticket_limit_until(s, RESIDENT, back, settings=settings)
    assert again is None, (f"told 「…{hour:02d}:{minute:02d} 之后再提交」, at {back.astimezone(settings.tz):%H:%M:%S} "
                           f"still refused until {again.astimezone(settings.tz):%H:%M:%S}")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_an_emergency_written_while_the_bot_was_down_counts_from_when_it_was_written(chat: Any) -> None:
    """The bot is stopped (a crash, a deploy) for 40 minutes. Meanwhile a resident writes "厨房一股煤气味，很大";
    Telegram keeps the message and the bot reads it when it is back. The urgent ticket's 15-minute response limit
    should run from when the resident wrote (they have waited 40 minutes already: the coordinators' red card is
    due at once, and 响应率 must not count it as answered in time). Instead the limit starts when the bot read the
    message: the ticket looks fresh, due in 15 minutes, and the 40 minutes of waiting vanish from every figure."""
    import time

    from sqlmodel import select

    from routing.models import Ticket

    written = int(time.time()) - 40 * 60
    await chat.say(1, "厨房一股煤气味，很大", date=written)
    with db.transaction(chat.engine) as s:
        ticket = s.exec(select(Ticket)).one()
        created, due = ticket.created_at, ticket.respond_due_at
    sent = datetime.fromtimestamp(written, UTC)
    assert due <= sent + timedelta(minutes=15), (
        f"written at {sent:%H:%M:%S} UTC, ticket created {created:%H:%M:%S}, respond limit {due:%H:%M:%S}")
