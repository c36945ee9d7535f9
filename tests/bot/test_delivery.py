"""Delivery of the outbox: sent once, retried on network errors and 429, 403 marks the person
unreachable, a no-op edit counts as delivered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.config import BotSettings
from bot.delivery import deliver_outbox, render
from bot.handlers.common import Deps, act
from routing import db, members, outbox
from routing.models import Notification, NotificationStatus

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


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_edit_that_changes_nothing_counts_as_delivered(engine: Engine) -> None:
    bot = FakeBot()
    offer = queue(engine, kind="offer")
    await deliver_outbox(make_context(engine, bot))
    bot.errors.append(BadRequest("Message is not modified"))
    withdrawn = queue(engine, kind="offer_withdrawn", refers_to_id=offer)
    await deliver_outbox(make_context(engine, bot))
    assert row(engine, withdrawn).status == NotificationStatus.sent


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
        "note": "<script>",
        "member_name": "王<师傅>",
    }
    for kind in NotificationKind:
        text, _ = render(str(kind), payload, ZoneInfo("Asia/Shanghai"))
        assert text and "<b>楼道</b>" not in text and "<script>" not in text and "<i>不满意" not in text


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
    import bot.delivery

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
