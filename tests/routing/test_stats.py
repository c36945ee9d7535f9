"""A cancelled ticket in the statistics, found by a review (the test failed before): cancelling never erases a breach. Each test's docstring tells the bug as it was found."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from routing import alerts, db, members, privacy, stats, tickets
from routing.models import Alert
from tests.conftest import G11, RESIDENT, STREET, T0, World, minutes


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

