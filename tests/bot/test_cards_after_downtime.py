"""Cards after the bot was down (补发), and who they reach. Each test's docstring tells the bug as a user sees it.
Found by a review of time limits and cards in the thirty-fourth session (each test failed before; its docstring tells the bug as it was found)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.delivery import render
from routing import db, dispatch
from routing.alerts import scan_alerts
from routing.models import Notification, NotificationKind
from tests.conftest import GRID_COORD, T0, World, minutes
from tests.routing.test_alerts import FAST_RESOLVE, submit
from tests.routing.test_subscriptions import GRID_GROUP, group_notes, subscribe

TZ = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_group_told_of_two_late_red_cards_names_the_community_as_the_community(world: World) -> None:
    """A plumbing ticket (fast: respond 1 h, resolve 24 h) nobody takes; the bot is down from before its response
    limit until after its resolution limit. At start both red cards go out (补发): the response one raised the
    ticket to the community (幸福里社区), the resolution one to the street (示范街道). The coordinators' private
    cards say so. The work group subscribed to the grid reads, for the response card,
    「已升级至街道（幸福里社区）」 — a community named as the street level: the group copy takes the level the
    ticket reached at the end of the scan (subscriptions.queue_group_alerts reads Ticket.escalation_level), not the
    level that card raised it to."""
    subscribe(world, GRID_GROUP, GRID_COORD)
    tid = submit(world.engine, world.settings)
    with db.transaction(world.engine) as s:
        assert scan_alerts(s, T0 + minutes(FAST_RESOLVE + 60), settings=world.settings) == 2  # back after downtime
    [respond] = [n for n in group_notes(world, tid)
                 if n.payload["alert"] == "red_card" and n.payload["limit"] == "respond"]
    text, _ = render(respond.kind, respond.payload, TZ)
    assert "已升级至社区（幸福里社区）" in text, f"the group reads: {text}"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_member_holding_a_ticket_is_told_when_its_cards_fell_due_while_the_bot_was_down(world: World) -> None:
    """王师傅 accepts a plumbing ticket (resolve 24 h). Had the bot kept running, he would have had a 🟡 card at
    80 % (19 h 12 min) telling him to hurry. The bot is down from hour 18 to hour 25: at start the red card goes
    to the coordinators (补发), and the yellow card that fell due while the bot was down is dropped as moot
    (alerts._due_cards) — so the member who holds the overdue ticket is never told anything, neither that it is
    near its limit nor that it has passed it (a card held for the quiet hours past its limit does tell him)."""
    settings = world.settings
    plumber = world.member("王师傅", ["水暖"])
    tid = submit(world.engine, settings)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, plumber, T0 + minutes(5), settings=settings)
    with db.transaction(world.engine) as s:
        assert scan_alerts(s, T0 + minutes(18 * 60), settings=settings) == 0  # nothing due yet; then down
    with db.transaction(world.engine) as s:
        assert scan_alerts(s, T0 + minutes(25 * 60), settings=settings) >= 1  # back: the red card, 补发
    with db.transaction(world.engine) as s:
        told = list(s.exec(select(Notification).where(
            Notification.ticket_id == tid, Notification.recipient_id == plumber,
            Notification.kind.in_([NotificationKind.yellow_card, NotificationKind.red_card]))))
    assert told, "the member holding the overdue ticket got no card at all"
