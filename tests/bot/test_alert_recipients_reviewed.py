"""Who is told of a ticket's time limits (超期监察), and what the cards say, found by a review of alerts in the
thirty-sixth session (each test failed before): the member holding a ticket when it passes its limit, a card for a
ticket nobody holds or one waiting for an assigned member, a red card that fell back to the grid."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.delivery import render
from routing import db, dispatch, members, tickets
from routing.alerts import scan_alerts
from routing.config import Settings
from routing.models import Notification, NotificationKind
from tests.conftest import C1, COORD, G11, GRID_COORD, RESIDENT, T0, World, minutes
from tests.routing.test_alerts import FAST_RESOLVE, scan, submit

TZ = ZoneInfo("Asia/Shanghai")
COMMUNITY_COORD = 9101  # coordinator of 幸福里社区 (the level above the grid)


def cards_to(world: World, ticket_id: int, person: int) -> list[str]:
    """The texts of the yellow / red cards about a ticket queued for one person."""
    with db.transaction(world.engine) as s:
        notes = list(s.exec(select(Notification).where(
            Notification.ticket_id == ticket_id, Notification.recipient_id == person,
            Notification.kind.in_([NotificationKind.yellow_card, NotificationKind.red_card]))
            .order_by(Notification.id)))
    return [render(n.kind, n.payload, TZ)[0] for n in notes]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_member_who_took_a_ticket_after_its_yellow_card_is_never_told_it_is_late(world: World) -> None:
    """王师傅 takes a plumbing ticket (resolve 24 h); at 80 % (19 h 12 min) he and the grid get the 🟡 card. At 19 h 30
    he hands it back (退回), 赵师傅 takes it at 19 h 35 and holds it past the limit. 赵师傅 is never told anything — no
    yellow card (it was "already sent", to 王师傅) and no red card (coordinators only) — although he is the assignee
    while it is near and past its limit; the bot does tell a holder whose yellow card was missed during downtime."""
    settings = world.settings
    with db.transaction(world.engine) as s:
        members.add_coordinator(s, COORD, COMMUNITY_COORD, C1, T0)
    wang = world.member("王师傅", ["水暖"])
    tid = submit(world.engine, settings)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, wang, T0 + minutes(5), settings=settings)
    assert scan(world.engine, settings, T0 + minutes(1152)) == 1  # 🟡 to 王师傅 and the grid
    assert cards_to(world, tid, wang), "the first holder got his yellow card"
    zhao = world.member("赵师傅", ["水暖"], now=T0 + minutes(1160))
    with db.transaction(world.engine) as s:
        tickets.hand_back(s, tid, wang, "临时有事去外地", T0 + minutes(1170), settings=settings)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, zhao, T0 + minutes(1175), settings=settings)
    assert scan(world.engine, settings, T0 + minutes(FAST_RESOLVE)) == 1  # 🔴 to the community
    red = cards_to(world, tid, COMMUNITY_COORD)
    assert red and "办理人：赵师傅" in red[0]  # the coordinators are told 赵师傅 holds it
    assert cards_to(world, tid, zhao), "赵师傅 holds the ticket past its limit and was told nothing"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_yellow_card_for_a_ticket_nobody_holds_asks_to_follow_up_not_to_dispatch(world: World) -> None:
    """王师傅 fixes a leak in 30 min; the resident rates it 1 star at 2 h: the ticket is reopened and waits for the
    grid coordinator to dispatch it again (状态：已重新打开, nobody holds it). At 80 % of the resolution limit the
    coordinator's 🟡 card says 「请督促跟进」 (urge whoever is on it) — nobody is on it; what it needs is 派单, as the
    response card (「还没有党员接单，请尽快派单」) and the red card (「请立即派单或督办」) say."""
    settings = world.settings
    wang = world.member("王师傅", ["水暖"])
    tid = submit(world.engine, settings)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, wang, T0 + minutes(5), settings=settings)
    with db.transaction(world.engine) as s:
        tickets.resolve_ticket(s, tid, wang, T0 + minutes(30), note="修好了")
    with db.transaction(world.engine) as s:
        tickets.rate_ticket(s, tid, RESIDENT, 1, T0 + minutes(120))
    assert scan(world.engine, settings, T0 + minutes(1152)) == 1
    (card,) = cards_to(world, tid, GRID_COORD)
    assert "已重新打开" in card and "办理人" not in card
    assert "派单" in card, f"nobody holds the ticket; the coordinator reads:\n{card}"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_response_yellow_card_asks_to_dispatch_a_ticket_already_assigned(world: World) -> None:
    """Nobody takes a plumbing ticket (respond 1 h); at 30 min the grid coordinator assigns it (指派) to 王师傅, who has
    not answered yet. At 48 min the coordinator's 🟡 card says 「还没有党员接单，请尽快派单」 and names nobody: it reads
    as if nothing had been done, and does not say the ticket waits for 王师傅's answer (/dispatch does say
    「已指派给 王师傅，等待对方确认」) — the coordinator cannot tell whom to chase."""
    settings = world.settings
    tid = submit(world.engine, settings)
    wang = world.member("王师傅", ["水暖"], now=T0 + minutes(20))
    with db.transaction(world.engine) as s:
        dispatch.assign_ticket(s, tid, GRID_COORD, world.member_id(wang), T0 + minutes(30))
    assert scan(world.engine, settings, T0 + minutes(48)) == 1
    with db.transaction(world.engine) as s:
        assert dispatch.pending_assignee(s, tid) == "王师傅"  # still waiting for his answer
    (card,) = cards_to(world, tid, GRID_COORD)
    assert "王师傅" in card, f"assigned to 王师傅 18 minutes ago, the coordinator reads:\n{card}"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_red_card_that_came_back_to_the_grid_says_it_went_to_the_community(engine: Engine, settings: Settings) -> None:
    """README: the coordinators may be a grid's 网格员 only. A ticket nobody takes passes its response limit: the 🔴 is
    addressed to the community, where nobody is, and falls back to the grid coordinator — who reads
    「已升级至社区（幸福里社区），请立即派单或督办」: told the ticket is now the community's, while nobody there will
    ever see it and they are still the only one who can act."""
    with db.transaction(engine) as s:
        members.ensure_coordinators(s, [GRID_COORD], T0, scope=G11)
    with db.transaction(engine) as s:
        tid = tickets.submit_ticket(s, RESIDENT, "厨房水管漏水了", T0, label="repair.plumbing", grid_code=G11,
                                    address="幸福里3号楼", settings=settings).id
    with db.transaction(engine) as s:
        assert scan_alerts(s, T0 + minutes(61), settings=settings) == 1
    with db.transaction(engine) as s:
        (red,) = s.exec(select(Notification).where(Notification.ticket_id == tid,
                                                  Notification.kind == NotificationKind.red_card)).all()
    assert red.recipient_id == GRID_COORD
    text = render(red.kind, red.payload, TZ)[0]
    assert "暂无协调员" in text or "没有协调员" in text, f"the grid coordinator, the only one, reads:\n{text}"
