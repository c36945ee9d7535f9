"""The cards of a ticket's time limits (🟡 yellow, 🔴 red) and of urgent tickets (🚨): who gets them (the member
holding the ticket, the coordinators of each level, a subscribed group), what they say, the limit an offer shows,
cards after the bot was down, and the quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import select

import bot.delivery
from bot.delivery import deliver_outbox, render
from routing import alerts, db, dispatch, members, tickets
from routing.alerts import scan_alerts
from routing.config import Settings
from routing.models import Notification, NotificationKind, Ticket
from routing.states import STATUS_NAMES
from tests.bot.chat_harness import BotChat, assign, buttons
from tests.bot.conftest import RESIDENT
from tests.bot.handlers.coordinator.helpers import GAS, dispatch_cards
from tests.bot.test_delivery import FakeBot, make_context
from tests.conftest import C1, COORD, G11, GRID_COORD, T0, World, minutes
from tests.conftest import RESIDENT as WORLD_RESIDENT  # (1001: the small world's resident, not `chat`'s)
from tests.routing.test_alerts import FAST_RESOLVE, FAST_RESPOND, cards, scan, submit
from tests.routing.test_subscriptions import GRID_GROUP, group_notes, subscribe

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
TZ = ZoneInfo("Asia/Shanghai")
COMMUNITY_COORD = 9101  # coordinator of 幸福里社区 (the level above the grid)
LIMIT_CARDS = (NotificationKind.yellow_card, NotificationKind.red_card)


def cards_to(world: World, ticket_id: int, person: int,
             kinds: tuple[NotificationKind, ...] = LIMIT_CARDS) -> list[str]:
    """The texts of the cards about a ticket queued for one person (the yellow and red ones, or `kinds`)."""
    with db.transaction(world.engine) as s:
        notes = list(s.exec(select(Notification).where(
            Notification.ticket_id == ticket_id, Notification.recipient_id == person,
            Notification.kind.in_(kinds))
            .order_by(Notification.id)))
    return [render(n.kind, n.payload, TZ)[0] for n in notes]


def _taken_by_a_plumber(world: World) -> tuple[int, int]:
    """A plumbing ticket (fast: respond 1 h, resolve 24 h) opened at T0, and 王师傅 (水暖) who took it at T0 + 5 min:
    returns his id and the ticket's."""
    plumber = world.member("王师傅", ["水暖"])
    tid = submit(world.engine, world.settings)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, plumber, T0 + minutes(5), settings=world.settings)
    return plumber, tid


async def _deliver_at(world: Any, bot_: FakeBot, moment: datetime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.delivery, "now", lambda: moment)
    await deliver_outbox(make_context(world.engine, bot_))


# --- who gets the cards ---

@SQLITE
def test_the_member_who_took_a_ticket_after_its_yellow_card_is_told_it_is_late(world: World) -> None:
    """王师傅 takes a plumbing ticket (resolve 24 h); at 80 % (19 h 12 min) he and the grid get the 🟡 card. At 19 h 30
    he hands it back (退回), 赵师傅 takes it at 19 h 35 and holds it past the limit. 赵师傅 is never told anything — no
    yellow card (it was "already sent", to 王师傅) and no red card (coordinators only) — although he is the assignee
    while it is near and past its limit; the bot does tell a holder whose yellow card was missed during downtime."""
    settings = world.settings
    with db.transaction(world.engine) as s:
        members.add_coordinator(s, COORD, COMMUNITY_COORD, C1, T0)
    wang, tid = _taken_by_a_plumber(world)
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


@SQLITE
def test_a_red_card_reaches_the_level_below_when_nobody_is_above(engine: Engine, settings: Settings) -> None:
    """README: COORDINATOR_SCOPE may be a grid or a community. With the grid's 网格员 the only coordinators, a ticket
    nobody takes passes its response limit: the 🔴 red card is addressed to the community (nobody), falls back to the
    street (nobody) and is sent to no one at all, nor to any subscribed group. Coordinators of the level below (the
    only people who can act) are never told the limit passed."""
    with db.transaction(engine) as s:
        members.ensure_coordinators(s, [GRID_COORD], T0, scope=G11)
    with db.transaction(engine) as s:
        ticket_id = tickets.submit_ticket(s, RESIDENT, "厨房水管漏水了", T0, label="repair.plumbing", grid_code=G11,
                                          address="幸福里3号楼", settings=settings).id
    with db.transaction(engine) as s:
        assert scan_alerts(s, T0 + minutes(48), settings=settings) == 1  # 🟡 to the grid's coordinator
    with db.transaction(engine) as s:
        assert scan_alerts(s, T0 + minutes(61), settings=settings) == 1  # 🔴: the ticket escalates
    with db.transaction(engine) as s:
        reds = s.exec(select(Notification).where(Notification.ticket_id == ticket_id,
                                                 Notification.kind == NotificationKind.red_card)).all()
        assert reds, "the red card was written for nobody: no coordinator hears the limit passed"


