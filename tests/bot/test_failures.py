"""Failures around the bot: Telegram answering 429, timing out, rejecting or lacking a method while the
outbox is delivered (nothing lost, a chat's order kept, the job never crashes); Telegram failing while
a handler answers; the database failing during an update (the person is asked to try again, nothing is
half-written, the conversation continues from its draft afterwards)."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, text, update
from sqlalchemy.exc import OperationalError
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TimedOut

from bot import texts
from bot.delivery import deliver_outbox
from classifier import Classifier
from routing import db, outbox
from routing.models import Draft, Notification, NotificationStatus, Ticket
from tests.bot.chat_harness import bot_chat, chinese
from tests.bot.test_delivery import PAYLOAD, RECIPIENT, FakeBot, make_context, queue, row

RESIDENT = 1


def make_due(engine: Engine) -> None:
    """Let time pass: every waiting notification is due now."""
    with db.transaction(engine) as session:
        session.exec(update(Notification).where(Notification.status == NotificationStatus.pending)
                     .values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1)))


def numbered(engine: Engine, number: str) -> int:
    """A resident update about ticket `number`, queued for RECIPIENT."""
    with db.transaction(engine) as session:
        return outbox.notify(session, RECIPIENT, "ticket_started", datetime.now(UTC),
                             payload={**PAYLOAD, "number": number})


def statuses(engine: Engine, ids: list[int]) -> list[str]:
    return [str(row(engine, i).status) for i in ids]


# ── the outbox against a failing Telegram ───────────────────────────────────────────────────────
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "error",
    [RetryAfter(30), NetworkError("Connection refused"), TimedOut("Timed out"),
     InvalidToken("Not Found: method sendMessage is not emulated")],
    ids=["429", "unreachable", "timeout", "method-missing"],
)
async def test_a_failed_send_holds_the_chats_later_messages_and_loses_none(
    engine: Engine, error: Exception
) -> None:
    """The first of three messages to one person fails: none is lost, none skipped, and once Telegram
    takes messages again all three arrive once, in order. Another person's message is not held up."""
    bot = FakeBot([error])
    mine = [numbered(engine, n) for n in ("#A0001", "#A0002", "#A0003")]
    other = queue(engine, recipient=RECIPIENT + 1)
    await deliver_outbox(make_context(engine, bot))
    assert statuses(engine, mine) == ["pending"] * 3, "held, not unreachable or dead"
    assert [s["chat_id"] for s in bot.sent] == [RECIPIENT + 1] and row(engine, other).status == "sent"
    first, *rest = (row(engine, i) for i in mine)
    assert first.attempts == 1 and all(r.attempts == 0 for r in rest), "waiting is not a failed attempt"
    assert all(r.next_attempt_at == first.next_attempt_at > datetime.now(UTC) for r in rest)
    if isinstance(error, RetryAfter):
        assert first.next_attempt_at >= datetime.now(UTC) + timedelta(seconds=29)

    make_due(engine)
    await deliver_outbox(make_context(engine, bot))
    assert statuses(engine, mine) == ["sent"] * 3
    numbers = [s["text"].split("#", 1)[1][:5] for s in bot.sent if s["chat_id"] == RECIPIENT]
    assert numbers == ["A0001", "A0002", "A0003"], "once each, in order"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_message_not_modified_and_a_rejected_message_do_not_hold_the_rest(engine: Engine) -> None:
    """400 "message is not modified" counts as delivered; another 400 is retried later on its own."""
    bot = FakeBot()
    offer = queue(engine, kind="offer")
    await deliver_outbox(make_context(engine, bot))
    withdrawn = queue(engine, kind="offer_withdrawn", refers_to_id=offer)
    rejected = queue(engine)
    after = queue(engine)
    bot.errors = [BadRequest("Message is not modified"), BadRequest("Can't parse entities")]
    await deliver_outbox(make_context(engine, bot))
    assert statuses(engine, [withdrawn, rejected, after]) == ["sent", "pending", "sent"]
    make_due(engine)
    await deliver_outbox(make_context(engine, bot))
    assert row(engine, rejected).status == NotificationStatus.sent


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_telegram_unreachable_for_a_long_time_never_gives_up(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """Every send fails, more times than OUTBOX_MAX_ATTEMPTS: each pass is logged, nothing raises, the notification
    stays pending (an outage loses nothing), its retries at most TRANSIENT_BACKOFF_MAX_SECONDS apart."""
    bot = FakeBot([NetworkError("Connection refused")] * 12)
    note = queue(engine)
    for attempt in range(1, 13):
        make_due(engine)
        with caplog.at_level(logging.WARNING, logger="bot.delivery"):
            await deliver_outbox(make_context(engine, bot))
        assert (row(engine, note).attempts, row(engine, note).status) == (attempt, "pending")
    wait = row(engine, note).next_attempt_at - datetime.now(UTC)
    assert timedelta(seconds=outbox.TRANSIENT_BACKOFF_MAX_SECONDS - 5) < wait <= timedelta(
        seconds=outbox.TRANSIENT_BACKOFF_MAX_SECONDS
    )
    assert sum("will retry" in r.getMessage() for r in caplog.records) == 12
    assert not bot.sent


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_notification_that_cannot_be_rendered_does_not_stop_delivery(engine: Engine) -> None:
    """A broken payload (here: no ticket number) is logged and retried; the others are delivered."""
    with db.transaction(engine) as session:
        broken = outbox.notify(session, RECIPIENT, "ticket_created", datetime.now(UTC), payload={})
    good = queue(engine)
    other = queue(engine, recipient=RECIPIENT + 1)
    bot = FakeBot()
    await deliver_outbox(make_context(engine, bot))  # does not raise
    assert row(engine, broken).status == "pending" and "KeyError" in row(engine, broken).last_error
    assert statuses(engine, [good, other]) == ["sent", "sent"]


# ── Telegram failing while a handler answers ────────────────────────────────────────────────────
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("code", [429, 500, 404])
async def test_telegram_failing_during_an_update_keeps_the_draft(
    engine: Engine, world: Any, tmp_path: Path, classifier: Classifier, code: int
) -> None:
    """Telegram refuses the bot's answers for one update (flood control, server error, a method it
    lacks): the update ends in the error handler without a crash, the draft is saved, and the person's
    next message is answered normally."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        original = chat.request._dispatch

        async def failing(name: str, params: dict, files: dict) -> Any:
            from bot.console import _ApiError

            if name in ("sendmessage", "answercallbackquery"):
                raise _ApiError(code, {429: "Too Many Requests: retry after 5", 404: "Not Found"}.get(
                    code, "Internal Server Error"))
            return await original(name, params, files)

        chat.request._dispatch = failing
        assert await chat.say(RESIDENT, "楼道灯坏了好几天了") == []
        assert chat.unexpected_errors(), "the failure reached the error handler (and was logged)"
        chat.request._dispatch = original
        chat.errors.clear()
        (flow, state), = [(d[1], d[2]) for d in chat.state()["drafts"]]
        assert flow == "intake" and state["step"] == "confirm"
        replies = await chat.say(RESIDENT, "楼道灯坏了好几天了")
        assert any("我理解您反映的是" in r.text for r in replies) and not chat.errors


# ── the database failing during an update ───────────────────────────────────────────────────────
@contextmanager
def failing_statement(engine: Engine, table: str) -> Iterator[list[str]]:
    """The connection is lost in the middle of a transaction: at the first statement that inserts
    into `table`. On PostgreSQL the server really ends the session (pg_terminate_backend); SQLite
    reports a disk I/O error. Yields the statements that failed."""
    failed: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        # Also a part of a larger statement (WITH … AS (INSERT INTO notification …) on PostgreSQL).
        if failed or f"INSERT INTO {table.upper()} " not in statement.upper():
            return
        failed.append(statement)
        if engine.dialect.name == "postgresql":
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        else:
            raise OperationalError(statement, params, sqlite3.OperationalError("disk I/O error"))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield failed
    finally:
        event.remove(engine, "before_cursor_execute", before)


async def test_database_lost_while_the_ticket_is_written(
    engine: Engine, world: Any, tmp_path: Path, classifier: Classifier
) -> None:
    """The last step of an intake (跳过 the phone) loses the database between writing the ticket and
    its notifications: the resident is asked to try again in Chinese, no ticket, no notification, the
    draft still at the phone step; the same answer afterwards creates exactly one ticket."""
    member = world.member("王师傅", ["电工"])
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        await chat.intake_to_address(RESIDENT)
        await chat.say(RESIDENT, "幸福里小区 3 号楼 2 单元 502")
        before = chat.state()
        notifications = chat.notifications()
        with failing_statement(engine, "notification") as failed:
            replies = await chat.say(RESIDENT, "跳过")
        assert failed, "the failure was injected in the middle of the ticket's transaction"
        assert [r.text for r in replies] == [texts.TRY_AGAIN] and chinese(replies[0].text)
        assert chat.state() == before, "no half-written ticket; the draft is kept"
        assert chat.notifications() == notifications and chat.count(Ticket) == 0
        assert all(isinstance(e, OperationalError) for e in chat.errors)

        chat.errors.clear()
        replies = await chat.say(RESIDENT, "跳过")
        assert any("已为您登记工单" in r.text for r in replies), replies
        assert chat.count(Ticket) == 1 and chat.count(Draft) == 0 and not chat.errors
        assert any("新工单" in r.text for r in chat.replies(member))


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_database_refusing_connections_during_a_conversation(
    engine: Engine, db_url: str, world: Any, tmp_path: Path, classifier: Classifier
) -> None:
    """PostgreSQL stops accepting connections (and drops the open ones) in the middle of an intake:
    the resident's messages meanwhile get the Chinese "try again"; once it is back, the same address
    continues the saved draft to a ticket."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        await chat.intake_to_address(RESIDENT)
        before = chat.state()
        name = engine.url.database
        admin = db.make_engine(db.normalize_url(db_url).rsplit("/", 1)[0] + "/postgres")
        try:
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
            replies = await chat.say(RESIDENT, "幸福里小区 3 号楼 2 单元 502")
            assert [r.text for r in replies] == [texts.TRY_AGAIN]
            assert chat.errors and all(isinstance(e, OperationalError) for e in chat.errors)
        finally:
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
            admin.dispose()
        assert chat.state() == before
        chat.errors.clear()
        await chat.say(RESIDENT, "幸福里小区 3 号楼 2 单元 502")
        replies = await chat.say(RESIDENT, "跳过")
        assert any("已为您登记工单" in r.text for r in replies) and not chat.errors
        assert chat.count(Ticket) == 1
