"""Regressions of the 4f23440 matching fixes: offers withdrawn when a member fills up or goes off duty.

Found by a review of the thirty-sixth session's fixes (each test failed before)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from routing import db, dispatch, tickets
from routing.models import Member, Offer, OfferState, Ticket
from tests.conftest import G11, RESIDENT, T0, World, minutes

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _submit(world: World, text: str = "厨房水管漏水了", at=T0) -> int:
    with db.transaction(world.engine) as s:
        return tickets.submit_ticket(s, RESIDENT, text, at, label="repair.plumbing", grid_code=G11,
                                     address="幸福里3号楼2单元501", phone="13800000000", confidence=0.9,
                                     settings=world.settings).id


def _pending(world: World, ticket_id: int) -> set[int]:
    with db.transaction(world.engine) as s:
        return set(s.exec(select(Member.telegram_id).join(Offer, Offer.member_id == Member.id).where(
            Offer.ticket_id == ticket_id, Offer.state == OfferState.pending)).all())


def _status(world: World, ticket_id: int) -> str:
    with db.transaction(world.engine) as s:
        return s.get(Ticket, ticket_id).status


def test_a_member_whose_offer_was_withdrawn_as_full_is_asked_again_once_free(world: World) -> None:
    """王师傅 (capacity 1) and 李师傅 are both offered two leaks. 王 takes the first, so his offer of the second is
    withdrawn ("full"); five minutes later he has fixed the first and is free, 李 never answers. At the next waves the
    second leak is never offered to 王 again (a withdrawn offer not "taken" bars him from the ticket for good) and goes
    to the coordinators, though the one free plumber is right there — before the fix his card stayed and he could take it."""
    wang = world.member("王师傅", ["水暖"], capacity=1)
    li = world.member("李师傅", ["水暖"])
    first = _submit(world)
    second = _submit(world, "卫生间下水道堵了", at=T0 + minutes(1))
    assert _pending(world, second) == {wang, li}
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, first, wang, T0 + minutes(2), settings=world.settings)
    with db.transaction(world.engine) as s:
        tickets.resolve_ticket(s, first, wang, T0 + minutes(5), note="换了水管")
    asked_again = False
    for m in (12, 23, 34, 45):
        with db.transaction(world.engine) as s:
            dispatch.advance_waves(s, T0 + minutes(m), settings=world.settings)
        asked_again = asked_again or wang in _pending(world, second)
    assert asked_again, f"王师傅, free again, never asked for the second leak (now {_status(world, second)})"


def test_duty_off_and_back_on_gets_the_member_asked_again(world: World) -> None:
    """王师傅, the grid's only plumber besides 李师傅 (who is asked too and does not answer), turns /duty off by mistake
    and on again a minute later. His offer is withdrawn ("off_duty"), and from then on no wave of that leak ever asks
    him again: it ends with the coordinators though he is on duty and free."""
    wang = world.member("王师傅", ["水暖"])
    li = world.member("李师傅", ["水暖"])
    leak = _submit(world)
    assert _pending(world, leak) == {wang, li}
    with db.transaction(world.engine) as s:
        dispatch.go_off_duty(s, wang, T0 + minutes(1), settings=world.settings)
    from routing import members
    with db.transaction(world.engine) as s:
        members.set_duty(s, wang, True)
    asked_again = False
    for m in (12, 23, 34, 45):
        with db.transaction(world.engine) as s:
            dispatch.advance_waves(s, T0 + minutes(m), settings=world.settings)
        asked_again = asked_again or wang in _pending(world, leak)
    assert asked_again, f"王师傅, back on duty, never asked again (now {_status(world, leak)})"


def test_a_coordinators_assignment_is_not_left_waiting_on_a_member_who_filled_up(world: World) -> None:
    """The 网格员 assigns a leak to 王师傅 (capacity 2, holding one ticket: 1 + 0 waiting < 2, allowed). Before answering it
    王 takes a wave offer of another leak and is full. His other wave offers are withdrawn ("full") but the 指派 stays
    pending: when he then presses 接单 on it he is refused 「您手上已有 2 张工单」, and the ticket sits on him until the
    assignment's timeout, the 网格员 still reading 「等待对方确认」 (the same hole the fix closed for wave offers)."""
    from routing.errors import NotAllowed
    from tests.conftest import GRID_COORD

    wang = world.member("王师傅", ["水暖"], capacity=2)
    held = _submit(world, "暖气片漏水", at=T0)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, held, wang, T0 + minutes(1), settings=world.settings)
    assigned = _submit(world, "厨房水管漏水了", at=T0 + minutes(2))
    with db.transaction(world.engine) as s:  # (a plain wave asked him already: the coordinator assigns it by name)
        dispatch.assign_ticket(s, assigned, GRID_COORD, world.member_id(wang), T0 + minutes(3),
                               settings=world.settings)
    wave = _submit(world, "卫生间下水道堵了", at=T0 + minutes(4))
    assert wang in _pending(world, wave)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, wave, wang, T0 + minutes(5), settings=world.settings)
    try:
        with db.transaction(world.engine) as s:
            dispatch.accept_offer(s, assigned, wang, T0 + minutes(6), settings=world.settings)
    except NotAllowed as refused:
        assert wang not in _pending(world, assigned), (
            f"the 指派 still waits on 王师傅, who is refused it: {refused} (ticket {_status(world, assigned)})")
