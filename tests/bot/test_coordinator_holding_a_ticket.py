"""Which cards wait for the end of the quiet hours. The docstring tells the bug as a user sees it.
Found by a review of time limits and cards in the thirty-fourth session (each test failed before; its docstring tells the bug as it was found)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

import bot.delivery
from bot.delivery import deliver_outbox
from routing import db, dispatch, members
from routing.alerts import scan_alerts
from tests.bot.test_delivery import FakeBot, make_context
from tests.conftest import COORD, G11, GRID_COORD, T0, minutes
from tests.routing.test_alerts import submit


async def _deliver_at(world: Any, bot_: FakeBot, moment: datetime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.delivery, "now", lambda: moment)
    await deliver_outbox(make_context(world.engine, bot_))


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_grid_coordinators_yellow_card_does_not_wait_because_they_also_serve_as_a_member(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The grid's coordinator (网格员) also serves as a member (a plumber, as often in a small community) and took a
    plumbing ticket at 10:00 (resolve 24 h). Its yellow card falls at 05:12, in the quiet hours. Coordinators' cards
    never wait (README), yet the grid's only coordinator hears nothing until 07:00: _queue_cards keeps one card per
    person and drops the coordinator's copy in favour of the member's, which is held for the morning — so no
    coordinator of the grid is warned of the ticket in the night."""
    settings = world.settings
    with db.transaction(world.engine) as s:
        invite = members.create_invite(s, COORD, T0, settings=settings)
        members.register_member(s, GRID_COORD, invite.code, "李网格员", ["水暖"], G11, T0, settings=settings)
    tid = submit(world.engine, settings)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, GRID_COORD, T0 + minutes(1), settings=settings)
    bot_ = FakeBot()
    await _deliver_at(world, bot_, T0 + minutes(2), monkeypatch)

    yellow_at = T0 + minutes(1152)  # 05:12 local, quiet hours (22:00-07:00)
    with db.transaction(world.engine) as s:
        assert scan_alerts(s, yellow_at, settings=settings) == 1
    await _deliver_at(world, bot_, yellow_at + minutes(1), monkeypatch)
    told = [m["text"] for m in bot_.sent if m["chat_id"] == GRID_COORD and "黄牌" in m["text"]]
    assert told, "at 05:13 the grid's coordinator got no yellow card (held with the member's until 07:00)"
