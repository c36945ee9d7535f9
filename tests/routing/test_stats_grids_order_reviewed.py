"""Review of 25cbf8f: a street's grids in /stats, "the most overdue first" (`reports.scope_figures`).

Found by a second review of the thirty-sixth session's fixes (each test failed before)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from routing import db, reports, tickets
from tests.conftest import G11, G21, RESIDENT, STREET, T0, World, minutes

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def test_the_grid_with_overdue_tickets_comes_first_in_a_streets_stats(world: World) -> None:
    """The street coordinator sends /stats. 幸福里第一网格 had three leaks today, all within their limits; 和平路第一网格
    had one, two days ago, nobody took it and it is long past its limit (超期率 100%). The fix lists the grids "the most
    overdue first" (and cuts the list at 20), but sorts on an `overdue` key the figures do not have (they carry
    `overdue_rate`): the grids come busiest first, and on a big street the late grid is the one cut off."""
    now = T0 + timedelta(days=2)
    with db.transaction(world.engine) as s:
        tickets.submit_ticket(s, RESIDENT, "厨房水管漏水了", T0, label="repair.plumbing", grid_code=G21,
                              address="和平路5号2单元301", phone="13800000000", confidence=0.9,
                              settings=world.settings)
    for i in range(3):
        with db.transaction(world.engine) as s:
            tickets.submit_ticket(s, RESIDENT + 1 + i, "卫生间下水道堵了", now - minutes(5 - i),
                                  label="repair.plumbing", grid_code=G11, address="幸福里3号楼2单元501",
                                  phone="13800000000", confidence=0.9, settings=world.settings)
    with db.transaction(world.engine) as s:
        figures = reports.scope_figures(s, STREET, T0 - timedelta(days=1), now, now)
    order = [(name, g["total"], g["overdue_rate"]) for name, g in figures["grids"]]
    assert order[0][0].endswith("和平路第一网格"), order
