"""Tickets in a known state, for the routing tests of several modules (the world is in tests/conftest.py)."""

from __future__ import annotations

from datetime import datetime

from routing import db, dispatch, tickets
from tests.conftest import G11, RESIDENT, T0, World, minutes


def plumbing_ticket(world: World, now: datetime = T0) -> int:
    """A plumbing ticket in G11 (fast class: response limit 1 h, resolution 24 h), with an address and a phone."""
    with db.transaction(world.engine) as s:
        return tickets.submit_ticket(s, RESIDENT, "厨房水管漏水了", now, label="repair.plumbing",
                                     grid_code=G11, address="幸福里3号楼", phone="13800000000",
                                     settings=world.settings).id


def resolved_plumbing(world: World, member: int, at: datetime = T0) -> int:
    """A plumbing ticket (fast class) submitted at `at`, accepted by `member` and resolved within the hour: on time."""
    with db.transaction(world.engine) as s:
        tid = tickets.submit_ticket(s, RESIDENT, "厨房水管漏水了", at, label="repair.plumbing", grid_code=G11,
                                    address="幸福里3号楼", settings=world.settings).id
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, member, at + minutes(5), settings=world.settings)
    with db.transaction(world.engine) as s:
        tickets.resolve_ticket(s, tid, member, at + minutes(40), note="修好了")
    return tid


def resolved_then_reopened(world: World) -> int:
    """A plumbing ticket (resolution limit 24 h) resolved on time, then rated 1 star: reopened."""
    plumber = world.member("王师傅", ["水暖"], G11)
    tid = plumbing_ticket(world)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, plumber, T0 + minutes(5), settings=world.settings)
    with db.transaction(world.engine) as s:
        tickets.resolve_ticket(s, tid, plumber, T0 + minutes(30), note="修好了")
    with db.transaction(world.engine) as s:
        tickets.rate_ticket(s, tid, RESIDENT, 1, T0 + minutes(40))
    return tid


def done_ticket(world: World, member: int, label: str, now: datetime, *, minutes_to_resolve: float,
                stars: int | None, grid: str = G11) -> int:
    """A ticket `member` accepted a minute after `now` and resolved `minutes_to_resolve` after it, rated `stars`."""
    with db.transaction(world.engine) as s:
        tid = tickets.submit_ticket(s, RESIDENT, "需要帮助", now, label=label, grid_code=grid,
                                    settings=world.settings).id
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, member, now + minutes(1))
        tickets.resolve_ticket(s, tid, member, now + minutes(minutes_to_resolve))
        if stars is not None:
            tickets.rate_ticket(s, tid, RESIDENT, stars, now + minutes(minutes_to_resolve + 5))
    return tid


def urgent_gas_leak(world: World) -> int:
    """An urgent ticket (a smell of gas) in G11, without an address or a phone yet."""
    with db.transaction(world.engine) as s:
        return tickets.submit_ticket(s, RESIDENT, "厨房一股煤气味", T0, label="safety.gas_leak", grid_code=G11,
                                     urgent=True, settings=world.settings).id