@SQLITE
def test_a_red_card_to_the_street_reaches_community_coordinators_when_the_street_has_none(
    engine: Engine, settings: Settings
) -> None:
    """The same with COORDINATOR_SCOPE a community: the first red card goes to the community, the resolution's red
    card (escalation to 街道, where nobody is) to no one."""
    with db.transaction(engine) as s:
        members.ensure_coordinators(s, [COMMUNITY_COORD], T0, scope=C1)
    with db.transaction(engine) as s:
        ticket_id = tickets.submit_ticket(s, RESIDENT, "厨房水管漏水了", T0, label="repair.plumbing", grid_code=G11,
                                          address="幸福里3号楼", settings=settings).id
    with db.transaction(engine) as s:
        scan_alerts(s, T0 + minutes(61), settings=settings)  # respond: 🔴 to the community
    with db.transaction(engine) as s:
        scan_alerts(s, T0 + minutes(1441), settings=settings)  # resolve: 🔴 "to the street"
    with db.transaction(engine) as s:
        reds = s.exec(select(Notification.payload).where(Notification.ticket_id == ticket_id,
                                                         Notification.kind == NotificationKind.red_card)).all()
        limits = sorted(p["limit"] for p in reds)
        assert limits == ["resolve", "respond"], f"red cards sent: {limits} (the resolution's went to nobody)"


# --- what a yellow card asks ---

@SQLITE
def test_a_yellow_card_for_a_ticket_nobody_holds_asks_to_dispatch(world: World) -> None:
    """王师傅 fixes a leak in 30 min; the resident rates it 1 star at 2 h: the ticket is reopened and waits for the
    grid coordinator to dispatch it again (状态：已重新打开, nobody holds it). At 80 % of the resolution limit the
    coordinator's 🟡 card says 「请督促跟进」 (urge whoever is on it) — nobody is on it; what it needs is 派单, as the
    response card (「还没有党员接单，请尽快派单」) and the red card (「请立即派单或督办」) say."""
    settings = world.settings
    wang, tid = _taken_by_a_plumber(world)
    with db.transaction(world.engine) as s:
        tickets.resolve_ticket(s, tid, wang, T0 + minutes(30), note="修好了")
    with db.transaction(world.engine) as s:
        tickets.rate_ticket(s, tid, WORLD_RESIDENT, 1, T0 + minutes(120))
    assert scan(world.engine, settings, T0 + minutes(1152)) == 1
    (card,) = cards_to(world, tid, GRID_COORD)
    assert "已重新打开" in card and "办理人" not in card
    assert "派单" in card, f"nobody holds the ticket; the coordinator reads:\n{card}"


@SQLITE
def test_a_response_yellow_card_of_a_ticket_already_assigned_names_the_member(world: World) -> None:
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


# --- what a red card says ---

def test_a_red_card_shows_the_status_its_escalation_gave(world: World) -> None:
    """A ticket nobody took (待派单) passes its response limit: the red card escalates it (status 已升级) and tells
    the coordinators so at its foot (已升级至社区), yet its status line still reads 「状态：待派单」: the status the
    scan read before it escalated the ticket, no longer true when the card is written."""
    settings = world.settings
    tid = submit(world.engine, settings)
    assert scan(world.engine, settings, T0 + minutes(60)) == 1
    (red,) = [n for n in cards(world.engine, tid) if n.payload["level"] == "red"]
    with db.transaction(world.engine) as s:
        now_status = STATUS_NAMES[s.get(Ticket, tid).status]
    text, _ = render(red.kind, red.payload, TZ)
    assert f"状态：{now_status}" in text, f"the ticket is {now_status}; the card reads: {text.splitlines()[2]}"


