"""The state machine: the transition table, and illegal steps refused with nothing changed."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import func
from sqlmodel import select

from routing import db, dispatch, tickets
from routing.errors import ConcurrentUpdate, IllegalTransition
from routing.models import Notification, Ticket, TicketEvent
from routing.models import TicketStatus as S
from routing.states import OPEN, TRANSITIONS, can_transition, transition
from tests.conftest import G11, RESIDENT, T0, World, minutes

LEGAL = [
    (S.submitted, S.offered), (S.submitted, S.dispatch), (S.submitted, S.cancelled),
    (S.offered, S.offered), (S.offered, S.accepted), (S.offered, S.dispatch),
    (S.offered, S.escalated), (S.offered, S.cancelled),
    (S.dispatch, S.offered), (S.dispatch, S.escalated), (S.dispatch, S.cancelled),
    (S.escalated, S.offered), (S.escalated, S.accepted), (S.escalated, S.escalated),
    (S.escalated, S.cancelled),
    (S.accepted, S.in_progress), (S.accepted, S.resolved), (S.accepted, S.handed_back),
    (S.accepted, S.offered), (S.accepted, S.cancelled),
    (S.in_progress, S.resolved), (S.in_progress, S.handed_back), (S.in_progress, S.offered),
    (S.in_progress, S.cancelled),
    (S.handed_back, S.offered), (S.handed_back, S.dispatch),
    (S.resolved, S.closed), (S.resolved, S.reopened),
    (S.reopened, S.offered), (S.reopened, S.escalated), (S.reopened, S.cancelled),
    (S.reopened, S.resolved),  # (a low rating corrected at once: tickets.correct_rating)
]


def test_table_is_exactly_the_documented_one() -> None:
    table = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
    assert table == set(LEGAL)
    assert set(TRANSITIONS) == set(S)


@pytest.mark.parametrize(("source", "target"), list(itertools.product(S, S)))
def test_can_transition(source: S, target: S) -> None:
    assert can_transition(source, target) == ((source, target) in LEGAL)


def test_terminal_states() -> None:
    assert not TRANSITIONS[S.closed] and not TRANSITIONS[S.cancelled]
    assert S.closed not in OPEN and S.cancelled not in OPEN
    # The main path of the issue is legal step by step.
    path = [S.submitted, S.offered, S.accepted, S.in_progress, S.resolved, S.closed]
    assert all(can_transition(a, b) for a, b in itertools.pairwise(path))


def _counts(world: World) -> tuple[int, int, int]:
    with db.transaction(world.engine) as s:
        return tuple(s.exec(select(func.count()).select_from(m)).one()
                     for m in (Ticket, TicketEvent, Notification))


def test_illegal_transition_changes_nothing(world: World) -> None:
    plumber = world.member("王师傅", ["水暖"])
    with db.transaction(world.engine) as s:
        tid = tickets.submit_ticket(s, RESIDENT, "水管漏水", T0, label="repair.plumbing",
                                    grid_code=G11).id
    before = _counts(world)
    # Resolving a ticket nobody accepted.
    with pytest.raises(Exception) as info, db.transaction(world.engine) as s:
        tickets.resolve_ticket(s, tid, plumber, T0)
    assert "不是由您办理" in str(info.value)
    # A raw illegal step: offered → closed.
    with pytest.raises(IllegalTransition) as info, db.transaction(world.engine) as s:
        transition(s, s.get(Ticket, tid), S.closed, T0, kind="closed")
    assert info.value.current == "offered" and info.value.target == "closed"
    assert "待接单" in info.value.message
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, plumber, T0 + minutes(1))
    with db.transaction(world.engine) as s:
        tickets.start_ticket(s, tid, plumber, T0 + minutes(2))
    after_start = _counts(world)
    # Starting twice (a double tap, or an older card's 开始): nothing changes, no error.
    with db.transaction(world.engine) as s:
        tickets.start_ticket(s, tid, plumber, T0 + minutes(3))
    assert _counts(world) == after_start
    assert before[0] == after_start[0]
    with db.transaction(world.engine) as s:
        t = s.get(Ticket, tid)
        assert t.status == S.in_progress and t.started_at == T0 + minutes(2)


def test_stale_version_is_refused(world: World) -> None:
    with db.transaction(world.engine) as s:
        tid = tickets.submit_ticket(s, RESIDENT, "其他事情", T0, label=None, grid_code=G11).id
    with db.transaction(world.engine) as s:
        stale = s.get(Ticket, tid)  # what a handler read, before …
    with db.transaction(world.engine) as s:
        dispatch.escalate_ticket(s, tid, T0 + minutes(1), reason="test")  # … someone else acted
    with pytest.raises(ConcurrentUpdate), db.transaction(world.engine) as s:
        transition(s, stale, S.cancelled, T0 + minutes(2), kind="cancelled")
    with db.transaction(world.engine) as s:
        assert s.get(Ticket, tid).status == S.escalated
