"""Cards written after the bot was down past both moments of a limit (deb8d8f), to a coordinator who holds the ticket.
Found by a review of the thirty-fourth session's delivery and card fixes (each test failed before; its docstring tells the bug as it was found)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

import bot.delivery
from bot.delivery import deliver_outbox
from routing import db, dispatch, members
from routing.alerts import scan_alerts
from tests.bot.test_delivery import FakeBot, make_context
from tests.conftest import COORD, G11, T0, minutes
from tests.routing.test_alerts import FAST_RESOLVE, submit

COMMUNITY_COORD = 9101  # coordinator of 幸福里社区 (S01-C01), also a plumber


async def _deliver_at(world: Any, bot_: FakeBot, moment: datetime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.delivery, "now", lambda: moment)
    await deliver_outbox(make_context(world.engine, bot_))


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_coordinator_holding_a_ticket_gets_its_red_card_after_downtime(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The community's coordinator (社区) also serves as a plumber and took a plumbing ticket of one of their grids
    at 10:00 (resolve 24 h). The bot is down from before the yellow moment until 03:00 two nights later. At start
    the resolution's red card raises the ticket to the community: its coordinators — this same person — must get
    the 🔴 red card (coordinators' and red cards never wait for the quiet hours), as they would had the yellow card
    gone out in time. Instead _queue_cards' new "yellow_missed" branch gives them the *member's* 🟡 "limit passed"
    card and drops their red card ("one card each"): no red card, no 派单 buttons, and since a member's yellow card
    waits for the quiet hours, nothing at all reaches the only coordinator of the community until 07:00."""
    settings = world.settings
    with db.transaction(world.engine) as s:
        members.add_coordinator(s, COORD, COMMUNITY_COORD, "S01-C01", T0)
        invite = members.create_invite(s, COORD, T0, settings=settings)
        members.register_member(s, COMMUNITY_COORD, invite.code, "赵书记", ["水暖"], G11, T0, settings=settings)
    tid = submit(world.engine, settings)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, COMMUNITY_COORD, T0 + minutes(1), settings=settings)
    bot_ = FakeBot()
    await _deliver_at(world, bot_, T0 + minutes(2), monkeypatch)
    bot_.sent.clear()

    back = T0 + minutes(FAST_RESOLVE + 17 * 60)  # 03:00 local, the day after the limit; down since before 05:12
    with db.transaction(world.engine) as s:
        assert scan_alerts(s, back, settings=settings) >= 1
    await _deliver_at(world, bot_, back + minutes(1), monkeypatch)
    told = [m["text"] for m in bot_.sent if m["chat_id"] == COMMUNITY_COORD]
    assert any("红牌" in text for text in told), (
        f"the community's coordinator holding the overdue ticket got no red card at 03:01: {told}")