@SQLITE
def test_a_red_card_that_came_back_to_the_grid_says_the_community_has_no_coordinator(engine: Engine, settings: Settings) -> None:
    """README: the coordinators may be a grid's 网格员 only. A ticket nobody takes passes its response limit: the 🔴 is
    addressed to the community, where nobody is, and falls back to the grid coordinator — who reads
    「已升级至社区（幸福里社区），请立即派单或督办」: told the ticket is now the community's, while nobody there will
    ever see it and they are still the only one who can act."""
    with db.transaction(engine) as s:
        members.ensure_coordinators(s, [GRID_COORD], T0, scope=G11)
    with db.transaction(engine) as s:
        tid = tickets.submit_ticket(s, WORLD_RESIDENT, "厨房水管漏水了", T0, label="repair.plumbing", grid_code=G11,
                                    address="幸福里3号楼", settings=settings).id
    with db.transaction(engine) as s:
        assert scan_alerts(s, T0 + minutes(61), settings=settings) == 1
    with db.transaction(engine) as s:
        (red,) = s.exec(select(Notification).where(Notification.ticket_id == tid,
                                                  Notification.kind == NotificationKind.red_card)).all()
    assert red.recipient_id == GRID_COORD
    text = render(red.kind, red.payload, TZ)[0]
    assert "暂无协调员" in text or "没有协调员" in text, f"the grid coordinator, the only one, reads:\n{text}"


@SQLITE
def test_a_red_card_that_skipped_a_community_without_coordinators_does_not_say_the_community_has_it(
        world: World) -> None:
    """幸福里社区 has no coordinator (only the street and the grid have). A plumbing ticket of 幸福里第一网格 waits past
    its response limit: the red card goes on up to the street coordinator and reads 「已升级至社区（幸福里社区），请立即
    派单或督办」 — the street coordinator reads that the community has it, while nobody there can act. The fix's
    「…暂无协调员，仍请您…」 is said only when the card falls back *below* its level, never when it goes on above."""
    tid = submit(world.engine, world.settings)
    assert scan(world.engine, world.settings, T0 + minutes(FAST_RESPOND)) >= 1
    (red,) = cards_to(world, tid, COORD, kinds=(NotificationKind.red_card,))
    assert "已升级至社区" not in red or "暂无协调员" in red, red


def test_reopened_tickets_red_card_is_not_labelled_as_resent_after_an_outage(world: World) -> None:
    """A plumbing ticket (resolve 24 h) fixed in 30 min; the bot runs without a break (a scan every interval, a
    sweep every tenth, as its job does); 25 h after the ticket was opened the resident, reminded, rates it 1 star:
    reopened past its limit. Its red card says 「补发：系统恢复后发出」 (sent late, after the system came back)
    although the system never stopped: wrong information to the coordinator."""
    settings = world.settings
    plumber, tid = _taken_by_a_plumber(world)
    with db.transaction(world.engine) as s:
        tickets.resolve_ticket(s, tid, plumber, T0 + minutes(30), note="修好了")
    scanner = alerts.Scanner(settings)
    moment, reopened = T0 + minutes(24 * 60 + 50), False
    while moment < T0 + minutes(25 * 60 + 30):
        if not reopened and moment >= T0 + minutes(25 * 60):
            with db.transaction(world.engine) as s:
                tickets.rate_ticket(s, tid, WORLD_RESIDENT, 1, moment)
            reopened = True
        since = scanner.next_since()
        scanner.done(moment, scan(world.engine, settings, moment, since=since))
        moment += scanner.interval
    reds = [n for n in cards(world.engine, tid) if n.payload["level"] == "red"]
    assert reds, "no red card for the reopened ticket"
    text, _ = render(reds[0].kind, reds[0].payload, TZ)
    assert "补发" not in text, f"the bot never stopped, yet the card reads: {text.splitlines()[0]}"


# --- the time limit an offer shows ---

