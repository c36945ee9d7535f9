"""Review of the /stats fix (4f23440): a street's grids, listed by name alone.

Found by a review of the thirty-sixth session's fixes (each test failed before)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot import texts
from routing import db, members, reports, tickets
from routing.models import GeoNode
from tests.conftest import G11, G21, RESIDENT, STREET, World


def test_a_streets_grids_with_the_same_name_in_two_communities_can_be_told_apart(world: World) -> None:
    """A real street names its grids per community: 幸福里社区 and 和平路社区 each have a 「第一网格」 (geography.toml
    allows it: only codes must be unique). The street coordinator sends /stats to see which grid is late and reads two
    lines 「· 第一网格：1 件 …」 under 网格 — which community each belongs to is not said, so the new block cannot
    tell them which grid is late, its very purpose."""
    with db.transaction(world.engine) as s:
        for code in (G11, G21):
            s.exec(select(GeoNode).where(GeoNode.code == code)).one().name = "第一网格"
    now = datetime.now(UTC) - timedelta(minutes=10)
    for i, grid in enumerate((G11, G21)):
        with db.transaction(world.engine) as s:
            members.ensure_person(s, RESIDENT + i, now, name="居民")
            tickets.submit_ticket(s, RESIDENT + i, "厨房水管漏水了", now, label="repair.plumbing", grid_code=grid,
                                  address="3号楼502", settings=world.settings)
    with db.transaction(world.engine) as s:
        start, _end = reports.stats_period("30d", now, world.settings.tz)
        section = reports.scope_figures(s, STREET, start, now + timedelta(minutes=10), now + timedelta(minutes=10))
    shown = texts.stats([section], "近 30 天")
    grid_lines = shown.split("<b>网格</b>")[1].split("<b>分类</b>")[0].strip().splitlines()[1:]
    names = [line.split("：")[0] for line in grid_lines]
    assert len(set(names)) == len(names) == 2, shown
