"""Yellow and red cards as their readers see them, found by a review (each test failed before): a member's card held
overnight past its limit, a reopened ticket's card not marked 补发, an offer after a hand-back, a red card's status. Each test's docstring tells the bug as it was found."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import bot.delivery
from bot.delivery import deliver_outbox, render
from routing import alerts, db, dispatch, tickets
from routing.alerts import scan_alerts
from tests.bot.test_delivery import FakeBot, make_context
from tests.conftest import RESIDENT, T0, World, minutes
from tests.routing.test_alerts import cards, scan, submit

TZ = ZoneInfo("Asia/Shanghai")


async def _deliver_at(world: Any, bot_: FakeBot, moment: datetime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.delivery, "now", lambda: moment)
    await deliver_outbox(make_context(world.engine, bot_))


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_members_yellow_card_held_past_its_limit_says_the_limit_passed(
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


def test_reopened_tickets_red_card_is_not_labelled_as_resent_after_an_outage(world: World) -> None:
    """A plumbing ticket (resolve 24 h) fixed in 30 min; the bot runs without a break (a scan every interval, a
    sweep every tenth, as its job does); 25 h after the ticket was opened the resident, reminded, rates it 1 star:
    reopened past its limit. Its red card says 「补发：系统恢复后发出」 (sent late, after the system came back)
    although the system never stopped: wrong information to the coordinator."""
    settings = world.settings
    plumber = world.member("王师傅", ["水暖"])
    tid = submit(world.engine, settings)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, plumber, T0 + minutes(5), settings=settings)
    with db.transaction(world.engine) as s:
        tickets.resolve_ticket(s, tid, plumber, T0 + minutes(30), note="修好了")
    scanner = alerts.Scanner(settings)
    moment, reopened = T0 + minutes(24 * 60 + 50), False
    while moment < T0 + minutes(25 * 60 + 30):
        if not reopened and moment >= T0 + minutes(25 * 60):
            with db.transaction(world.engine) as s:
                tickets.rate_ticket(s, tid, RESIDENT, 1, moment)
            reopened = True
        since = scanner.next_since()
        scanner.done(moment, scan(world.engine, settings, moment, since=since))
        moment += scanner.interval
    reds = [n for n in cards(world.engine, tid) if n.payload["level"] == "red"]
    assert reds, "no red card for the reopened ticket"
    text, _ = render(reds[0].kind, reds[0].payload, TZ)
    assert "补发" not in text, f"the bot never stopped, yet the card reads: {text.splitlines()[0]}"


def test_an_offer_after_a_hand_back_shows_the_limit_still_running(world: World) -> None:
    """A fast ticket (respond 1 h) is accepted in 5 min, then handed back at 12:00 (two hours on). The member it is
    offered to next is asked 「请在 3月3日 11:00 前响应」 — an hour ago: the response limit was met long ago (it no
    longer runs), and the offer shows a deadline in the past."""
    settings = world.settings
    first = world.member("王师傅", ["水暖"])
    tid = submit(world.engine, settings)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, first, T0 + minutes(5), settings=settings)
    second = world.member("赵师傅", ["水暖"], now=T0 + minutes(100))
    back = T0 + minutes(120)  # 12:00 local
    with db.transaction(world.engine) as s:
        tickets.hand_back(s, tid, first, "需要专业资质", back, settings=settings)
    from sqlmodel import select

    from routing.models import Notification

    with db.transaction(world.engine) as s:
        offers = list(s.exec(select(Notification).where(Notification.ticket_id == tid,
                                                        Notification.recipient_id == second,
                                                        Notification.kind == "offer")))
    assert offers, "the ticket was not offered to the second plumber"
    text, _ = render(offers[-1].kind, offers[-1].payload, TZ)
    past = datetime.fromisoformat(offers[-1].payload["respond_due_at"])
    assert past < back
    assert "11:00 前响应" not in text, f"offered at 12:00, the member reads: {text.splitlines()[-1]}"


def test_a_red_card_shows_the_status_its_escalation_gave(world: World) -> None:
    """A ticket nobody took (待派单) passes its response limit: the red card escalates it (status 已升级) and tells
    the coordinators so at its foot (已升级至社区), yet its status line still reads 「状态：待派单」: the status the
    scan read before it escalated the ticket, no longer true when the card is written."""
    from routing.models import Ticket
    from routing.states import STATUS_NAMES

    settings = world.settings
    tid = submit(world.engine, settings)
    assert scan(world.engine, settings, T0 + minutes(60)) == 1
    (red,) = [n for n in cards(world.engine, tid) if n.payload["level"] == "red"]
    with db.transaction(world.engine) as s:
        now_status = STATUS_NAMES[s.get(Ticket, tid).status]
    text, _ = render(red.kind, red.payload, TZ)
    assert f"状态：{now_status}" in text, f"the ticket is {now_status}; the card reads: {text.splitlines()[2]}"
