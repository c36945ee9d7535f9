"""Under real concurrency (PostgreSQL, several bot processes): 50 members accept one ticket at once and one wins;
one invite code sent twice at once registers one member; two ratings of one member at once both count."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import func
from sqlmodel import select

from routing import db, dispatch, members, outbox, tickets
from routing.errors import DomainError
from routing.models import Member, Notification, NotificationKind, Offer, OfferState, Ticket
from routing.race import race_accept
from tests.conftest import G11, GRID_COORD, RESIDENT, T0, World, minutes

RACERS = 50


@pytest.mark.parametrize("rounds", [10])
def test_fifty_concurrent_accepts_one_winner(world: World, backend: str, rounds: int,
                                             db_url: str) -> None:
    if backend == "sqlite":
        rounds = 2  # SQLite serialises writers anyway; PostgreSQL is the real proof
    world.settings = world.settings.model_copy(update={"WAVE_SIZE": RACERS,
                                                       "MEMBER_CAPACITY": 100})
    racers = [world.member(f"成员{i}", ["水暖"], G11) for i in range(RACERS)]
    engine = db.make_engine(db_url, **({} if backend == "sqlite" else
                                       {"pool_size": RACERS, "max_overflow": 5}))
    ties = 0
    try:
        for round_no in range(rounds):
            now = T0 + minutes(round_no)
            with db.transaction(engine) as s:
                tid = tickets.submit_ticket(s, RESIDENT, "水管坏了", now, label="repair.plumbing",
                                            grid_code=G11, settings=world.settings).id
            with db.transaction(engine) as s:  # the offers went out
                for n in outbox.claim_notifications(s, "w", now, limit=500,
                                                    settings=world.settings):
                    outbox.mark_delivered(s, n.id, now, message_id=n.id)
            result = race_accept(engine, tid, racers, now + minutes(0.5))
            assert len(result.winners) == 1, result
            assert result.taken == RACERS - 1 and not result.other, result
            ties += result.taken_at_update
            with db.transaction(engine) as s:
                t = s.get(Ticket, tid)
                winner = members.get_member(s, result.winners[0])
                assert t.status == "accepted" and t.assignee_id == winner.id
                states = dict(s.exec(select(Offer.state, func.count()).where(
                    Offer.ticket_id == tid).group_by(Offer.state)).all())
                assert states == {OfferState.accepted: 1, OfferState.withdrawn: RACERS - 1}
                edits = s.exec(select(func.count()).select_from(Notification).where(
                    Notification.ticket_id == tid,
                    Notification.kind == NotificationKind.offer_withdrawn)).one()
                assert edits == RACERS - 1
                events = [e.kind for e in tickets.ticket_events(s, tid)]
                assert events.count("accepted") == 1
    finally:
        engine.dispose()
    if backend == "postgres":
        # The proof is only meaningful if losers really collided with the winner in the UPDATE.
        assert ties > 0
    print(f"{backend}: {rounds} rounds, {ties} losers blocked at the UPDATE and lost")


def _one_waits_for_the_other(db_url: str, first: Callable, second: Callable) -> list[str]:
    """Run `first` in a transaction that holds its writes uncommitted until `second`, in another process's
    transaction, has read the same rows and waits on their lock; each step's outcome (or refusal)."""
    written, may_commit = threading.Event(), threading.Event()
    outcomes: list[str] = []

    def run(step: Callable, hold: bool) -> None:
        engine = db.make_engine(db_url)
        try:
            with db.transaction(engine) as s:
                step(s)
                if hold:
                    s.flush()
                    written.set()
                    may_commit.wait(10)
            outcomes.append("done")
        except DomainError as exc:
            outcomes.append(f"refused: {exc}")
        finally:
            engine.dispose()

    a = threading.Thread(target=run, args=(first, True))
    a.start()
    assert written.wait(10)
    b = threading.Thread(target=run, args=(second, False))
    b.start()
    time.sleep(0.5)  # the second has read the rows and waits for the first's lock
    may_commit.set()
    a.join(20)
    b.join(20)
    return outcomes


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)  # (SQLite serialises writers: no race to lose)
def test_one_invite_sent_twice_at_once_registers_one_member(world: World, db_url: str) -> None:
    with db.transaction(world.engine) as s:
        code = members.create_invite(s, GRID_COORD, T0, settings=world.settings).code

    def join(telegram_id: int) -> Callable:
        return lambda s: members.register_member(s, telegram_id, code, f"成员{telegram_id}", ["水暖"], G11,
                                                 T0 + minutes(1), settings=world.settings)

    outcomes = _one_waits_for_the_other(db_url, join(5001), join(5002))
    with db.transaction(world.engine) as s:
        joined = list(s.exec(select(Member.telegram_id).where(Member.invite_code == code)))
    assert joined == [5001] and sorted(outcomes) == ["done", "refused: 邀请码已被使用"], outcomes


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_two_ratings_of_one_member_at_once_both_count(world: World, db_url: str) -> None:
    plumber = world.member("王师傅", ["水暖"], G11)
    rated = []
    for resident in (RESIDENT, RESIDENT + 50):
        with db.transaction(world.engine) as s:
            tid = tickets.submit_ticket(s, resident, "厨房水管漏水了", T0, label="repair.plumbing",
                                        grid_code=G11, address="幸福里3号楼", settings=world.settings).id
        with db.transaction(world.engine) as s:
            dispatch.accept_offer(s, tid, plumber, T0 + minutes(5), settings=world.settings)
        with db.transaction(world.engine) as s:
            tickets.resolve_ticket(s, tid, plumber, T0 + minutes(30), note="修好了")
        rated.append((tid, resident))

    def rate(tid: int, resident: int, stars: int) -> Callable:
        return lambda s: tickets.rate_ticket(s, tid, resident, stars, T0 + minutes(60))

    assert _one_waits_for_the_other(db_url, rate(*rated[0], 5), rate(*rated[1], 4)) == ["done", "done"]
    with db.transaction(world.engine) as s:
        member = s.exec(select(Member).where(Member.telegram_id == plumber)).one()
        assert (member.rating_count, member.rating_sum) == (2, 9)
        assert member.points == 2 * (15 + 5) + 5 + 3  # two on-time resolutions, a 5-star and a 4-star bonus
