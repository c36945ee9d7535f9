"""A ticket reopened by a low rating is not resolved: its limit runs again (red card, /overdue), the digest
counts it as overdue, the statistics as unresolved, and the quarter's stars do not count its round as on time."""

from __future__ import annotations

from sqlmodel import select

from routing import alerts, db, dispatch, members, tickets
from routing.models import Alert, Ticket
from routing.models import TicketStatus as S
from tests.conftest import G11, GRID_COORD, RESIDENT, T0, World, minutes


def _submit(world: World, now=T0) -> int:
    with db.transaction(world.engine) as s:
        return tickets.submit_ticket(s, RESIDENT, "厨房水管漏水了", now, label="repair.plumbing",
                                     grid_code=G11, address="幸福里3号楼", phone="13800000000",
                                     settings=world.settings).id


def test_reopened_ticket_taken_again_still_gets_its_resolution_red_card(world: World) -> None:
    """A ticket resolved, rated 1 star (reopened), re-assigned and accepted by another member who
    then sits on it past the resolution limit: the resolution limit must still be watched."""
    settings = world.settings
    first = world.member("王师傅", ["水暖"], G11)
    second = world.member("赵师傅", ["水暖"], G11)
    tid = _submit(world)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, first, T0 + minutes(5), settings=settings)
    with db.transaction(world.engine) as s:
        tickets.resolve_ticket(s, tid, first, T0 + minutes(30), note="修好了")
    with db.transaction(world.engine) as s:
        tickets.rate_ticket(s, tid, RESIDENT, 1, T0 + minutes(40))  # not fixed: reopened
    with db.transaction(world.engine) as s:
        second_id = members.get_member(s, second).id
        dispatch.assign_ticket(s, tid, GRID_COORD, second_id, T0 + minutes(45), settings=settings)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, second, T0 + minutes(50), settings=settings)
    with db.transaction(world.engine) as s:
        t = s.get(Ticket, tid)
        assert t.status == S.accepted and t.resolve_due_at == T0 + minutes(24 * 60)

    # A day and more later the second member still has not resolved it.
    late = T0 + minutes(24 * 60 + 5)
    with db.transaction(world.engine) as s:
        alerts.scan_alerts(s, late, settings=settings)  # a sweep
    with db.transaction(world.engine) as s:
        reds = list(s.exec(select(Alert).where(Alert.ticket_id == tid, Alert.level == "red")))
        overdue, _ = alerts.overdue_tickets(s, GRID_COORD, late, settings=settings)
    assert [p["ticket_id"] for p in overdue] == [tid], "/overdue does not list it"
    assert reds, "no red card for a reopened ticket left unresolved past its resolution limit"


def _resolved_then_reopened(world: World) -> int:
    """A plumbing ticket (resolution limit 24 h) resolved on time, then rated 1 star: reopened."""
    plumber = world.member("王师傅", ["水暖"], G11)
    tid = _submit(world)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, plumber, T0 + minutes(5), settings=world.settings)
    with db.transaction(world.engine) as s:
        tickets.resolve_ticket(s, tid, plumber, T0 + minutes(30), note="修好了")
    with db.transaction(world.engine) as s:
        tickets.rate_ticket(s, tid, RESIDENT, 1, T0 + minutes(40))
    return tid


def test_daily_digest_counts_a_reopened_ticket_past_its_limit_as_overdue(world: World) -> None:
    """The digest's `overdue` is "open now and past a response or resolution limit": a reopened ticket nobody has
    fixed a day later is both, and counted."""
    from routing import reports

    tid = _resolved_then_reopened(world)
    later = T0 + minutes(26 * 60)  # two hours past the 24 h resolution limit
    with db.transaction(world.engine) as s:
        assert s.get(Ticket, tid).status == S.reopened
        digest = reports.daily_digest(s, G11, later)
    assert digest.open == 1
    assert digest.overdue == 1, f"digest says overdue={digest.overdue} for an open ticket 2 h past its limit"


def test_quarter_stars_do_not_count_a_reopened_resolution_as_on_time(world: World) -> None:
    """A member's quarter: ticket 1 resolved on time but rated 1 star (reopened: its points taken back, it no
    longer counts as resolved), ticket 2 resolved late: their record is 1 resolved, 0 on time, no punctuality star."""
    from datetime import timedelta

    from routing import points

    settings = world.settings
    plumber = world.member("王师傅", ["水暖"], G11)
    t1 = _submit(world)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, t1, plumber, T0 + minutes(5), settings=settings)
    with db.transaction(world.engine) as s:
        tickets.resolve_ticket(s, t1, plumber, T0 + minutes(30))  # on time
    with db.transaction(world.engine) as s:
        tickets.rate_ticket(s, t1, RESIDENT, 1, T0 + minutes(40))  # reopened
    t2 = _submit(world, now=T0 + minutes(60))
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, t2, plumber, T0 + minutes(65), settings=settings)
    with db.transaction(world.engine) as s:
        tickets.resolve_ticket(s, t2, plumber, T0 + minutes(60 + 30 * 60))  # 30 h: late
    with db.transaction(world.engine) as s:
        mid = members.get_member(s, plumber).id
        rows = points.compute_quarter_stars(s, "2025Q1", T0 + timedelta(days=10),
                                            settings=settings)
        (row,) = [r for r in rows if r.member_id == mid]
        record = (row.resolved, row.on_time, row.stars)
    assert record == (1, 0, 2), f"(resolved, on_time, stars) = {record}"


def test_stats_do_not_count_a_reopened_unfixed_ticket_as_resolved_on_time(world: World) -> None:
    """解决率 is the share of tickets resolved within the resolution limit: a ticket the resident reopened (1 star: not
    fixed) and nobody fixed by two hours past its limit is neither resolved nor on time (解决率 0 %, 超期率 100 %)."""
    from routing import stats

    tid = _resolved_then_reopened(world)
    later = T0 + minutes(26 * 60)
    with db.transaction(world.engine) as s:
        assert s.get(Ticket, tid).status == S.reopened
        figures = stats.compute_stats(s, G11, T0, T0 + minutes(1), later)
    assert figures.total == 1
    assert (figures.resolution_rate, figures.overdue_rate) == (0.0, 1.0), \
        f"解决率={figures.resolution_rate} 超期率={figures.overdue_rate}"
