"""A second reading of the thirty-second session's routing changes (each test failed on them): nothing is added to a
cancelled or forgotten ticket; /overdue lists a red ticket whose class left the taxonomy; the grid coordinator who
assigned hears who declined and why; a compound (3号院) is not a building (3号楼)."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlmodel import select

from routing import alerts, db, dispatch, duplicates, privacy, tickets
from routing.errors import DomainError
from routing.models import Notification, NotificationKind, Ticket
from routing.models import TicketStatus as S
from tests.conftest import COORD, G11, GRID_COORD, RESIDENT, T0, World, minutes


def _urgent(world: World) -> int:
    with db.transaction(world.engine) as s:
        return tickets.submit_ticket(s, RESIDENT, "厨房一股煤气味", T0, label="safety.gas_leak", grid_code=G11,
                                     urgent=True, settings=world.settings).id


def _contact_notes(world: World, tid: int) -> list[int]:
    with db.transaction(world.engine) as s:
        return list(s.exec(select(Notification.recipient_id).where(
            Notification.ticket_id == tid, Notification.kind == NotificationKind.contact_added)))


# 1. add_contact accepts additions to a cancelled ticket ------------------------------------------

def test_add_contact_is_refused_on_a_cancelled_ticket(world: World) -> None:
    """A cancelled ticket takes no more words, address or phone, and the coordinators are not told of one."""
    tid = _urgent(world)
    with db.transaction(world.engine) as s:
        tickets.cancel_ticket(s, tid, RESIDENT, T0 + minutes(1))
    try:
        with db.transaction(world.engine) as s:
            tickets.add_contact(s, tid, RESIDENT, T0 + minutes(2), address="幸福里3号楼502",
                                phone="13812345678")
    except DomainError:
        pass
    with db.transaction(world.engine) as s:
        t = s.get(Ticket, tid)
        assert t.status == S.cancelled
        assert (t.address, t.phone) == ("", None), (t.address, t.phone)
    assert _contact_notes(world, tid) == [], "coordinators told of a contact added to a cancelled ticket"


def test_add_contact_after_forget_brings_no_personal_data_back(world: World) -> None:
    """/forget erases a resident's words, address and phone; an add_contact for that (now cancelled) ticket must not
    write them into it again."""
    tid = _urgent(world)
    with db.transaction(world.engine) as s:
        privacy.forget_resident(s, RESIDENT, T0 + minutes(1))
    try:
        with db.transaction(world.engine) as s:
            tickets.add_contact(s, tid, RESIDENT, T0 + minutes(2), address="幸福里3号楼502",
                                phone="13812345678", supplement="我叫张三")
    except DomainError:
        pass
    with db.transaction(world.engine) as s:
        t = s.get(Ticket, tid)
        assert (t.text, t.address, t.phone) == (privacy.FORGOTTEN_TEXT, "", None), (t.text, t.address, t.phone)


# 2. /overdue drops tickets of a time class no longer in the taxonomy ------------------------------

def test_overdue_lists_a_red_ticket_of_a_time_class_no_longer_in_the_taxonomy(world: World) -> None:
    """The scan gives a class no longer in the taxonomy the widest window (yellow_windows, running_classes); /overdue
    listed such a ticket before (widest window for all) and must still list it when it is past its limit."""
    with db.transaction(world.engine) as s:
        tid = tickets.submit_ticket(s, RESIDENT, "厨房水管漏水了", T0, label="repair.plumbing", grid_code=G11,
                                    address="幸福里3号楼", phone="13800000000", settings=world.settings).id
        s.exec(update(Ticket).where(Ticket.id == tid).values(time_class="legacy_class"))
    late = T0 + minutes(3 * 24 * 60)  # days past every limit
    with db.transaction(world.engine) as s:
        assert alerts.breach_of(s.get(Ticket, tid), late).level == "red"
        listed = [p["ticket_id"] for p in alerts.overdue_tickets(s, GRID_COORD, late, settings=world.settings)[0]]
    assert listed == [tid], "a red ticket is missing from /overdue"


# 3. The grid coordinator who assigned never hears the member's answer to a decline ----------------

def test_grid_coordinator_who_assigned_hears_the_decline_reason(world: World) -> None:
    """decline_offer: 'the coordinator who assigned is told the member's answer (declined with the reason)'. When that
    coordinator is the ticket's own grid coordinator, they get only the generic dispatch_needed, without the member's
    name or reason."""
    with db.transaction(world.engine) as s:
        tid = tickets.submit_ticket(s, RESIDENT, "楼道灯坏了好几天了", T0, label="property.public_lighting",
                                    grid_code=G11, address="幸福里3号楼", settings=world.settings).id
    member = world.member("王师傅", ["电工"])
    with db.transaction(world.engine) as s:
        dispatch.assign_ticket(s, tid, GRID_COORD, world.member_id(member), T0 + minutes(1), settings=world.settings)
    with db.transaction(world.engine) as s:
        dispatch.decline_offer(s, tid, member, T0 + minutes(2), reason="在外地出差", settings=world.settings)
    with db.transaction(world.engine) as s:
        told = list(s.exec(select(Notification).where(Notification.ticket_id == tid,
                                                      Notification.recipient_id == GRID_COORD,
                                                      Notification.created_at > T0 + minutes(1))))
    assert any("在外地出差" in str(n.payload) for n in told), [(n.kind, n.payload.get("reason")) for n in told]


def test_street_coordinator_who_assigned_hears_the_decline_reason(world: World) -> None:
    """The same with the street coordinator assigning: passes (the contrast)."""
    with db.transaction(world.engine) as s:
        tid = tickets.submit_ticket(s, RESIDENT, "楼道灯坏了好几天了", T0, label="property.public_lighting",
                                    grid_code=G11, address="幸福里3号楼", settings=world.settings).id
    member = world.member("王师傅", ["电工"])
    with db.transaction(world.engine) as s:
        dispatch.assign_ticket(s, tid, COORD, world.member_id(member), T0 + minutes(1), settings=world.settings)
    with db.transaction(world.engine) as s:
        dispatch.decline_offer(s, tid, member, T0 + minutes(2), reason="在外地出差", settings=world.settings)
    with db.transaction(world.engine) as s:
        told = list(s.exec(select(Notification).where(Notification.ticket_id == tid,
                                                      Notification.recipient_id == COORD,
                                                      Notification.created_at > T0 + minutes(1))))
    assert any("在外地出差" in str(n.payload) for n in told)


# 4. duplicates: a courtyard (号院) number is taken for a building number ---------------------------

@pytest.mark.parametrize(("a", "b"), [
    ("3号院2号楼的电梯坏了", "2号院3号楼的电梯坏了"),  # two compounds, two lifts
    ("3号院的路灯坏了", "3号楼的路灯坏了"),  # compound No. 3 is not building No. 3
])
def test_a_courtyard_number_is_not_a_building_number(a: str, b: str) -> None:
    """Before today 3号院 and 3号楼 were two places (the rule compared '3号院' with '3号楼'); _PLACES now keeps only the
    number, so 3号院2号楼 and 2号院3号楼 'share' buildings 2 and 3."""
    assert not duplicates.same_request(a, b)