def test_an_offer_after_a_hand_back_shows_no_response_limit_already_met(world: World) -> None:
    """A fast ticket (respond 1 h) is accepted in 5 min, then handed back at 12:00 (two hours on). The member it is
    offered to next is asked 「请在 3月3日 11:00 前响应」 — an hour ago: the response limit was met long ago (it no
    longer runs), and the offer shows a deadline in the past."""
    settings = world.settings
    first, tid = _taken_by_a_plumber(world)
    second = world.member("赵师傅", ["水暖"], now=T0 + minutes(100))
    back = T0 + minutes(120)  # 12:00 local
    with db.transaction(world.engine) as s:
        tickets.hand_back(s, tid, first, "需要专业资质", back, settings=settings)
    with db.transaction(world.engine) as s:
        offers = list(s.exec(select(Notification).where(Notification.ticket_id == tid,
                                                        Notification.recipient_id == second,
                                                        Notification.kind == "offer")))
    assert offers, "the ticket was not offered to the second plumber"
    text, _ = render(offers[-1].kind, offers[-1].payload, TZ)
    past = datetime.fromisoformat(offers[-1].payload["respond_due_at"])
    assert past < back
    assert "11:00 前响应" not in text, f"offered at 12:00, the member reads: {text.splitlines()[-1]}"


@SQLITE
async def test_an_offer_sent_after_its_limit_has_passed_says_so(chat: BotChat, world: World) -> None:
    """已超期 is decided when a card is sent (bot.delivery): an offer of a plumbing ticket written two hours ago (its
    one-hour response limit passed since), delivered only now, shows 「（已超期）」 beside its 响应时限."""
    plumber = world.member("王师傅", ["水暖"])
    with db.transaction(chat.engine) as s:
        tickets.submit_ticket(s, RESIDENT, "厨房水管漏水了", datetime.now(UTC) - timedelta(hours=2),
                              label="repair.plumbing", grid_code=G11, address="幸福里3号楼2单元502", confidence=0.9)
    await chat.deliver()
    offer = next(r for r in chat.replies(plumber) if "接单" in str(buttons(r)))
    assert "响应时限" in offer.text and "（已超期）" in offer.text, offer.text


# --- urgent tickets: the 🚨 card, and every coordinator it reached hears what follows ---

@SQLITE
async def test_the_urgent_alert_of_a_ticket_nobody_can_take_says_it_waits_for_dispatch(
    chat: BotChat, world: World
) -> None:
    """A gas smell is reported in a grid where no member has the skill (nobody registered 燃气维修 / 消防 yet). The
    ticket goes straight to 派单, and because it is urgent its only card to the coordinators is the 🚨 one (to_dispatch
    is called with alert_sent=True: no 📮). That card reads 「状态：已提交」 — an internal state the ticket already left
    (the payload is built before to_dispatch; the ticket is 待派单) — and nothing says that nobody was asked and it is
    up to them: the `needs_dispatch` the payload carries is never shown (texts.urgent_alert ignores it). Compare a
    ticket offered to members: 「状态：待接单」. Expected: the card says 待派单 / that no member was found and the
    coordinator must 指派 now."""
    await chat.say(RESIDENT, GAS)
    alert = next(r for r in chat.replies(GRID_COORD) if "紧急工单" in r.text)
    assert "已提交" not in alert.text, alert.text
    assert "待派单" in alert.text or "派单" in alert.text.split("响应时限")[-1], alert.text


@SQLITE
async def test_the_street_coordinator_alerted_to_an_urgent_ticket_is_told_nobody_took_it(
    chat: BotChat, world: World
) -> None:
    """The neighbour of the 退回 fix: a gas smell, both the 网格员 and the street coordinator get 「🚨 紧急工单，请立即跟进 …
    状态：待接单」. 王师傅, the only member with the skill, presses 「不方便」. The ticket goes to 派单 and only the 网格员
    gets 「📮 有工单需要派单」; the street coordinator, who answers for the urgent ticket too, is left with a card saying
    it waits for a member's 接单 (his /dispatch would show it, but nothing makes him look). The 🚨 card's audience
    (all levels) is told by the 退回 path (tell_hand_back's all_levels) but not by a decline nor an expired wave
    (to_dispatch → _dispatch_needed at the ticket's level). Expected: everyone the 🚨 alert went to hears that the
    urgent ticket now waits for 指派."""
    wang = world.member("王师傅", ["燃气维修"])
    await chat.say(RESIDENT, GAS)
    assert any("紧急工单" in r.text for r in chat.replies(COORD))
    offer = next(r for r in chat.replies(wang) if "接单" in str(buttons(r)))
    mark = len(chat.events)
    await chat.press(wang, offer.button("不方便"), offer.message)
    assert any("派单" in r.text for r in chat.replies(GRID_COORD, mark)), "the 网格员 is told"
    street = [r.text for r in chat.replies(COORD, mark)]
    assert any("派单" in t for t in street), street


