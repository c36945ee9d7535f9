"""The accept race: many members press 接单 on one ticket at the same instant (test and bench)."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from routing import db
from routing.dispatch import accept_offer
from routing.errors import DomainError, TicketAlreadyTaken


@dataclass(frozen=True, slots=True)
class RaceResult:
    winners: list[int]  # telegram ids that got the ticket
    taken: int  # losers told TicketAlreadyTaken
    taken_at_update: int  # … of whom lost at the conditional UPDATE itself (true ties)
    other: Counter[str]  # anything else, by exception type (should be empty)


def race_accept(engine: Engine, ticket_id: int, telegram_ids: list[int], now: datetime
                ) -> RaceResult:
    """Run one accept per member, each in its own thread, connection and transaction, released
    together by a barrier."""
    barrier = threading.Barrier(len(telegram_ids))
    outcomes: dict[int, str] = {}
    lock = threading.Lock()

    def attempt(telegram_id: int) -> None:
        barrier.wait()
        try:
            with db.transaction(engine) as session:
                accept_offer(session, ticket_id, telegram_id, now)
            outcome = "won"
        except TicketAlreadyTaken as exc:
            outcome = "taken_at_update" if exc.at_update else "taken"
        except DomainError as exc:
            outcome = type(exc).__name__
        except Exception as exc:  # a database error would disprove atomicity: report it
            outcome = f"{type(exc).__name__}: {exc}"[:200]
        with lock:
            outcomes[telegram_id] = outcome

    threads = [threading.Thread(target=attempt, args=(tid,)) for tid in telegram_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [tid for tid, o in outcomes.items() if o == "won"]
    other = Counter(o for o in outcomes.values()
                    if o not in ("won", "taken", "taken_at_update"))
    at_update = sum(o == "taken_at_update" for o in outcomes.values())
    return RaceResult(winners, sum(o == "taken" for o in outcomes.values()) + at_update,
                      at_update, other)
