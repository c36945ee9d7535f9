"""Delivery of the outbox (bot/delivery.py): sent once, retried on network errors and 429, 403 marks the person
unreachable, a no-op edit counts as delivered; reminders held for the quiet hours; a group's paced backlog."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import ExtBot

import bot.delivery
from bot.app import rate_limiter
from bot.config import BotSettings
from bot.console import ConsoleRequest
from bot.delivery import deliver_outbox, groups_delivered, render
from bot.handlers.common import Deps, act
from routing import db, dispatch, members, outbox, tickets
from routing.alerts import scan_alerts
from routing.models import Notification, NotificationStatus
from tests.conftest import G11, RESIDENT, T0, minutes
from tests.routing.test_alerts import submit

RECIPIENT = 4242
PAYLOAD = {
    "ticket_id": 1,
    "number": "#A1234",
    "item_name": "照明楼道",
    "category_name": "物业设施",
    "grid_name": "幸福里第一网格",
    "text": "楼道灯坏了",
    "status_name": "办理中",
    "respond_due_at": "2026-11-23T10:00:00+00:00",
    "resolve_due_at": "2026-11-24T10:00:00+00:00",
}
GROUP = -1001234567


class FakeBot:
    """Records sends; raises the queued errors first."""

    def __init__(self, errors: list[Exception] | None = None) -> None:
        self.errors = list(errors or [])
        self.sent: list[dict[str, Any]] = []
        self.edited: list[dict[str, Any]] = []

    async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> Any:
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append({"chat_id": chat_id, "text": text, **kwargs})
        return SimpleNamespace(chat_id=chat_id, message_id=len(self.sent) + 100)

    async def edit_message_text(self, text: str, **kwargs: Any) -> Any:
        if self.errors:
            raise self.errors.pop(0)
        self.edited.append({"text": text, **kwargs})
        return True


def make_context(engine: Engine, bot: FakeBot) -> Any:
    settings = BotSettings(_env_file=None)
    deps = Deps(engine=engine, settings=settings, classifier=None, taxonomy=None, worker_id="test")
    return SimpleNamespace(bot=bot, bot_data={"deps": deps}, job_queue=None, application=SimpleNamespace(running=True))


def queue(engine: Engine, kind: str = "ticket_started", recipient: int = RECIPIENT, **extra: Any) -> int:
    with db.transaction(engine) as session:
        return outbox.notify(session, recipient, kind, datetime.now(UTC), payload=PAYLOAD, **extra)


def row(engine: Engine, notification_id: int) -> Notification:
    with db.transaction(engine) as session:
        return session.get(Notification, notification_id)


# --- sending the outbox ---
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_sent_once_and_recorded(engine: Engine) -> None:
    bot = FakeBot()
    note = queue(engine)
    context = make_context(engine, bot)
    await deliver_outbox(context)
    await deliver_outbox(context)
    assert len(bot.sent) == 1 and "#A1234" in bot.sent[0]["text"]
    saved = row(engine, note)
    assert saved.status == NotificationStatus.sent and saved.telegram_message_id == 101


async def test_act_starts_a_delivery_only_when_its_transaction_queued_a_notification(engine: Engine) -> None:
    """Most conversation steps notify nobody: a claim of the outbox after them would find nothing."""
    kicks: list[Any] = []
    context = make_context(engine, FakeBot())
    context.job_queue = SimpleNamespace(run_once=lambda callback, when: kicks.append(callback))
    now = datetime.now(UTC)

    await act(context, members.ensure_person, RECIPIENT, now, name="张阿姨")
    assert kicks == []
    await act(context, outbox.notify, RECIPIENT, "ticket_started", now, payload=PAYLOAD)
    assert kicks == [deliver_outbox]


def test_every_notification_kind_renders_with_escaped_user_text() -> None:
    from zoneinfo import ZoneInfo

    from routing.models import NotificationKind

    payload = {
        **PAYLOAD,
        "text": "<b>楼道</b> & 灯",
        "grid_name": "第一网格",
        "status_name": "已接单",
        "respond_due_at": "2026-11-23T10:00:00+00:00",
        "resolve_due_at": "2026-11-24T10:00:00+00:00",
        "comment": "<i>不满意</i>",
        "stars": 2,
        "quarter": "2026Q3",
        "note": "<script>",
        "member_name": "王<师傅>",
    }
    for kind in NotificationKind:
        text, _ = render(str(kind), payload, ZoneInfo("Asia/Shanghai"))
        assert text and "<b>楼道</b>" not in text and "<script>" not in text and "<i>不满意" not in text


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_edit_that_changes_nothing_counts_as_delivered(engine: Engine) -> None:
    bot = FakeBot()
    offer = queue(engine, kind="offer")
    await deliver_outbox(make_context(engine, bot))
    bot.errors.append(BadRequest("Message is not modified"))
    withdrawn = queue(engine, kind="offer_withdrawn", refers_to_id=offer)
    await deliver_outbox(make_context(engine, bot))
    assert row(engine, withdrawn).status == NotificationStatus.sent


# --- Telegram refusing: 429, the network, 403 ---
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_429_waits_for_retry_after_then_sends(engine: Engine) -> None:
    bot = FakeBot([RetryAfter(30)])
    note = queue(engine)
    before = datetime.now(UTC)
    await deliver_outbox(make_context(engine, bot))
    saved = row(engine, note)
    assert saved.status == NotificationStatus.pending and not bot.sent
    assert saved.next_attempt_at >= before + timedelta(seconds=29)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_network_error_is_retried_with_backoff(engine: Engine) -> None:
    bot = FakeBot([NetworkError("connection reset")])
    note = queue(engine)
    await deliver_outbox(make_context(engine, bot))
    saved = row(engine, note)
    assert saved.status == NotificationStatus.pending and saved.attempts == 1
    assert saved.next_attempt_at > datetime.now(UTC)


@pytest.mark.parametrize("error", ["429", "network"])
async def test_a_notification_is_not_dropped_after_repeated_telegram_failures(engine: Engine, error: str) -> None:
    """A transient failure (429, the network) is retried for as long as it lasts: ten in a row (ten flood waits, or
    about 45 minutes of Telegram unreachable) do not make the notification dead (a message Telegram rejects does)."""
    failure = (lambda: RetryAfter(1)) if error == "429" else (lambda: NetworkError("connection reset"))
    bot = FakeBot([failure() for _ in range(10)])
    note = queue(engine, kind="ticket_accepted")
    context = make_context(engine, bot)
    for _ in range(11):
        await deliver_outbox(context)
        with db.transaction(engine) as s:  # the wait (retry_after / backoff) has passed
            n = s.get(Notification, note)
            n.next_attempt_at = datetime.now(UTC) - timedelta(seconds=1)
    assert bot.sent, row(engine, note).status
    assert row(engine, note).status == NotificationStatus.sent


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_403_marks_a_member_unreachable_and_off_duty(engine: Engine, world: Any) -> None:
    member_id = world.member("王师傅", ["电工"])
    bot = FakeBot([Forbidden("bot was blocked by the user")])
    note = queue(engine, recipient=member_id)
    later = queue(engine, recipient=member_id)
    await deliver_outbox(make_context(engine, bot))
    assert row(engine, note).status == NotificationStatus.unreachable
    assert row(engine, later).status == NotificationStatus.unreachable
    with db.transaction(engine) as session:
        assert members.get_member(session, member_id).on_duty is False


# --- the quiet hours: reminders wait for the morning, and only if still due ---
def test_quiet_hours_span_midnight() -> None:
    from datetime import time
    from zoneinfo import ZoneInfo

    from bot.delivery import held_for_quiet_hours, quiet_until

    tz = ZoneInfo("Asia/Shanghai")
    quiet = (time(22, 0), time(7, 0))
    night = datetime(2026, 11, 23, 23, 30, tzinfo=tz)
    early = datetime(2026, 11, 24, 6, 0, tzinfo=tz)
    day = datetime(2026, 11, 24, 12, 0, tzinfo=tz)
    assert quiet_until(night, quiet, tz) == datetime(2026, 11, 24, 7, 0, tzinfo=tz)
    assert quiet_until(early, quiet, tz) == datetime(2026, 11, 24, 7, 0, tzinfo=tz)
    assert quiet_until(day, quiet, tz) is None
    none = (time(0, 0), time(0, 0))  # QUIET_HOURS=00:00-00:00, as README says
    assert all(quiet_until(moment, none, tz) is None for moment in (night, early, day))
    assert held_for_quiet_hours("rate_reminder", {})
    assert held_for_quiet_hours("yellow_card", {"urgent": False, "audience": "member"})
    assert not held_for_quiet_hours("yellow_card", {"urgent": True, "audience": "member"})
    assert not held_for_quiet_hours("yellow_card", {"audience": "coordinator"})
    assert not held_for_quiet_hours("red_card", {}) and not held_for_quiet_hours("urgent_alert", {})


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_reminder_in_quiet_hours_waits_for_the_morning(engine: Engine, monkeypatch) -> None:
    night = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    monkeypatch.setattr(bot.delivery, "now", lambda: night)
    bot_ = FakeBot()
    note = queue(engine, kind="rate_reminder")
    urgent = queue(engine, kind="urgent_alert")
    with db.transaction(engine) as session:  # make both due at "night"
        for nid in (note, urgent):
            session.get(Notification, nid).next_attempt_at = night - timedelta(minutes=1)
    from routing import outbox as routing_outbox

    monkeypatch.setattr(routing_outbox, "claim_notifications", _claim_at(night))
    await deliver_outbox(make_context(engine, bot_))
    held = row(engine, note)
    assert held.status == NotificationStatus.pending and held.attempts == 0
    assert held.next_attempt_at == datetime(2026, 11, 23, 23, 0, tzinfo=UTC)  # 07:00 in Shanghai
    assert row(engine, urgent).status == NotificationStatus.sent


def _claim_at(moment: datetime) -> Any:
    from routing import outbox as routing_outbox

    original = routing_outbox.claim_notifications

    def claim(session: Any, worker: str, _now: datetime, **kwargs: Any) -> Any:
        return original(session, worker, moment, **kwargs)

    return claim


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


# --- pacing: a group's backlog holds up nobody else ---
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_groups_alert_backlog_does_not_hold_up_a_residents_receipt(engine: Engine) -> None:
    """A street's group chat is subscribed to alerts; after the bot was down (or a busy morning) the alert scan
    queues a couple of dozen red cards for it. Telegram lets a bot post about 20 messages a minute in one group,
    and the bot's own rate limiter (AIORateLimiter) paces them: the 21st waits 3 s, the 30th half a minute, a
    backlog of 50 (one delivery batch) a minute and a half. Meanwhile an elderly resident confirms a request:
    the receipt 「已为您登记工单」 (an outbox message to a private chat Telegram would take at once) waits
    until the group's whole batch is through, because a delivery pass waits for its slowest chat before it
    claims anything new. (The same holds for a gas leak's urgent alert to the coordinators, a member's offer.)"""
    settings = BotSettings(_env_file=None)
    api = ConsoleRequest()
    bot = ExtBot("123456:ABCdefGHIjklMNOpqr", request=api, get_updates_request=api,
                 rate_limiter=rate_limiter(settings))
    deps = Deps(engine=engine, settings=settings, classifier=None, taxonomy=None, worker_id="w1")  # type: ignore[arg-type]
    context = SimpleNamespace(bot=bot, bot_data={"deps": deps}, job_queue=None,
                              application=SimpleNamespace(running=True))
    sent: dict[int, list[float]] = {}
    api.add_listener(lambda e: sent.setdefault(e.chat_id, []).append(time.monotonic()) if e.kind == "message"
                     else None)
    with db.transaction(engine) as session:
        for _ in range(23):
            outbox.notify(session, GROUP, "group_alert", datetime.now(UTC),
                          payload={**PAYLOAD, "alert": "red_card", "limit": "resolve"})
    async with bot:
        backlog = asyncio.create_task(deliver_outbox(context))
        async with asyncio.timeout(10):
            while len(sent.get(GROUP, [])) < 20:  # the group's first 20 went at once; the rest are paced
                await asyncio.sleep(0.05)
        with db.transaction(engine) as session:  # the resident confirms a request now
            receipt = outbox.notify(session, RECIPIENT, "ticket_created", datetime.now(UTC), payload=PAYLOAD)
        queued_at = time.monotonic()
        await deliver_outbox(context)  # the kick every step gives (bot.delivery.deliver_soon)
        await asyncio.wait_for(backlog, timeout=30)
        await groups_delivered(context.bot_data)  # (a group's pass may hold the kick's turn: it takes the receipt)
    assert row(engine, receipt).status == "sent"
    waited = sent[RECIPIENT][0] - queued_at
    assert waited < 2, f"the resident's receipt waited {waited:.1f} s behind the group's paced alerts"
