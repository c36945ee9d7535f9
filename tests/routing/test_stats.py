"""The four rates (routing/stats.py: response, resolution, satisfaction, overdue), by scope, category and child; a
ticket cancelled by /forget or reopened by a low rating in them."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from routing import alerts, db, dispatch, members, privacy, stats, tickets
from routing.models import Alert, Ticket
from routing.models import TicketStatus as S
from tests.conftest import C1, C2, G11, G21, RESIDENT, STREET, T0, World, minutes
from tests.routing.helpers import done_ticket, resolved_then_reopened


def test_stats(world: World, backend: str) -> None:
    fast = world.member("快", ["水暖"], G11)
    slow = world.member("慢", ["水暖"], G21)
    # t1: in time, 5 stars.
    t1 = done_ticket(world, fast, "repair.plumbing", T0, minutes_to_resolve=60, stars=5)
    # t2: accepted after the 1 h limit, resolved after 24 h, 3 stars.
    with db.transaction(world.engine) as s:
        t2 = tickets.submit_ticket(s, RESIDENT, "漏水", T0, label="repair.plumbing",
                                   grid_code=G21).id
    with db.transaction(world.engine) as s:
        dispatch.decline_offer(s, t2, fast, T0 + minutes(1))
        dispatch.accept_offer(s, t2, slow, T0 + minutes(90))
        tickets.resolve_ticket(s, t2, slow, T0 + timedelta(hours=30))
        tickets.rate_ticket(s, t2, RESIDENT, 3, T0 + timedelta(hours=31))
    # t3: 其他, nobody took it, past its response limit by `now`.
    with db.transaction(world.engine) as s:
        t3 = tickets.submit_ticket(s, RESIDENT, "说不清", T0, label=None, grid_code=G11).id
    # t4: cancelled: left out.
    with db.transaction(world.engine) as s:
        t4 = tickets.submit_ticket(s, RESIDENT, "算了", T0, label=None, grid_code=G11).id
        tickets.cancel_ticket(s, t4, RESIDENT, T0 + minutes(1))
    # t5: accepted and resolved in time but got a red card anyway (as issue #5 records them).
    t5 = done_ticket(world, fast, "repair.plumbing", T0, minutes_to_resolve=30, stars=None)
    with db.transaction(world.engine) as s:
        s.add(Alert(ticket_id=t5, limit_kind="respond", level="red", created_at=T0))

    now = T0 + timedelta(days=2)
    start, end = T0 - timedelta(days=1), T0 + timedelta(days=1)
    with db.transaction(world.engine) as s:
        whole = stats.compute_stats(s, STREET, start, end, now)
        assert (whole.total, whole.cancelled) == (4, 1)
        assert (whole.responded_on_time, whole.response_due) == (2, 4)
        assert (whole.resolved_on_time, whole.resolution_due) == (2, 3)  # t3 due in 72 h
        assert (whole.satisfied, whole.rated) == (1, 2)
        assert whole.overdue == 3  # t2 late, t3 never answered, t5 red card
        assert whole.as_dict()["response_rate"] == 0.5
        assert whole.overdue_rate == 0.75 and whole.satisfaction_rate == 0.5

        # A ticket neither answered nor past its limit does not count yet (t3 before 4 h).
        early = stats.compute_stats(s, STREET, start, end, T0 + minutes(0.5))
        assert (early.responded_on_time, early.response_due, early.overdue) == (2, 3, 2)

        c1 = stats.compute_stats(s, C1, start, end, now)
        assert c1.total == 3
        repair = stats.compute_stats(s, STREET, start, end, now, category="repair")
        assert repair.total == 3
        other = stats.compute_stats(s, STREET, start, end, now, category="other")
        assert (other.total, other.cancelled, other.overdue) == (1, 1, 1)

        by_cat = {x.key: x for x in stats.stats_by(s, STREET, start, end, now, by="category")}
        assert set(by_cat) == {"other", "repair"} and by_cat["repair"].satisfied == 1
        by_child = {x.key: x.total for x in stats.stats_by(s, STREET, start, end, now, by="child")}
        assert by_child == {C1: 3, C2: 1}
        by_grid = {x.key: x.total for x in stats.stats_by(s, C1, start, end, now, by="child")}
        assert by_grid == {G11: 3}
        # A later period is empty, and its rates are None, not errors.
        empty = stats.compute_stats(s, STREET, end, end + timedelta(days=7), now)
        assert empty.total == 0 and empty.response_rate is None
    assert t1 and t3


# --- a ticket cancelled by /forget ---

def _plumbing(world: World, resident: int = RESIDENT, now=T0) -> int:
    """A plumbing ticket (fast class: response limit 1 h, resolution 24 h) in G11."""
    with db.transaction(world.engine) as s:
        members.ensure_person(s, resident, now, name="王阿姨")
        members.set_home_grid(s, resident, G11, now)
        return tickets.submit_ticket(s, resident, "厨房水管漏水", now, label="repair.plumbing",
                                     grid_code=G11, address="幸福里3号楼502",
                                     settings=world.settings).id


def test_forgetting_a_resident_with_an_overdue_ticket_keeps_the_breach_in_the_rates(world: World) -> None:
    """README (/forget): "Category, grid, stars and times stay, so the four rates do not change".
    A resident's ticket nobody answered for 2 h got a red card (超期率 100 %, 响应率 0 %); the resident
    then uses /forget: /forget cancels the open ticket and the statistics leave cancelled tickets out, so
    the street's 超期率 and 响应率 become "—" (no tickets) — the breach vanished from the public figures."""
    tid = _plumbing(world)
    later = T0 + timedelta(hours=2)
    with db.transaction(world.engine) as s:
        alerts.scan_alerts(s, later, settings=world.settings)
        assert s.exec(select(Alert).where(Alert.ticket_id == tid, Alert.level == "red")).first()
        before = stats.compute_stats(s, STREET, T0 - timedelta(days=1), later, later)
    assert (before.total, before.overdue_rate, before.response_rate) == (1, 1.0, 0.0)

    with db.transaction(world.engine) as s:
        privacy.forget_resident(s, RESIDENT, later + minutes(1))
    with db.transaction(world.engine) as s:
        after = stats.compute_stats(s, STREET, T0 - timedelta(days=1), later, later + minutes(2))
    assert (after.total, after.overdue_rate, after.response_rate) == (1, 1.0, 0.0), (
        f"after /forget: 工单 {after.total} 件, 超期率 {after.overdue_rate}, 响应率 {after.response_rate}")


# --- a ticket reopened by a low rating ---

def test_stats_do_not_count_a_reopened_unfixed_ticket_as_resolved_on_time(world: World) -> None:
    """解决率 is the share of tickets resolved within the resolution limit: a ticket the resident reopened (1 star: not
    fixed) and nobody fixed by two hours past its limit is neither resolved nor on time (解决率 0 %, 超期率 100 %)."""
    tid = resolved_then_reopened(world)
    later = T0 + minutes(26 * 60)
    with db.transaction(world.engine) as s:
        assert s.get(Ticket, tid).status == S.reopened
        figures = stats.compute_stats(s, G11, T0, T0 + minutes(1), later)
    assert figures.total == 1
    assert (figures.resolution_rate, figures.overdue_rate) == (0.0, 1.0), \
        f"解决率={figures.resolution_rate} 超期率={figures.overdue_rate}"