@SQLITE
async def test_the_street_coordinator_told_an_urgent_ticket_waits_for_dispatch_learns_it_was_taken(
    chat: BotChat, world: World
) -> None:
    """A gas smell. 王师傅 and 李师傅 (燃气维修) both press 「不方便」, so since 104406a both the 网格员 and the street
    coordinator get 「📮 有工单需要派单 🚨 紧急 … 状态：待派单 … 发送 /dispatch 处理。」 with 「👉 指派」. The 网格员 assigns it
    to 李师傅, who presses 「接单」: the 网格员 hears 「✅ 您指派的工单 … 已由 李师傅 接单。」, but the street coordinator gets
    nothing and his card still says 待派单 with 「👉 指派」 — for an urgent gas leak he is now asked to act on, he
    believes nobody has it and may 改派 it away from the member on his way (the reverse of the fix's own reason:
    "before, he still thought a member had it"). Cause: _dispatch_audience widened who gets the 📮 card (all levels
    for an urgent ticket), but accepting an assignment tells only the assigner (_tell_assigner / the accept path),
    and the other 📮 cards are neither edited nor followed up. Expected: every coordinator the urgent 📮 card went to
    hears that 李师傅 took it (or his card no longer says 待派单)."""
    wang = world.member("王师傅", ["燃气维修"])
    li = world.member("李师傅", ["燃气维修"])
    await chat.say(RESIDENT, GAS)
    for member in (wang, li):
        offer = next((r for r in chat.replies(member) if "接单" in str(buttons(r))), None)
        if offer is not None:
            await chat.press(member, offer.button("不方便"), offer.message)
    street_cards = [r for r in chat.replies(COORD) if "有工单需要派单" in r.text]
    assert street_cards, "the street coordinator got the 📮 card (104406a)"
    card = [r for r in chat.replies(GRID_COORD) if "有工单需要派单" in r.text][-1]
    mark = len(chat.events)
    await assign(chat, GRID_COORD, card, "李师傅")
    offer = next(r for r in chat.replies(li, mark) if "指派给您" in r.text)
    await chat.press(li, offer.button("接单"), offer.message)
    told = [r.text for r in chat.replies(COORD, mark)]
    shown = next(m for m in chat.request.messages(COORD)
                 if m.message_id == street_cards[-1].message.message_id)
    assert any("李师傅" in t for t in told) or "待派单" not in shown.text, (told, shown.text)


@SQLITE
async def test_the_coordinators_alerted_to_an_urgent_ticket_are_told_when_it_is_handed_back(
    chat: BotChat, world: World
) -> None:
    """A gas smell: 王师傅 takes it from the offer, then hands it back (「没有带检测仪」). It goes out to 李师傅 again, and
    the coordinators who got the 🚨 alert hear that it lost its member, who and why (a card with 指派)."""
    wang = world.member("王师傅", ["燃气维修"])
    world.member("李师傅", ["燃气维修"])
    await chat.say(RESIDENT, GAS)
    offer = next(r for r in chat.replies(wang) if "接单" in str(buttons(r)))
    await chat.press(wang, offer.button("接单"), offer.message)
    details = next(r for r in chat.replies(wang) if "接单成功" in r.text)
    await chat.press(wang, details.button("退回"), details.message)
    mark = len(chat.events)
    await chat.say(wang, "没有带检测仪")
    told = [r for r in chat.replies(GRID_COORD, mark) if "王师傅" in r.text and "检测仪" in r.text]
    assert told and dispatch_cards(told), [r.text for r in chat.replies(GRID_COORD, mark)]


@SQLITE
async def test_the_street_coordinator_alerted_to_an_urgent_ticket_is_told_it_was_handed_back(
    chat: BotChat, world: World
) -> None:
    """A gas smell: both the 网格员 and the street coordinator get 「🚨 紧急工单，请立即跟进」. 王师傅, the only member with the
    skill, takes it and then hands it back (「没有带检测仪」). With nobody else to offer it to, it goes to 派单 — and only
    the 网格员 gets the 📮 card: the street coordinator, alerted like him, hears nothing and believes 王师傅 is on the
    way. c52623f promised 「for an urgent ticket the coordinators alerted get its card again」, but tell_hand_back
    sends to all levels only when the ticket did not go back to 派单 (when it did, to_dispatch told the grid level
    alone, and `told` is that level). Expected: every coordinator who got the 🚨 alert is told of the 退回."""
    wang = world.member("王师傅", ["燃气维修"])
    await chat.say(RESIDENT, GAS)
    assert any("紧急工单" in r.text for r in chat.replies(COORD))
    offer = next(r for r in chat.replies(wang) if "接单" in str(buttons(r)))
    await chat.press(wang, offer.button("接单"), offer.message)
    details = next(r for r in chat.replies(wang) if "接单成功" in r.text)
    await chat.press(wang, details.button("退回"), details.message)
    mark = len(chat.events)
    await chat.say(wang, "没有带检测仪")
    grid = [r.text for r in chat.replies(GRID_COORD, mark) if "检测仪" in r.text]
    assert grid, "the 网格员 is told"
    street = [r.text for r in chat.replies(COORD, mark)]
    assert any("王师傅" in t and "检测仪" in t for t in street), street


