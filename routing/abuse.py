"""Per-person rate limits (issue #6): tickets per hour and intake messages per minute.

The counts live in the database, so that several bot processes share them:
- tickets are counted in the ticket table (index on resident_id, created_at) over the last hour;
- messages in a fixed one-minute window, one row per person in `message_window`, counted by one
  INSERT … ON CONFLICT DO UPDATE … RETURNING per message (a fixed window lets a burst straddling a
  minute boundary through twice the limit; good enough to slow a flood, and one statement).
Urgent requests are never limited: the bot skips the checks for them. Both windows are durations,
so TIME_LIMIT_SCALE scales them as it scales every other one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, bindparam, case, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from routing.config import Settings, get_settings
from routing.db import core, is_postgres
from routing.models import MessageWindow, Person, Ticket

TICKET_WINDOW = timedelta(hours=1)
MESSAGE_WINDOW = timedelta(minutes=1)
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


# The resident's newest tickets of the last hour (index resident_id, created_at); built once, as
# it runs at every request and every submission.
_T = Ticket.__table__.c
_RECENT_TICKETS = (select(_T.created_at)
                   .where(_T.resident_id == bindparam("resident"),
                          _T.created_at > bindparam("since", type_=_T.created_at.type))
                   .order_by(_T.created_at.desc()).limit(bindparam("limit", type_=Integer)))


@dataclass(frozen=True)
class MessageCount:
    """A person's messages in the current window, and when the window ends."""

    count: int
    limit: int
    until: datetime

    @property
    def exceeded(self) -> bool:
        """This message is over the limit (hold it back, unless it is urgent)."""
        return self.count > self.limit

    @property
    def first_exceeded(self) -> bool:
        """The first message over the limit in this window: the one that gets the polite answer
        (the rest are dropped silently, so that a flood gets one answer, not one per message)."""
        return self.count == self.limit + 1


def ticket_limit_until(session: Session, resident_id: int, now: datetime, *, lock: bool = True,
                       settings: Settings | None = None) -> datetime | None:
    """None when the resident may open another ticket now; else the moment they may (when the
    oldest of their last TICKETS_PER_HOUR tickets leaves the hour). `lock=False` for a look
    ahead that opens no ticket (the check before the ticket is submitted locks)."""
    settings = settings or get_settings()
    window = settings.scaled(TICKET_WINDOW)
    if lock and is_postgres(session):
        # Lock the person's row, so that two processes submitting for the same resident at once
        # count each other's ticket. SQLite's writer holds the whole database already, where the
        # statement would lock nothing.
        session.get(Person, resident_id, with_for_update=True)
    recent = core(session, _RECENT_TICKETS, {"resident": resident_id, "since": now - window,
                                             "limit": settings.TICKETS_PER_HOUR}).scalars().all()
    if len(recent) < settings.TICKETS_PER_HOUR:
        return None
    return recent[-1] + window


@lru_cache(maxsize=4)
def _count_statement(dialect: str) -> Any:
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    table = MessageWindow.__table__
    statement = insert(table).values(telegram_id=bindparam("telegram_id"),
                                     window_start=bindparam("window_start", type_=table.c.window_start.type),
                                     count=1)
    same_window = table.c.window_start == statement.excluded.window_start
    return statement.on_conflict_do_update(
        index_elements=["telegram_id"],
        set_={"count": case((same_window, table.c.count + 1), else_=1),
              "window_start": statement.excluded.window_start},
    ).returning(table.c.count)


def count_message(session: Session, telegram_id: int, now: datetime, *,
                  settings: Settings | None = None) -> MessageCount:
    """Count one intake message of this person in the current window (one statement)."""
    settings = settings or get_settings()
    window = settings.scaled(MESSAGE_WINDOW)
    start = _EPOCH + window * ((now - _EPOCH) // window)
    count = core(session, _count_statement(session.get_bind().dialect.name),
                 {"telegram_id": telegram_id, "window_start": start}).scalar_one()
    return MessageCount(count=count, limit=settings.MESSAGES_PER_MINUTE, until=start + window)
