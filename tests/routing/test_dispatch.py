"""Dispatch (routing/dispatch.py) beyond a ticket's plain life: offers withdrawn when a member fills up or goes off
duty and made again, a coordinator's 指派 and who hears its answer, on a ticket waiting or escalated."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from routing import db, dispatch, tickets
from routing.models import Member, Notification, NotificationKind, Offer, OfferState, Ticket
from tests.conftest import COORD, G11, GRID_COORD, RESIDENT, T0, World, minutes

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _submit(world: World, text: str = "厨房水管漏水了", label: str = "repair.plumbing", at=T0,
            resident: int = RESIDENT) -> int:
    with db.transaction(world.engine) as s:
        return tickets.submit_ticket(s, resident, text, at, label=label, grid_code=G11,
                                     address="幸福里3号楼2单元501", phone="13800000000", confidence=0.9,
                                     settings=world.settings).id


def _pending(world: World, ticket_id: int) -> set[int]:
    with db.transaction(world.engine) as s:
        return set(s.exec(select(Member.telegram_id).join(Offer, Offer.member_id == Member.id).where(
            Offer.ticket_id == ticket_id, Offer.state == OfferState.pending)).all())


def _status(world: World, ticket_id: int) -> str:
    with db.transaction(world.engine) as s:
        return s.get(Ticket, ticket_id).status


# --- offers withdrawn when a member fills up or goes off duty, and made again ---

@SQLITE
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


@SQLITE
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


# --- a coordinator's 指派 and who hears the member's answer ---

def test_grid_coordinator_who_assigned_hears_the_decline_reason(world: World) -> None:
    """decline_offer: 'the coordinator who assigned is told the member's answer (declined with the reason)'. When that
    coordinator is the ticket's own grid coordinator, they get only the generic dispatch_needed, without the member's
    name or reason."""
    tid, _ = _assigned_then_declined(world, GRID_COORD, reason="在外地出差")
    with db.transaction(world.engine) as s:
        told = list(s.exec(select(Notification).where(Notification.ticket_id == tid,
                                                      Notification.recipient_id == GRID_COORD,
                                                      Notification.created_at > T0 + minutes(1))))
    assert any("在外地出差" in str(n.payload) for n in told), [(n.kind, n.payload.get("reason")) for n in told]


def test_a_coordinator_whose_assignment_another_replaced_is_told(world: World) -> None:
    """The grid coordinator 指派'd 王师傅; the street coordinator 改派'd it to 李师傅 before he answered: the grid
    coordinator was never told, his chat still saying it waits for 王师傅 (he would chase a member who has it no
    more). He hears who has it now, from whom; the street coordinator, who did it, is not told."""
    tid, _ = _lamp_assigned(world, GRID_COORD)
    li = world.member("李师傅", ["电工"])
    with db.transaction(world.engine) as s:
        dispatch.assign_ticket(s, tid, COORD, world.member_id(li), T0 + minutes(2), settings=world.settings)
    told = _assignment_answers(world, tid)
    assert [(who, p["member_name"]) for who, p in told if p.get("reassigned_by")] == [(GRID_COORD, "李师傅")], told


def test_a_coordinator_is_told_the_member_he_assigned_went_off_duty(world: World) -> None:
    """The 指派 stays when the member goes off duty (it asks him by name), but the coordinator waiting on his answer was
    not told he left: he hears it, with 改派 under it (a card not answered by the member)."""
    tid, wang = _lamp_assigned(world, GRID_COORD)
    with db.transaction(world.engine) as s:
        dispatch.go_off_duty(s, wang, T0 + minutes(2), settings=world.settings)
    told = _assignment_answers(world, tid)
    assert [(who, p["member_name"]) for who, p in told if p.get("off_duty")] == [(GRID_COORD, "王师傅")], told
    assert wang in _pending(world, tid)  # (the 指派 itself stays)


def test_street_coordinator_who_assigned_hears_the_decline_reason(world: World) -> None:
    """The same with the street coordinator assigning: passes (the contrast)."""
    tid, _ = _assigned_then_declined(world, COORD, reason="在外地出差")
    with db.transaction(world.engine) as s:
        told = list(s.exec(select(Notification).where(Notification.ticket_id == tid,
                                                      Notification.recipient_id == COORD,
                                                      Notification.created_at > T0 + minutes(1))))
    assert any("在外地出差" in str(n.payload) for n in told)


@SQLITE
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


@SQLITE
def test_an_assignment_withdrawn_because_the_member_filled_up_goes_back_to_dispatch(world: World) -> None:
    """The 网格员 指派s a broken socket to 王师傅 (capacity 2, one job in hand); before answering it 王 takes a leak
    offered to him in a wave and is full, so the 指派 is withdrawn and the 网格员 told 「工单回到待派单，请另行指派」. But at
    the next scan the socket, left `offered` with nobody asked, is sent out in waves (to 张师傅, an electrician) instead
    of going back to 待派单 as the 网格员 was told — unlike a declined or an off-duty 指派."""
    wang = world.member("王师傅", ["水暖"], capacity=2)
    first = _submit(world, "厨房水管漏水了", "repair.plumbing", T0)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, first, wang, T0 + minutes(1), settings=world.settings)
    socket = _submit(world, "客厅插座没电了", "repair.electrical", T0 + minutes(2), resident=RESIDENT + 1)
    wang_id = world.member_id(wang)
    with db.transaction(world.engine) as s:
        assert s.get(Ticket, socket).status == "dispatch"  # (no electrician yet)
        dispatch.assign_ticket(s, socket, GRID_COORD, wang_id, T0 + minutes(3),
                               settings=world.settings)
    world.member("张师傅", ["电工"], now=T0 + minutes(4))
    leak = _submit(world, "卫生间下水道堵了", "repair.plumbing", T0 + minutes(5), resident=RESIDENT + 2)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, leak, wang, T0 + minutes(6), settings=world.settings)
    with db.transaction(world.engine) as s:
        dispatch.advance_waves(s, T0 + minutes(7), settings=world.settings)
    with db.transaction(world.engine) as s:  # (at the scan: the card that it waits for 派单 again, and why)
        told = [n.payload for n in s.exec(select(Notification).where(
            Notification.recipient_id == GRID_COORD, Notification.ticket_id == socket,
            Notification.kind.in_([NotificationKind.assignment_answered, NotificationKind.dispatch_needed]),
            Notification.created_at >= T0 + minutes(6)))]
    assert told and all(p.get("decline_reason") or p.get("withdrawn") for p in told), told
    with db.transaction(world.engine) as s:
        status = s.get(Ticket, socket).status
        asked = s.exec(select(Member.display_name).join(Offer, Offer.member_id == Member.id).where(
            Offer.ticket_id == socket, Offer.state == OfferState.pending)).all()
    assert status == "dispatch" and not asked, (
        f"told 「工单回到待派单」, the socket is {status}, offered to {asked}")


@SQLITE
def test_a_coordinator_who_assigned_a_ticket_to_himself_is_not_told_he_declined_it(world: World) -> None:
    """The 网格员, registered as a volunteer too, 指派s a broken socket to himself (「我自己去」, capacity 2, one job
    in hand), then takes a leak offered to him in a wave and is full. His own 指派 is withdrawn and he is sent
    「↩️ 网格员老张 婉拒了您指派的工单 … 原因：手上工单已满」 about himself — `decline_offer` leaves the member out of
    those told, `_withdraw_when_full` tells the assigner whoever he is."""
    from routing import members

    with db.transaction(world.engine) as s:
        code = members.create_invite(s, GRID_COORD, T0, settings=world.settings).code
        me = members.register_member(s, GRID_COORD, code, "网格员老张", ["水暖", "电工"], G11, T0,
                                     settings=world.settings)
        me.capacity = 2
    first = _submit(world, "厨房水管漏水了", "repair.plumbing", T0 + minutes(1))
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, first, GRID_COORD, T0 + minutes(2), settings=world.settings)
    socket = _submit(world, "客厅插座没电了", "repair.electrical", T0 + minutes(3), resident=RESIDENT + 1)
    my_id = world.member_id(GRID_COORD)
    with db.transaction(world.engine) as s:
        dispatch.assign_ticket(s, socket, GRID_COORD, my_id, T0 + minutes(4), settings=world.settings)
    leak = _submit(world, "卫生间下水道堵了", "repair.plumbing", T0 + minutes(5), resident=RESIDENT + 2)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, leak, GRID_COORD, T0 + minutes(6), settings=world.settings)
    with db.transaction(world.engine) as s:
        told = [n.payload.get("member_name") for n in s.exec(select(Notification).where(
            Notification.recipient_id == GRID_COORD, Notification.ticket_id == socket,
            Notification.kind == NotificationKind.assignment_answered))]
    assert not told, f"the 网格员 is told that {told} (himself) declined his own 指派"


# --- a 指派 still waiting when its ticket is escalated ---

@SQLITE
def test_the_assigner_hears_when_an_escalated_assignment_is_withdrawn_because_the_member_filled_up(
        world: World) -> None:
    """The 网格员 指派s a broken socket to 王师傅 (capacity 2, one job in hand); the ticket is then escalated (its
    time ran out) with the 指派 still waiting. 王 takes a leak offered in a wave and is full, so the 指派 is withdrawn.
    Before 84ccf13 the 网格员 was told at once; now only `advance_waves` tells, and only for an `offered` ticket: an
    escalated one falls to 「waves_over」 and nobody ever hears that 王 will not come."""
    wang = world.member("王师傅", ["水暖"], capacity=2)
    first = _submit(world, "厨房水管漏水了", "repair.plumbing", T0)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, first, wang, T0 + minutes(1), settings=world.settings)
    socket = _submit(world, "客厅插座没电了", "repair.electrical", T0 + minutes(2), resident=RESIDENT + 1)
    wang_id = world.member_id(wang)
    with db.transaction(world.engine) as s:
        assert s.get(Ticket, socket).status == "dispatch"
        dispatch.assign_ticket(s, socket, GRID_COORD, wang_id, T0 + minutes(3), settings=world.settings)
    with db.transaction(world.engine) as s:
        dispatch.escalate_ticket(s, socket, T0 + minutes(4), reason="respond_overdue")
    leak = _submit(world, "卫生间下水道堵了", "repair.plumbing", T0 + minutes(5), resident=RESIDENT + 2)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, leak, wang, T0 + minutes(6), settings=world.settings)
    for later in (minutes(7), timedelta(days=2)):  # (the next scan, and one long after the 指派 would have timed out)
        with db.transaction(world.engine) as s:
            dispatch.advance_waves(s, T0 + later, settings=world.settings)
    with db.transaction(world.engine) as s:
        offer = s.exec(select(Offer).where(Offer.ticket_id == socket, Offer.member_id == wang_id)).one()
        assert offer.state == "withdrawn" and offer.reason == "full", (offer.state, offer.reason)
        told = [(n.kind, n.payload.get("reason") or n.payload.get("decline_reason")) for n in s.exec(
            select(Notification).where(Notification.recipient_id == GRID_COORD, Notification.ticket_id == socket,
                                       Notification.created_at >= T0 + minutes(6)))]
    assert told, "the 网格员 is never told that his 指派 to 王师傅 was withdrawn (王 is full)"


@SQLITE
def test_the_coordinators_of_an_escalated_ticket_hear_when_its_assignment_is_declined(world: World) -> None:
    """The 网格员 指派s a broken socket to 王师傅; its time runs out and it is escalated to the street (who get a red
    card while the 指派 still waits). 王 answers 「不方便」. The street coordinator is never told: had 王 filled up or not
    answered, deb6560 sends him a 「需派单」 card naming 王 — declined, the ticket sits with him as if 王 were coming."""
    wang = world.member("王师傅", ["电工"], capacity=1)
    busy = world.member("张师傅", ["电工"], capacity=0)  # (nobody takes it in a wave: it goes to 派单)
    del busy
    with db.transaction(world.engine) as s:
        socket = tickets.submit_ticket(s, RESIDENT, "客厅插座没电了", T0, label="repair.electrical", grid_code=G11,
                                       address="幸福里3号楼2单元501", phone="13800000000", confidence=0.9,
                                       settings=world.settings).id
    with db.transaction(world.engine) as s:  # (the wave to 王 declined: to 派单)
        dispatch.decline_offer(s, socket, wang, T0 + minutes(1), reason="在外地", settings=world.settings)
        assert s.get(Ticket, socket).status == "dispatch", s.get(Ticket, socket).status
    with db.transaction(world.engine) as s:
        dispatch.assign_ticket(s, socket, GRID_COORD, world.member_id(wang), T0 + minutes(3), settings=world.settings)
    with db.transaction(world.engine) as s:
        dispatch.escalate_ticket(s, socket, T0 + minutes(4), reason="respond_overdue")
        assert s.get(Ticket, socket).status == "escalated"
    with db.transaction(world.engine) as s:
        dispatch.decline_offer(s, socket, wang, T0 + minutes(5), reason="腰扭了", settings=world.settings)
    with db.transaction(world.engine) as s:
        dispatch.advance_waves(s, T0 + minutes(6), settings=world.settings)
    with db.transaction(world.engine) as s:
        told = [n.payload for n in s.exec(select(Notification).where(
            Notification.recipient_id == COORD, Notification.ticket_id == socket,
            Notification.kind == NotificationKind.dispatch_needed, Notification.created_at >= T0 + minutes(5)))]
    assert any(p.get("declined_by") == "王师傅" for p in told), told


@SQLITE
def test_the_grid_coordinator_is_told_when_his_assignee_of_an_escalated_ticket_blocked_the_bot(world: World) -> None:
    """The 网格员 assigns a leak to 王师傅 (「等待对方确认」); before 王 answers, the ticket is escalated to the community
    (its yellow card). 王 has blocked the bot: he is set off duty and the 指派 withdrawn, but `_off_duty` only tells
    the assigner for a ticket still `offered` — the 网格员 hears nothing, neither then nor when the assignment's time
    runs out (an escalated ticket with no pending 指派 just ends its waves silently), though had 王 merely not
    answered he would have been told 「未回复」."""
    wang = world.member("王师傅", ["水暖"])
    with db.transaction(world.engine) as s:
        ticket_id = tickets.submit_ticket(s, RESIDENT, "厨房水管漏水了", T0, label="repair.plumbing", grid_code=G11,
                                          address="幸福里3号楼2单元501", phone="13800000000", confidence=0.9,
                                          settings=world.settings).id
    with db.transaction(world.engine) as s:
        dispatch.assign_ticket(s, ticket_id, GRID_COORD, world.member_id(wang), T0 + minutes(2),
                               settings=world.settings)
    with db.transaction(world.engine) as s:
        dispatch.escalate_ticket(s, ticket_id, T0 + minutes(3), reason="yellow")
    with db.transaction(world.engine) as s:
        dispatch.member_unreachable(s, wang, T0 + minutes(4), settings=world.settings)
    with db.transaction(world.engine) as s:
        dispatch.advance_waves(s, T0 + minutes(60), settings=world.settings)
    with db.transaction(world.engine) as s:
        told = s.exec(select(Notification).where(
            Notification.ticket_id == ticket_id, Notification.recipient_id == GRID_COORD,
            Notification.kind == NotificationKind.assignment_answered)).all()
    assert told, "the 网格员 who assigned 王师傅 is never told the assignment cannot reach him"


def _lamp_assigned(world: World, coordinator: int) -> tuple[int, int]:
    """A stairwell lamp's ticket assigned by `coordinator` to 王师傅 a minute after it was filed: (ticket id, his id)."""
    with db.transaction(world.engine) as s:
        tid = tickets.submit_ticket(s, RESIDENT, "楼道灯坏了好几天了", T0, label="property.public_lighting",
                                    grid_code=G11, address="幸福里3号楼", settings=world.settings).id
    member = world.member("王师傅", ["电工"])
    with db.transaction(world.engine) as s:
        dispatch.assign_ticket(s, tid, coordinator, world.member_id(member), T0 + minutes(1), settings=world.settings)
    return tid, member


