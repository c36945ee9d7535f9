"""Rate limits on both backends: tickets per hour from the ticket table, messages per minute from one
upserted row per person (shared by every bot process)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from routing import abuse, db, tickets
from routing.config import Settings
from routing.models import MessageWindow
from tests.conftest import G11, OTHER_RESIDENT, RESIDENT, T0, World, minutes


def submit(world: World, now, text: str = "家里插座没电了", *, resident: int = RESIDENT,
           urgent: bool = False) -> None:
    with db.transaction(world.engine) as s:
        tickets.submit_ticket(s, resident, text, now, label="repair.electrical", grid_code=G11,
                              address="幸福里3号楼2单元501", urgent=urgent, settings=world.settings)


def limit_until(world: World, now, resident: int = RESIDENT):
    with db.transaction(world.engine) as s:
        return abuse.ticket_limit_until(s, resident, now, settings=world.settings)


def test_five_tickets_an_hour_then_wait_for_the_oldest_to_age(world: World) -> None:
    times = [T0 + minutes(10 * i) for i in range(5)]  # 10:00, 10:10 … 10:40
    for i, when in enumerate(times):
        assert limit_until(world, when) is None, f"ticket {i + 1} of 5 must be allowed"
        submit(world, when, f"第{i}件事 插座没电")
    now = T0 + minutes(45)
    assert limit_until(world, now) == T0 + timedelta(hours=1)  # when 10:00's ticket is an hour old
    assert limit_until(world, T0 + minutes(59)) == T0 + timedelta(hours=1)
    assert limit_until(world, T0 + timedelta(hours=1)) is None  # exactly an hour later: allowed
    assert limit_until(world, now, OTHER_RESIDENT) is None  # per resident


def test_urgent_tickets_count_but_the_limit_is_a_setting(world: World) -> None:
    world.settings = Settings(_env_file=None, TICKETS_PER_HOUR=2)
    submit(world, T0, urgent=True)
    assert limit_until(world, T0 + minutes(1)) is None
    submit(world, T0 + minutes(1))
    assert limit_until(world, T0 + minutes(2)) == T0 + timedelta(hours=1)


def count(world: World, now, person: int = RESIDENT, settings: Settings | None = None):
    with db.transaction(world.engine) as s:
        return abuse.count_message(s, person, now, settings=settings or world.settings)


def test_twenty_messages_a_minute_in_one_row_per_person(world: World) -> None:
    start = T0 + timedelta(seconds=5)
    results = [count(world, start + timedelta(seconds=i)) for i in range(22)]
    assert [r.count for r in results] == list(range(1, 23))
    assert not any(r.exceeded for r in results[:20])
    assert results[20].exceeded and results[20].first_exceeded  # the one that gets an answer
    assert results[21].exceeded and not results[21].first_exceeded  # dropped silently
    assert all(r.until == T0 + minutes(1) for r in results)  # the end of the 10:00 minute
    assert count(world, start, OTHER_RESIDENT).count == 1  # per person
    fresh = count(world, T0 + minutes(1))
    assert (fresh.count, fresh.exceeded, fresh.until) == (1, False, T0 + minutes(2))  # a new window
    with db.transaction(world.engine) as s:
        rows = s.exec(select(MessageWindow).order_by(MessageWindow.telegram_id)).all()
        assert [(r.telegram_id, r.count, r.window_start) for r in rows] == [
            (RESIDENT, 1, T0 + minutes(1)), (OTHER_RESIDENT, 1, T0)]


def test_message_limit_setting_and_scaled_window(world: World) -> None:
    settings = Settings(_env_file=None, MESSAGES_PER_MINUTE=2, TIME_LIMIT_SCALE=0.5)  # 30 s windows
    got = [count(world, T0 + timedelta(seconds=s), settings=settings) for s in (0, 10, 20, 31)]
    assert [r.count for r in got] == [1, 2, 3, 1]
    assert got[2].first_exceeded and got[2].until == T0 + timedelta(seconds=30)


def test_concurrent_counting_loses_no_message(world: World) -> None:
    """Several processes' messages at once: the upsert is one statement, so each is counted once."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        counts = list(pool.map(lambda i: count(world, T0 + timedelta(seconds=i % 50)).count, range(30)))
    assert sorted(counts) == list(range(1, 31))