# --- cards after the bot was down (补发) ---

@SQLITE
def test_the_member_holding_a_ticket_is_told_when_its_cards_fell_due_while_the_bot_was_down(world: World) -> None:
    """王师傅 accepts a plumbing ticket (resolve 24 h). Had the bot kept running, he would have had a 🟡 card at
    80 % (19 h 12 min) telling him to hurry. The bot is down from hour 18 to hour 25: at start the red card goes
    to the coordinators (补发), and the yellow card that fell due while the bot was down is dropped as moot
    (alerts._due_cards) — so the member who holds the overdue ticket is never told anything, neither that it is
    near its limit nor that it has passed it (a card held for the quiet hours past its limit does tell him)."""
    settings = world.settings
    plumber, tid = _taken_by_a_plumber(world)
    with db.transaction(world.engine) as s:
        assert scan_alerts(s, T0 + minutes(18 * 60), settings=settings) == 0  # nothing due yet; then down
    with db.transaction(world.engine) as s:
        assert scan_alerts(s, T0 + minutes(25 * 60), settings=settings) >= 1  # back: the red card, 补发
    with db.transaction(world.engine) as s:
        told = list(s.exec(select(Notification).where(
            Notification.ticket_id == tid, Notification.recipient_id == plumber,
            Notification.kind.in_([NotificationKind.yellow_card, NotificationKind.red_card]))))
    assert told, "the member holding the overdue ticket got no card at all"


@SQLITE
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


@SQLITE
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


# --- the quiet hours ---

@SQLITE
async def test_a_members_yellow_card_held_past_its_limit_does_not_say_the_limit_is_still_ahead(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fast ticket (resolve 24 h) created at 03:18 Shanghai: its resolve yellow falls at 22:30 (quiet hours, the
    member's card is held until 07:00), its limit at 03:18 the next night (the red card goes to the coordinators).
    At 07:00 the member is told the ticket is *about to* pass its limit (即将超过 / 按时办结) — it passed four hours
    ago, and the member, who gets no red card, is never told it is overdue."""
    settings = world.settings
    created = datetime(2025, 3, 2, 19, 18, tzinfo=UTC)  # 03:18 local, 3 March
    plumber = world.member("王师傅", ["水暖"], now=created)
    tid = submit(world.engine, settings, now=created)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, plumber, created + minutes(1), settings=settings)
    bot_ = FakeBot()
    await _deliver_at(world, bot_, created + minutes(2), monkeypatch)

    yellow_at = created + minutes(1152)  # 22:30 local
    with db.transaction(world.engine) as s:
        assert scan_alerts(s, yellow_at, settings=settings) == 1
    await _deliver_at(world, bot_, yellow_at, monkeypatch)
    assert not [m for m in bot_.sent if m["chat_id"] == plumber and "黄牌" in m["text"]]  # held

    due = created + minutes(1440)  # 03:18 local, 4 March: the red card
    with db.transaction(world.engine) as s:
        assert scan_alerts(s, due, settings=settings) == 1
    await _deliver_at(world, bot_, due, monkeypatch)
    morning = datetime(2025, 3, 3, 23, 1, tzinfo=UTC)  # 07:01 local, 4 March
    await _deliver_at(world, bot_, morning, monkeypatch)
    told = [m["text"] for m in bot_.sent if m["chat_id"] == plumber and "时限" in m["text"]]
    wrong = [t for t in told if "即将超过" in t or "按时办结" in t]
    assert wrong == [], f"at 07:01, four hours after the limit, the member was told: {wrong}"


@SQLITE
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