def _assignment_answers(world: World, tid: int) -> list[tuple[int, dict]]:
    """Who was told of the ticket's assignments (assignment_answered), and what."""
    with db.transaction(world.engine) as s:
        return [(n.recipient_id, n.payload) for n in s.exec(select(Notification).where(
            Notification.ticket_id == tid, Notification.kind == NotificationKind.assignment_answered))]


def _assigned_then_declined(world: World, coordinator: int, reason: str | None = None) -> tuple[int, int]:
    """A ticket assigned by `coordinator` to 王师傅, who declines it (不方便, with `reason`) two minutes later: (ticket id,
    his id)."""
    tid, member = _lamp_assigned(world, coordinator)
    with db.transaction(world.engine) as s:
        dispatch.decline_offer(s, tid, member, T0 + minutes(2), reason=reason, settings=world.settings)
    return tid, member


def _declined_offer(world: World, tid: int, member: int) -> int:
    with db.transaction(world.engine) as s:
        return s.exec(select(Offer.id).where(Offer.ticket_id == tid, Offer.member_id == world.member_id(member),
                                             Offer.state == OfferState.declined)).one()


def test_why_told_after_declining_an_assignment_reaches_who_assigned_it(world: World) -> None:
    """不方便 on a street coordinator's 指派, then 「在外地出差」 and 「下周回来」 typed: the reason is kept on the offer, and
    the coordinator who assigned it (and the grid's, whose 派单 card the ticket is back on) hear each part."""
    tid, member = _assigned_then_declined(world, COORD)
    offer_id = _declined_offer(world, tid, member)
    with db.transaction(world.engine) as s:
        assert dispatch.add_decline_reason(s, offer_id, member, "在外地出差", T0 + minutes(5))
    with db.transaction(world.engine) as s:
        assert dispatch.add_decline_reason(s, offer_id, member, "下周回来", T0 + minutes(6))
    with db.transaction(world.engine) as s:
        told = list(s.exec(select(Notification).where(Notification.kind == NotificationKind.decline_reason)))
        assert s.get(Offer, offer_id).reason == "在外地出差；下周回来"
    assert sorted(n.recipient_id for n in told) == sorted([COORD, GRID_COORD, COORD, GRID_COORD])
    assert sorted(n.payload["reason"] for n in told) == ["下周回来", "下周回来", "在外地出差", "在外地出差"]
    assert all(n.ticket_id == tid for n in told)


def test_why_a_wave_offer_was_declined_is_kept_and_told_to_nobody(world: World) -> None:
    """A wave's offer declined: the next members were asked at once; the reason is kept, no coordinator is bothered.
    (When the 不方便 left the ticket to 派单, the coordinators choosing next are told: bot tests.)"""
    member = world.member("王师傅", ["电工"])
    world.member("李师傅", ["电工"])  # (asked next: the ticket does not wait for a coordinator)
    with db.transaction(world.engine) as s:
        tid = tickets.submit_ticket(s, RESIDENT, "楼道灯坏了好几天了", T0, label="property.public_lighting",
                                    grid_code=G11, address="幸福里3号楼", settings=world.settings).id
    with db.transaction(world.engine) as s:
        dispatch.decline_offer(s, tid, member, T0 + minutes(1), settings=world.settings)
    offer_id = _declined_offer(world, tid, member)
    with db.transaction(world.engine) as s:
        assert not dispatch.add_decline_reason(s, offer_id, member, "在开会", T0 + minutes(2))
    with db.transaction(world.engine) as s:
        assert s.get(Offer, offer_id).reason == "在开会"
        assert not s.exec(select(Notification).where(Notification.kind == NotificationKind.decline_reason)).all()
