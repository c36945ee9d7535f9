"""Review of the alerts fixes (4f23440): what a red card says about where the ticket went.

Found by a review of the thirty-sixth session's fixes (each test failed before)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.delivery import render
from routing import db
from routing.models import Notification, NotificationKind
from tests.conftest import COORD, T0, World, minutes
from tests.routing.test_alerts import FAST_RESPOND, scan, submit

TZ = ZoneInfo("Asia/Shanghai")


def _cards_to(world: World, ticket_id: int, person: int) -> list[str]:
    with db.transaction(world.engine) as s:
        notes = list(s.exec(select(Notification).where(
            Notification.ticket_id == ticket_id, Notification.recipient_id == person,
            Notification.kind == NotificationKind.red_card).order_by(Notification.id)))
    return [render(n.kind, n.payload, TZ)[0] for n in notes]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_red_card_that_skipped_a_community_without_coordinators_does_not_say_the_community_has_it(
        world: World) -> None:
    """幸福里社区 has no coordinator (only the street and the grid have). A plumbing ticket of 幸福里第一网格 waits past
    its response limit: the red card goes on up to the street coordinator and reads 「已升级至社区（幸福里社区），请立即
    派单或督办」 — the street coordinator reads that the community has it, while nobody there can act. The fix's
    「…暂无协调员，仍请您…」 is said only when the card falls back *below* its level, never when it goes on above."""
    tid = submit(world.engine, world.settings)
    assert scan(world.engine, world.settings, T0 + minutes(FAST_RESPOND)) >= 1
    (red,) = _cards_to(world, tid, COORD)
    assert "已升级至社区" not in red or "暂无协调员" in red, red
