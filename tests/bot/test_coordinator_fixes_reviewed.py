"""Review mc3: holes in today's coordinator-side fixes (55614f5). Each test fails on the current code; its docstring
says how.
Found by a review of the thirty-fifth session's own member and coordinator fixes (each test failed before)."""

from __future__ import annotations

import pytest

from bot.handlers.coordinator import _assign, _candidates
from routing import db, members, tickets
from routing.models import Ticket
from tests.conftest import G11, GRID_COORD, RESIDENT, T0, World, minutes


@pytest.mark.parametrize("added", ["address", "photo"])
def test_the_resident_adding_where_to_an_urgent_ticket_does_not_make_the_coordinators_tap_refused(
    world: World, added: str
) -> None:
    """A resident types 「厨房一股煤气味」: the urgent ticket opens at once (before its address) and the 网格员 is alerted.
    He presses 指派 and gets the member list. A few seconds later the resident, at the address step, types
    「幸福里3号楼」 (or sends a photo) — the ticket's data grows, nobody took it. The 网格员 taps 王师傅. He should get
    「已把工单…指派给 王师傅，等待对方确认」. Instead his tap is refused with 「工单 #… 刚有变化。需要改派的话，请重新点
    「指派」」: the list's buttons carry the ticket's version, and every update_ticket (contact_added, resolution photos,
    escalation…) bumps it, not only a change of who holds the ticket. On an urgent gas leak the coordinator loses the
    seconds of a second round, and is told something about 改派 that makes no sense (nobody has it).
    (routing/dispatch.py assign_ticket: `ticket.version != seen_version` for any change.)"""
    with db.transaction(world.engine) as s:
        tid = tickets.submit_ticket(s, RESIDENT, "厨房一股煤气味", T0, label="safety.gas_leak", grid_code=G11,
                                    urgent=True, settings=world.settings).id
    tid_member = world.member("王师傅", ["燃气"], G11)
    with db.transaction(world.engine) as s:
        member_id = members.get_member(s, tid_member).id
        _, held_by, _, holder = _candidates(s, tid, GRID_COORD, T0 + minutes(1))
    assert held_by is None
    with db.transaction(world.engine) as s:
        if added == "address":
            tickets.add_contact(s, tid, RESIDENT, T0 + minutes(1), address="幸福里3号楼", settings=world.settings)
        else:
            tickets.add_contact(s, tid, RESIDENT, T0 + minutes(1), attachments=["kitchen-photo"],
                                settings=world.settings)
    with db.transaction(world.engine) as s:
        _, name = _assign(s, tid, GRID_COORD, member_id, T0 + minutes(1), holder)
    assert name == "王师傅"
    with db.transaction(world.engine) as s:
        assert s.get(Ticket, tid).assignee_id is None


def test_dispatch_lists_a_ticket_about_to_go_red_before_a_reopened_one_whose_limit_is_a_day_away(world: World) -> None:
    """The 网格员's /dispatch shows the first 50 waiting tickets, 「by the limit that falls due first」 (today's fix). A
    plumbing ticket was fixed and then rated 1 star (reopened): its card says 「办结时限：<tomorrow>」 — its response was
    given long ago, the limit still running is the resolution's, 23 hours away. Another ticket, nobody asked to take it,
    is 10 minutes from its response limit (响应时限). He should see the one about to go red first; instead the reopened
    one comes first, because list_waiting orders every ticket by respond_due_at, a limit that no longer runs for a
    ticket already responded to (handed back or reopened) — fifty such tickets push the one about to go red off the list.
    (routing/dispatch.py list_waiting: `due = Ticket.respond_due_at` whatever the ticket's running limit;
    bot/texts.py _time_limit shows the resolution's for these.)"""
    from routing import dispatch

    settings = world.settings
    plumber = world.member("王师傅", ["水暖"], G11)
    with db.transaction(world.engine) as s:
        reopened = tickets.submit_ticket(s, RESIDENT, "厨房水管漏水了", T0, label="repair.plumbing", grid_code=G11,
                                         address="幸福里3号楼", phone="13800000000", settings=settings).id
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, reopened, plumber, T0 + minutes(5), settings=settings)
    with db.transaction(world.engine) as s:
        tickets.resolve_ticket(s, reopened, plumber, T0 + minutes(30), note="修好了")
    with db.transaction(world.engine) as s:
        tickets.rate_ticket(s, reopened, RESIDENT, 1, T0 + minutes(40))
    with db.transaction(world.engine) as s:
        fresh = tickets.submit_ticket(s, 200, "有件事想请社区帮忙看看", T0 + minutes(60), label=None, grid_code=G11,
                                      address="幸福里5号楼", settings=settings).id
    with db.transaction(world.engine) as s:
        a, b = s.get(Ticket, reopened), s.get(Ticket, fresh)
        assert a.status == "reopened" and b.status == "dispatch"
        running_a = a.resolve_due_at  # (responded: the resolution's limit runs)
        running_b = b.respond_due_at
        assert running_b < running_a, (running_a, running_b)
        listed = [t.id for t in dispatch.list_waiting(s, GRID_COORD)]
    assert listed.index(fresh) < listed.index(reopened), (listed, running_a, running_b)
