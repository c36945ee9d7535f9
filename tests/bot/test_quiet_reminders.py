"""Reminders held for the quiet hours (found by a review; each test failed on the code before): sent in the morning
only if there is still something to remind of (a ticket not yet done, a rating not yet given), and a rating reminder
waits for the morning even for an urgent ticket."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

import bot.delivery
from bot.delivery import deliver_outbox
from routing import db, dispatch, tickets
from routing.alerts import scan_alerts
from tests.bot.test_delivery import FakeBot, make_context
from tests.conftest import G11, RESIDENT, T0, minutes
from tests.routing.test_alerts import submit


async def _deliver_at(world: Any, bot_: FakeBot, moment: datetime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.delivery, "now", lambda: moment)
    await deliver_outbox(make_context(world.engine, bot_))


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_held_yellow_card_is_not_sent_after_the_ticket_was_resolved(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """T0 is 10:00 in Shanghai; a fast ticket's resolve yellow falls at 80 % of 24 h = 05:12 the
    next morning, inside the quiet hours: the member's card waits for 07:00. The member finishes
    the job at 05:30; at 07:00 they must not be told to hurry with a ticket already done."""
    settings = world.settings
    plumber = world.member("王师傅", ["水暖"])
    tid = submit(world.engine, settings)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, plumber, T0 + minutes(1), settings=settings)
    bot_ = FakeBot()
    await _deliver_at(world, bot_, T0 + minutes(2), monkeypatch)  # offers, acceptance: sent

    yellow_at = T0 + minutes(1152)  # 05:12 local
    with db.transaction(world.engine) as s:
        assert scan_alerts(s, yellow_at, settings=settings) == 1
    await _deliver_at(world, bot_, yellow_at, monkeypatch)
    assert not [m for m in bot_.sent if m["chat_id"] == plumber and "黄牌" in m["text"]]  # held

    with db.transaction(world.engine) as s:  # 05:30: done
        tickets.resolve_ticket(s, tid, plumber, T0 + minutes(1170), note="换了水管")
    morning = datetime(2025, 3, 3, 23, 1, tzinfo=UTC)  # 07:01 local
    await _deliver_at(world, bot_, morning, monkeypatch)
    late = [m["text"] for m in bot_.sent if m["chat_id"] == plumber and "黄牌" in m["text"]]
    assert late == [], f"at 07:01 the member got, for a ticket resolved at 05:30: {late}"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_held_rate_reminder_is_not_sent_after_the_resident_rated(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ticket resolved at 23:00; the 回访 reminder falls at 23:00 the next day and waits for 07:00.
    The resident rates it at 23:30 (from the first rating message); at 07:00 no reminder to rate."""
    settings = world.settings
    plumber = world.member("王师傅", ["水暖"])
    tid = submit(world.engine, settings)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, plumber, T0 + minutes(1), settings=settings)
    resolved = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)  # 23:00 local
    with db.transaction(world.engine) as s:
        tickets.resolve_ticket(s, tid, plumber, resolved, note="好了")
    bot_ = FakeBot()
    await _deliver_at(world, bot_, resolved, monkeypatch)
    sent_before = len(bot_.sent)
    remind = datetime(2025, 3, 4, 15, 0, tzinfo=UTC)  # 23:00 local, a day later
    with db.transaction(world.engine) as s:
        assert tickets.remind_unrated(s, remind, settings=settings) == 1
    await _deliver_at(world, bot_, remind, monkeypatch)
    assert len(bot_.sent) == sent_before  # held for the quiet hours
    with db.transaction(world.engine) as s:
        tickets.rate_ticket(s, tid, RESIDENT, 5, remind + minutes(30))
    await _deliver_at(world, bot_, remind + minutes(31), monkeypatch)  # the thanks, at 23:31
    await _deliver_at(world, bot_, datetime(2025, 3, 4, 23, 1, tzinfo=UTC), monkeypatch)  # 07:01
    reminders = [m["text"] for m in bot_.sent[sent_before:]
                 if m["chat_id"] == RESIDENT and "回访" in m["text"]]
    assert reminders == [], f"at 07:01 the resident who rated at 23:30 got: {reminders}"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_the_rating_reminder_of_an_urgent_ticket_waits_for_the_morning(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A gas leak handled at 02:30: the 回访 reminder (a day later, 02:30) is a reminder like any
    other, not an emergency: it must wait for 07:00 instead of waking the resident."""
    settings = world.settings
    plumber = world.member("王师傅", ["水暖", "燃气维修", "消防"])
    night = datetime(2025, 3, 3, 18, 0, tzinfo=UTC)  # 02:00 local
    with db.transaction(world.engine) as s:
        tid = tickets.submit_ticket(s, RESIDENT, "闻到很大的煤气味", night, label="safety.gas_leak",
                                    grid_code=G11, address="幸福里3号楼", urgent=True,
                                    settings=settings).id
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, plumber, night + minutes(2), settings=settings)
    with db.transaction(world.engine) as s:
        tickets.resolve_ticket(s, tid, plumber, night + minutes(30), note="关了阀门")
    bot_ = FakeBot()
    await _deliver_at(world, bot_, night + minutes(30), monkeypatch)
    sent_before = len(bot_.sent)
    remind = night + minutes(30 + 24 * 60)  # 02:30 local, the next night
    with db.transaction(world.engine) as s:
        assert tickets.remind_unrated(s, remind, settings=settings) == 1
    await _deliver_at(world, bot_, remind, monkeypatch)
    woken = [m["text"] for m in bot_.sent[sent_before:] if m["chat_id"] == RESIDENT]
    assert woken == [], f"at 02:30 local the resident got: {woken}"
