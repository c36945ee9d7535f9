"""Accepting is atomic under real concurrency: 50 members accept one ticket at once, one wins."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from routing import db, members, outbox, tickets
from routing.models import Notification, NotificationKind, Offer, OfferState, Ticket
from routing.race import race_accept
from tests.conftest import G11, RESIDENT, T0, World, minutes

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
